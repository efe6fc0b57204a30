"""`assistdesk deliver`: take one message on stdin, for an MTA's pipe transport.

Postfix example (master.cf):
    assistdesk unix - n n - - pipe
      flags=Rq user=assistdesk argv=/srv/assistdesk/.venv/bin/assistdesk deliver

Exit status follows sysexits: 0 stored (or already stored), 75 (EX_TEMPFAIL) when the
message could not be stored right now, so the MTA keeps it and tries again later.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.channels.models import InboundSource, Mailbox
from assistdesk.channels.services import inbound_ingest
from assistdesk.common import clock

EX_TEMPFAIL = 75
EX_DATAERR = 65


class Command(BaseCommand):
    help = "Store and route one e-mail message read from standard input (MTA pipe)."
    # Started by the MTA for every message: no time for the system checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="name of the Mailbox to file the message under")

    def handle(self, *args: Any, mailbox: str | None, **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("no message on standard input", returncode=EX_DATAERR)
        try:
            box = Mailbox.objects.get(name=mailbox) if mailbox else None
            result = inbound_ingest(
                raw=raw, source=InboundSource.PIPE, mailbox=box, now=clock.now()
            )
        except Mailbox.DoesNotExist as exc:
            raise CommandError(f"no mailbox named {mailbox!r}", returncode=EX_TEMPFAIL) from exc
        except Exception as exc:
            raise CommandError(
                f"could not store the message: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        message = result.message
        state = "stored" if result.created else "already stored"
        self.stdout.write(
            f"{state}: {message.message_id} {message.status} {message.reason}".rstrip()
        )
