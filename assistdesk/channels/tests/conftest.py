"""Real mail servers for the channels tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Dovecot is Debian's `dovecot-imapd` (scripts/system-packages.txt), started once per
test session on 127.0.0.1 with a throw-away mail store and a plain-text passwd-file;
each test gets an emptied INBOX. If it is not installed the tests FAIL with a clear
message: they never skip. aiosmtpd runs in a thread per test and collects what it
receives; tests stop and restart it to play "the SMTP server is down".
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

DOVECOT = "/usr/sbin/dovecot"
EML_DIR = Path(__file__).parent / "eml"
IMAP_USER = "desk"
IMAP_PASSWORD = "desk-secret"  # a throw-away test server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def eml(name: str) -> bytes:
    return (EML_DIR / name).read_bytes()


@pytest.fixture
def load_eml():
    return eml


# --- IMAP -----------------------------------------------------------------------------


@dataclass
class DovecotServer:
    host: str
    port: int
    user: str
    password: str
    base: Path

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client


def _dovecot_conf(base: Path, port: int) -> str:
    if os.getuid() == 0:
        # Dovecot refuses to access mail as root: the store belongs to `nobody`, and the
        # master (root) drops privileges to Debian's dovecot/dovenull users.
        mail_user = pwd.getpwnam("nobody")
        service_users = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
        chroot = ""
    else:
        mail_user = pwd.getpwuid(os.getuid())
        service_users = (
            f"default_internal_user = {mail_user.pw_name}\n"
            f"default_login_user = {mail_user.pw_name}\n"
        )
        # Only root can chroot; the login processes of an unprivileged Dovecot may not.
        chroot = "service imap-login {\n  chroot =\n}\nservice anvil {\n  chroot =\n}\n"
    os.chown(base / "mail", mail_user.pw_uid, mail_user.pw_gid)
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u
first_valid_uid = 1
{service_users}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{chroot}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={base}/mail/%u
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    if not os.path.exists(DOVECOT):
        pytest.fail(
            f"{DOVECOT} not found: the IMAP tests need Debian's dovecot-imapd "
            "(apt-get install dovecot-imapd; `make test` installs it)."
        )
    # Not pytest's tmp_path: it is private to the current user (0700), and Dovecot's
    # mail processes run as another user that must reach the store.
    base = Path(tempfile.mkdtemp(prefix="assistdesk-dovecot-"))
    base.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (base / sub).mkdir()
    (base / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    port = free_port()
    conf = base / "dovecot.conf"
    conf.write_text(_dovecot_conf(base, port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = DovecotServer("127.0.0.1", port, IMAP_USER, IMAP_PASSWORD, base)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.connect().logout()
            break
        except (OSError, imaplib.IMAP4.error) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                shutil.rmtree(base, ignore_errors=True)
                pytest.fail(f"Dovecot did not accept IMAP LOGIN ({exc}):\n{output}\n{log}")
            time.sleep(0.1)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class ImapBox:
    """The test user's mailbox, emptied before each test."""

    server: DovecotServer

    def append(self, raw: bytes, *, folder: str = "INBOX", when: datetime | None = None) -> None:
        client = self.server.connect()
        try:
            date_time = imaplib.Time2Internaldate(when) if when else None
            status, data = client.append(folder, "", date_time, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def search(self, criteria: str, *, folder: str = "INBOX") -> list[bytes]:
        client = self.server.connect()
        try:
            client.select(folder)
            status, data = client.uid("SEARCH", None, criteria)
            assert status == "OK", data
            return data[0].split() if data and data[0] else []
        finally:
            client.logout()

    def message_ids(self, criteria: str = "ALL", *, folder: str = "INBOX") -> list[str]:
        client = self.server.connect()
        try:
            client.select(folder)
            _, data = client.uid("SEARCH", None, criteria)
            uids = data[0].split() if data and data[0] else []
            ids = []
            for uid in uids:
                _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                header = fetched[0][1] if fetched and isinstance(fetched[0], tuple) else b""
                ids.append(str(message_from_bytes(header).get("Message-ID", "")).strip())
            return ids
        finally:
            client.logout()

    def clear(self) -> None:
        client = self.server.connect()
        try:
            _, folders = client.list()
            for line in folders or []:
                name = line.decode().rsplit(' "." ', 1)[-1].strip().strip('"')
                if name == "INBOX":
                    _, exists = client.select("INBOX")
                    if int(exists[0] or 0):
                        client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                        client.expunge()
                else:
                    client.delete(name)
        finally:
            client.logout()


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

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        with self.lock:
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
