"""A throw-away Dovecot IMAP server on 127.0.0.1, for the mail tests and benchmarks.

Debian's `dovecot-imapd` (scripts/system-packages.txt), started with its own config, a
fresh mail store under a temporary folder and a plain-text passwd-file: nothing of the
host's mail set-up is touched. `start_dovecot()` returns once IMAP LOGIN works;
`DovecotServer.stop()` ends it and removes the store.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
IMAP_USER = "desk"
IMAP_PASSWORD = "desk-secret"  # noqa: S105 - a throw-away server on the loopback


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed or would not start."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DovecotServer:
    host: str
    port: int
    user: str
    password: str
    base: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.base, ignore_errors=True)


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


def start_dovecot(timeout: float = 20) -> DovecotServer:
    """Start Dovecot on a free port; raises DovecotUnavailable with its log if it fails."""
    if not os.path.exists(DOVECOT):
        raise DovecotUnavailable(
            f"{DOVECOT} not found: the IMAP tests need Debian's dovecot-imapd "
            "(apt-get install dovecot-imapd; `make test` installs it)."
        )
    # Not a private temporary folder (0700): Dovecot's mail processes run as another
    # user that must reach the store.
    base = Path(tempfile.mkdtemp(prefix="assistdesk-dovecot-"))
    base.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (base / sub).mkdir()
    (base / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    port = free_port()
    conf = base / "dovecot.conf"
    conf.write_text(_dovecot_conf(base, port))
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own config
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = DovecotServer("127.0.0.1", port, IMAP_USER, IMAP_PASSWORD, base, process)
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.connect().logout()
            return server
        except (OSError, imaplib.IMAP4.error) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                log_file = base / "dovecot.log"
                log = log_file.read_text() if log_file.exists() else ""
                shutil.rmtree(base, ignore_errors=True)
                raise DovecotUnavailable(
                    f"Dovecot did not accept IMAP LOGIN ({exc}):\n{output}\n{log}"
                ) from exc
            time.sleep(0.1)


@dataclass
class ImapBox:
    """The test user's mailbox on a DovecotServer."""

    server: DovecotServer

    def append(self, raw: bytes, *, folder: str = "INBOX", when: datetime | None = None) -> None:
        self.append_many([raw], folder=folder, when=when)

    def append_many(
        self, messages: list[bytes], *, folder: str = "INBOX", when: datetime | None = None
    ) -> None:
        """Deliver messages over one connection (IMAP APPEND), in order."""
        client = self.server.connect()
        try:
            date_time = imaplib.Time2Internaldate(when) if when else None
            for raw in messages:
                status, data = client.append(folder, "", date_time, raw)
                if status != "OK":
                    raise imaplib.IMAP4.error(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def search(self, criteria: str, *, folder: str = "INBOX") -> list[bytes]:
        client = self.server.connect()
        try:
            client.select(folder)
            status, data = client.uid("SEARCH", None, criteria)  # type: ignore[arg-type]
            if status != "OK":
                raise imaplib.IMAP4.error(f"SEARCH failed: {data!r}")
            return data[0].split() if data and data[0] else []
        finally:
            client.logout()

    def message_ids(self, criteria: str = "ALL", *, folder: str = "INBOX") -> list[str]:
        client = self.server.connect()
        try:
            client.select(folder)
            _, data = client.uid("SEARCH", None, criteria)  # type: ignore[arg-type]
            uids = data[0].split() if data and data[0] else []
            ids = []
            for uid in uids:
                _, fetched = client.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                first = fetched[0] if fetched else None
                header = first[1] if isinstance(first, tuple) else b""
                ids.append(str(message_from_bytes(header).get("Message-ID", "")).strip())
            return ids
        finally:
            client.logout()

    def clear(self) -> None:
        client = self.server.connect()
        try:
            _, folders = client.list()
            for line in folders or []:
                if not isinstance(line, bytes):
                    continue
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
