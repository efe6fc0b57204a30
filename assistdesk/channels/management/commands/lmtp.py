"""`assistdesk lmtp --bind 127.0.0.1:2424`: an LMTP server for an MTA that hands mail over.

Postfix example (main.cf): `mailbox_transport = lmtp:inet:127.0.0.1:2424`, or a
transport map entry `support@helpdesk.example lmtp:inet:127.0.0.1:2424`. Bind it to the
loopback (or a private network): LMTP has no authentication, whoever reaches the port
can deliver. See `channels/lmtp.py` for the replies.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.channels.lmtp import serve


def parse_bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--bind wants HOST:PORT, e.g. 127.0.0.1:2424, not {value!r}")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = "Serve LMTP: store and route every message an MTA delivers (same path as IMAP)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:2424", help="HOST:PORT to listen on")
        parser.add_argument("--mailbox", help="name of the Mailbox to file messages under")

    def handle(self, *args: Any, bind: str, mailbox: str | None, **options: Any) -> None:
        host, port = parse_bind(bind)
        self.stdout.write(f"LMTP on {host}:{port}")
        self.stdout.flush()
        asyncio.run(serve(host, port, mailbox_name=mailbox))
