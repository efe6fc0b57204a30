"""LMTP delivery (RFC 2033) for MTAs that hand mail over: `assistdesk lmtp`.

The MTA (Postfix `lmtp:inet:127.0.0.1:2424`, Exim's lmtp transport) delivers each
message over LMTP; every message goes through `inbound_ingest`, the same path as IMAP
and the pipe, and is answered only once it is committed:

- 250 for every recipient once the message is stored (or was stored before: the
  Message-ID dedupe makes a re-delivery a no-op);
- 451 (try again later) when it could not be stored now, e.g. the database is down:
  the MTA keeps the message in its queue, nothing is lost;
- 552 for a message over MAX_MESSAGE_BYTES, refused during DATA by the server itself.

LMTP answers DATA once per accepted recipient; the message is stored once whatever the
number of recipients (one mailbox: the help desk). The ORM is synchronous: ingestion
runs in one worker thread (`sync_to_async(thread_sensitive=True)`), one message at a
time, which is also what keeps SQLite's single writer happy.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from aiosmtpd.lmtp import LMTP
from asgiref.sync import sync_to_async
from django.db import close_old_connections

from assistdesk.channels.models import MAX_MESSAGE_BYTES, InboundSource, Mailbox
from assistdesk.channels.services import inbound_ingest
from assistdesk.common import clock

log = logging.getLogger(__name__)


class IngestHandler:
    """aiosmtpd handler: DATA → inbound_ingest, answered after the commit."""

    def __init__(self, mailbox_name: str | None = None) -> None:
        self.mailbox_name = mailbox_name

    def ingest(self, raw: bytes) -> str:
        close_old_connections()  # a worker thread lives long: drop dead connections
        mailbox = Mailbox.objects.get(name=self.mailbox_name) if self.mailbox_name else None
        # Recorded as "delivery pipe": either way the MTA handed the message over.
        result = inbound_ingest(
            raw=raw, source=InboundSource.PIPE, mailbox=mailbox, now=clock.now()
        )
        state = "stored" if result.created else "already stored"
        return f"250 2.0.0 {state} as {result.message.pk}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd name
        raw = envelope.original_content or b""
        try:
            status = await sync_to_async(self.ingest, thread_sensitive=True)(raw)
        except Exception:
            log.exception("LMTP: could not store a message from %s", envelope.mail_from)
            status = "451 4.3.0 could not store the message now, try again later"
        return "\r\n".join([status] * max(len(envelope.rcpt_tos), 1))


async def serve(host: str, port: int, *, mailbox_name: str | None = None) -> None:
    """Serve LMTP on host:port until SIGTERM or SIGINT."""
    handler = IngestHandler(mailbox_name)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: LMTP(handler, data_size_limit=MAX_MESSAGE_BYTES, hostname="assistdesk"),
        host=host,
        port=port,
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("LMTP listening on %s:%s", host, port)
    async with server:
        await stop.wait()
