"""LMTP delivery: a real `assistdesk lmtp` process, spoken to with smtplib.LMTP."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from assistdesk.channels import lmtp
from assistdesk.channels.models import InboundMessage, InboundSource, InboundStatus
from assistdesk.channels.testing.dovecot import free_port
from assistdesk.channels.tests.mailworld import build_world, mail
from assistdesk.tickets.models import Ticket

DESK = "support@helpdesk.example"


@pytest.fixture
def lmtp_server(subprocess_env, tmp_path) -> Iterator[int]:
    port = free_port()
    env = subprocess_env | {"ASSISTDESK_VAR_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "assistdesk.cli", "lmtp", "--bind", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"assistdesk lmtp did not start:\n{output}")
            time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


@pytest.mark.django_db(transaction=True)
def test_an_mta_delivers_over_lmtp_once_whatever_the_retries_and_recipients(lmtp_server):
    build_world()
    raw = mail()
    client = smtplib.LMTP("127.0.0.1", lmtp_server)
    try:
        assert client.sendmail("marco.rossi@edil-rossi.it", [DESK], raw) == {}
        assert client.sendmail("marco.rossi@edil-rossi.it", [DESK], raw) == {}  # MTA retried
    finally:
        client.quit()

    message = InboundMessage.objects.get()
    assert (message.source, message.status) == (InboundSource.PIPE, InboundStatus.TICKET)
    assert bytes(message.raw).replace(b"\r\n", b"\n").rstrip() == raw.rstrip()
    assert Ticket.objects.count() == 1

    # LMTP answers DATA once per recipient; the message is stored once.
    with socket.create_connection(("127.0.0.1", lmtp_server), timeout=10) as sock:
        reader = sock.makefile("rb")

        def say(line: bytes) -> bytes:
            sock.sendall(line + b"\r\n")
            reply = reader.readline()
            while reply[3:4] == b"-":  # a multi-line reply (LHLO)
                reply = reader.readline()
            return reply

        assert reader.readline().startswith(b"220")
        assert say(b"LHLO mta.example").startswith(b"250")
        assert say(b"MAIL FROM:<someone@elsewhere.example>").startswith(b"250")
        assert say(b"RCPT TO:<support@helpdesk.example>").startswith(b"250")
        assert say(b"RCPT TO:<helpdesk@helpdesk.example>").startswith(b"250")
        assert say(b"DATA").startswith(b"354")
        other = mail(sender="someone@elsewhere.example", message_id="<other@elsewhere.example>")
        sock.sendall(other.replace(b"\n", b"\r\n"))
        sock.sendall(b"\r\n.\r\n")
        replies = [reader.readline(), reader.readline()]
        assert all(r.startswith(b"250 2.0.0 stored") for r in replies), replies
    message = InboundMessage.objects.exclude(pk=message.pk).get()
    assert (message.status, message.reason) == (InboundStatus.QUARANTINED, "unknown sender")


def test_a_message_that_cannot_be_stored_now_is_deferred(monkeypatch):
    def down(self, raw):
        raise ConnectionError("database is down")

    monkeypatch.setattr(lmtp.IngestHandler, "ingest", down)
    envelope = SimpleNamespace(original_content=b"x", mail_from="a@b", rcpt_tos=["c@d"])
    status = asyncio.run(lmtp.IngestHandler().handle_DATA(None, None, envelope))
    assert status.startswith("451 ")  # the MTA keeps the message and tries again
