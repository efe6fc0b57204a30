"""Mail intake under SIGKILL: 1 000 messages, the fetch worker killed at least 20 times.

The same as the fault test of `make test` (assistdesk/channels/tests/test_mail_faults.py)
at full size: a throw-away database (SQLite file, or PostgreSQL with DATABASE_URL) and
Dovecot, 1 000 messages from the shared seeded generator, `assistdesk fetchmail`
subprocesses killed with SIGKILL at random points (inside a transaction, between the
commit and the \\Seen flag, ...) until the mailbox is drained; then every message,
ticket and reply is checked against the generator's manifest.

    .venv/bin/python bench/mail_faults.py [--count N] [--kills K]

prints one line:
    mail-faults: N messages, K kills, lost L, duplicated D
and exits non-zero when anything was lost, duplicated or misplaced.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistdesk.common.benchdb import throwaway_database

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = 20260415


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assistdesk-mail-faults-") as folder:
        os.environ["ASSISTDESK_VAR_DIR"] = folder
        os.environ["DEFAULT_FROM_EMAIL"] = "IT Helpdesk <support@helpdesk.example>"
        with throwaway_database() as url:
            os.environ["DATABASE_URL"] = url
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistdesk.settings")
            return run(args.count, args.kills, Path(folder))


def run(count: int, kills: int, folder: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from assistdesk.channels.models import Mailbox
    from assistdesk.channels.testing.dovecot import ImapBox, start_dovecot
    from assistdesk.channels.testing.faults import drain_with_kills
    from assistdesk.channels.testing.mailload import build_customers, generate, verdict
    from assistdesk.common import clock

    call_command("migrate", verbosity=0)
    mails = generate(count, folder, seed=SEED)
    build_customers(mails, now=clock.now())
    server = start_dovecot()
    try:
        box = ImapBox(server)
        box.append_many([m.raw for m in mails])
        Mailbox.objects.create(
            name="support", host=server.host, port=server.port, use_ssl=False,
            username=server.user, password=server.password,
        )  # fmt: skip
        from django.db import connections

        connections.close_all()  # the workers have the database to themselves
        faults = drain_with_kills(
            env=dict(os.environ), unseen=lambda: len(box.search("UNSEEN")), kills=kills,
            seed=SEED, limit=max(20, count // (kills * 2)), batch=10, cwd=REPO_ROOT,
            timeout=3600,
        )  # fmt: skip
    finally:
        server.stop()
    result = verdict(mails)
    print(
        f"mail-faults: {count} messages, {faults.kills} kills, "
        f"lost {result.lost}, duplicated {result.duplicated}"
    )
    if not result.ok or faults.kills < kills:
        print(f"mail-faults: FAILED {faults} {result.problems[:10]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
