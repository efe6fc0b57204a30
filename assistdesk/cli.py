"""The `assistdesk` console command: manage.py with the product's own front page."""

from __future__ import annotations

import os
import sys

USAGE = """\
usage: assistdesk COMMAND [options]

AssistDesk: service desk and billing engine for IT-support providers.

Running it:
  serve        web server (gunicorn) + worker + scheduler in one process group
  worker       run background tasks (database or Redis backend, per TASK_BACKEND)
  scheduler    enqueue periodic jobs (safe on several nodes: each slot runs once)
  demo         load demo data into an empty database
  migrate      create or update the database tables

Working with it:
  simulate F   replay a scenario file on a throw-away database, print the result JSON
  fetchmail    poll the mailboxes now (deliver / lmtp: mail handed over by an MTA)
  bill         run the invoicing of a period (statements, fxrates, invoices_csv)
  apitoken     create, list and revoke REST API tokens

Every Django management command works too; `assistdesk help --commands` lists them,
`assistdesk help COMMAND` explains one.
"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistdesk.settings")
    if argv and argv[0] == "simulate":
        # Before settings load: a throw-away database, and no task or mail leaves it.
        from assistdesk.simulate.environment import isolate

        isolate()
    if not argv or argv[0] in {"-h", "--help"} or argv == ["help"]:
        sys.stdout.write(USAGE)
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["assistdesk", *argv])


if __name__ == "__main__":
    main()
