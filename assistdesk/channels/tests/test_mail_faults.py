"""Fault test: 200 realistic messages, the fetch worker SIGKILLed at least 10 times.

A real Dovecot mailbox, a real `assistdesk fetchmail` subprocess on the test database,
killed at random points until the mailbox is drained: every message is stored once,
every expected ticket and reply exists once, on the right ticket. (`make bench` runs
the full count: bench/mail_faults.py, 1 000 messages, 20 kills.)
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistdesk.channels.models import InboundMessage, Mailbox
from assistdesk.channels.testing.faults import drain_with_kills
from assistdesk.channels.testing.mailload import build_customers, generate, verdict
from assistdesk.channels.tests.mailworld import NOW

MESSAGES, KILLS = 200, 10
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db(transaction=True)
def test_no_message_lost_or_duplicated_when_the_worker_is_killed(
    imap, dovecot, subprocess_env, tmp_path
):
    mails = generate(MESSAGES, tmp_path, seed=8)
    build_customers(mails, now=NOW)
    imap.append_many([m.raw for m in mails])
    Mailbox.objects.create(
        name="support", host=dovecot.host, port=dovecot.port, use_ssl=False,
        username=dovecot.user, password=dovecot.password,
    )  # fmt: skip
    env = subprocess_env | {
        "ASSISTDESK_VAR_DIR": str(tmp_path / "var"),
        "DEFAULT_FROM_EMAIL": "IT Helpdesk <support@helpdesk.example>",
    }

    parsers_before = _parser_processes()
    run = drain_with_kills(
        env=env, unseen=lambda: len(imap.search("UNSEEN")), kills=KILLS, seed=8,
        limit=20, batch=5, cwd=REPO_ROOT,
    )  # fmt: skip

    assert run.kills >= KILLS, run
    result = verdict(mails)
    assert (result.lost, result.duplicated, result.misplaced) == (0, 0, 0), result.problems
    assert result.stored == MESSAGES == InboundMessage.objects.count()
    assert (result.tickets, result.replies) == (result.expected_tickets, result.expected_replies)
    assert result.ok, result.problems
    # The killed workers' parser processes died with them (one killed while starting
    # ends itself when it sees its parent gone: a moment later).
    deadline = time.monotonic() + 10
    while _parser_processes() - parsers_before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _parser_processes() - parsers_before == set()


def _parser_processes() -> set[int]:
    """The processes the intake spawns to parse mail (`mail.prepare.Preparer`)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing.spawn" in cmdline:
                found.add(int(entry.name))
    return found
