"""Real mail servers for the channels tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Dovecot is Debian's `dovecot-imapd` (scripts/system-packages.txt), started once per
test session on 127.0.0.1 with a throw-away mail store (`channels/testing/dovecot.py`,
shared with the benchmarks); each test gets an emptied INBOX. If it is not installed the
tests FAIL with a clear message: they never skip. aiosmtpd runs in a thread per test and
collects what it receives; tests stop and restart it to play "the SMTP server is down".
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from assistdesk.channels.testing.dovecot import (
    DovecotServer,
    DovecotUnavailable,
    ImapBox,
    free_port,
    start_dovecot,
)

EML_DIR = Path(__file__).parent / "eml"


def eml(name: str) -> bytes:
    return (EML_DIR / name).read_bytes()


@pytest.fixture
def load_eml():
    return eml


# --- IMAP -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    try:
        server = start_dovecot()
    except DovecotUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap(dovecot: DovecotServer) -> Iterator[ImapBox]:
    box = ImapBox(dovecot)
    box.clear()
    yield box
    box.clear()


@pytest.fixture
def mailbox(db, dovecot: DovecotServer):
    from assistdesk.channels.models import Mailbox

    return Mailbox.objects.create(
        name="support",
        host=dovecot.host,
        port=dovecot.port,
        use_ssl=False,
        username=dovecot.user,
        password=dovecot.password,
    )


# --- SMTP -----------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message_id(self) -> str:
        return str(message_from_bytes(self.data).get("Message-ID", "")).strip()

    @property
    def headers(self):
        return message_from_bytes(self.data)


@dataclass
class Collector:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # A server going away: after this many messages, every message is refused with 421.
    refuse_after: int | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        with self.lock:
            if self.refuse_after is not None and len(self.received) >= self.refuse_after:
                return "421 4.3.2 Service shutting down"
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    collector: Collector
    controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return list(self.collector.received)

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    """A real SMTP server; Django's SMTP backend pointed at it."""
    server = SmtpServer(port=free_port(), collector=Collector())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "IT Helpdesk <support@helpdesk.example>"
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
