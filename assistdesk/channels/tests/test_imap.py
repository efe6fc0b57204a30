"""IMAP intake end to end, against Dovecot."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from assistdesk.channels import intake, routing, services
from assistdesk.channels.models import InboundMessage, InboundSource, InboundStatus, OutboxMessage
from assistdesk.channels.tests.conftest import eml
from assistdesk.common import readcache

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
CORPUS = [
    "plain_utf8_it.eml",
    "auto_reply_it.eml",
    "bounce_postfix.eml",
    "missing_message_id.eml",
    "html_xss.eml",
    "broken_mime.eml",
]


def test_fetch_stores_every_message_and_marks_it_seen_after_commit(imap, mailbox):
    for name in CORPUS:
        imap.append(eml(name))
    imap.append(eml("plain_utf8_it.eml"))  # delivered twice by the MTA

    report = intake.fetch_mailbox(mailbox, now=NOW)

    assert (report.fetched, report.stored, report.duplicates, report.errors) == (7, 6, 1, [])
    assert InboundMessage.objects.count() == 6
    assert set(InboundMessage.objects.values_list("source", flat=True)) == {InboundSource.IMAP}
    statuses = dict(InboundMessage.objects.values_list("subject", "status"))
    assert statuses["Undelivered Mail Returned to Sender"] == InboundStatus.IGNORED
    assert statuses["Risposta automatica: [AD#12] Password scaduta"] == InboundStatus.IGNORED
    assert statuses["Stampante non funziona"] == InboundStatus.QUARANTINED
    assert imap.search("UNSEEN") == [] and len(imap.search("SEEN")) == 7
    assert not OutboxMessage.objects.exists()  # nothing answered, least of all the robots
    mailbox.refresh_from_db()
    assert (mailbox.last_fetched_at, mailbox.last_error, mailbox.locked_until) == (NOW, "", None)

    again = intake.fetch_mailbox(mailbox, now=NOW + timedelta(minutes=1))
    assert (again.fetched, again.stored) == (0, 0)
    assert InboundMessage.objects.count() == 6


def test_the_raw_bytes_survive_the_round_trip(imap, mailbox):
    imap.append(eml("windows1252_it.eml"))
    intake.fetch_mailbox(mailbox, now=NOW)
    message = InboundMessage.objects.get()
    # IMAP speaks CRLF; the content is byte for byte the same otherwise.
    assert bytes(message.raw).replace(b"\r\n", b"\n") == eml("windows1252_it.eml")
    assert "1.200 € per il “server nuovo”" in message.body_text


def test_receipt_is_when_the_server_got_the_message(imap, mailbox):
    arrived = datetime(2025, 1, 7, 8, 41, 5, tzinfo=UTC)  # Dovecot clamps future dates
    imap.append(eml("plain_utf8_it.eml"), when=arrived)
    intake.fetch_mailbox(mailbox, now=NOW)
    assert InboundMessage.objects.get().received_at == arrived


def test_a_crash_before_the_seen_flag_is_redone_without_duplicates(imap, mailbox, monkeypatch):
    for name in CORPUS[:3]:
        imap.append(eml(name))

    def crash(*args, **kwargs):
        raise SystemExit("killed between commit and STORE \\Seen")

    monkeypatch.setattr(intake, "_mark_done", crash)
    with pytest.raises(SystemExit):
        intake.fetch_mailbox(mailbox, now=NOW)
    assert InboundMessage.objects.count() == 3
    assert len(imap.search("UNSEEN")) == 3  # committed, but the server still offers them
    monkeypatch.undo()

    report = intake.fetch_mailbox(mailbox, now=NOW + timedelta(minutes=1))

    assert (report.fetched, report.stored, report.duplicates) == (3, 0, 3)
    assert InboundMessage.objects.count() == 3
    assert imap.search("UNSEEN") == []


def test_a_failure_mid_batch_marks_nothing_seen(imap, mailbox, monkeypatch):
    for name in CORPUS[:4]:
        imap.append(eml(name))
    real_ingest = intake.inbound_ingest
    calls = []

    def failing_ingest(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real_ingest(**kwargs)

    monkeypatch.setattr(intake, "inbound_ingest", failing_ingest)
    with pytest.raises(RuntimeError):
        intake.fetch_mailbox(mailbox, now=NOW)
    assert InboundMessage.objects.count() == 0  # the batch is one transaction
    assert len(imap.search("UNSEEN")) == 4
    mailbox.refresh_from_db()
    assert mailbox.locked_until is None  # the lease does not outlive the run
    monkeypatch.undo()

    report = intake.fetch_mailbox(mailbox, now=NOW)
    assert (report.stored, report.duplicates) == (4, 0)
    assert InboundMessage.objects.count() == 4


def test_a_router_failing_mid_batch_costs_one_message_not_the_batch(imap, mailbox, monkeypatch):
    # The batch runs without a savepoint per message; the failure rolls it back and it
    # runs again with them: the others are stored once, the failing one waits.
    for name in ("plain_utf8_it.eml", "html_xss.eml", "missing_message_id.eml"):
        imap.append(eml(name))
    tries = []
    real_decide = routing.decide

    def decide(message, *, now):
        tries.append(message.subject)
        if message.subject == "Stampante non funziona":
            raise RuntimeError("bug in the router")
        return real_decide(message, now=now)

    monkeypatch.setattr(routing, "decide", decide)
    report = intake.fetch_mailbox(mailbox, now=NOW)

    assert (report.fetched, report.stored, report.errors) == (3, 3, [])
    assert len(tries) > 3  # a second run of the batch
    assert InboundMessage.objects.count() == 3
    failed = InboundMessage.objects.get(subject="Stampante non funziona")
    assert failed.status == InboundStatus.QUARANTINED
    assert failed.reason.startswith("routing failed: RuntimeError")
    assert imap.search("UNSEEN") == []


def test_a_message_another_worker_stored_meanwhile_is_found_at_the_batchs_end(
    imap, mailbox, monkeypatch
):
    # The batch's rows go in together at its end; one of them was stored by another
    # worker after the batch looked: the batch runs again with savepoints, once each.
    imap.append(eml("plain_utf8_it.eml"))
    imap.append(eml("html_xss.eml"))
    services.inbound_ingest(raw=eml("plain_utf8_it.eml"), source=InboundSource.PIPE, now=NOW)
    real_prefetch, tries = intake.inbound_prefetch, []

    def looked_too_early(batch):
        tries.append(len(batch))
        real_prefetch(batch)
        readcache.remember(("inbound-message-id", "<20250303091240.4711@edil-rossi.it>"), False)

    monkeypatch.setattr(intake, "inbound_prefetch", looked_too_early)
    report = intake.fetch_mailbox(mailbox, now=NOW)

    assert (report.fetched, report.stored, report.duplicates, report.errors) == (2, 1, 1, [])
    assert tries == [2, 2]  # the batch ran twice
    assert InboundMessage.objects.count() == 2
    assert imap.search("UNSEEN") == []


def test_many_batches_are_parsed_ahead_and_stored_in_order(imap, mailbox):
    for n in range(7):
        imap.append(eml("plain_utf8_it.eml").replace(b"4711@", f"{n}x@".encode()))
    report = intake.fetch_mailbox(mailbox, now=NOW, batch_size=2)  # 4 batches
    assert (report.fetched, report.stored, report.errors) == (7, 7, [])
    ids = list(InboundMessage.objects.order_by("id").values_list("message_id", flat=True))
    assert ids == [f"<20250303091240.{n}x@edil-rossi.it>" for n in range(7)]
    assert imap.search("UNSEEN") == []


def test_messages_move_to_the_processed_folder(imap, mailbox):
    mailbox.processed_folder = "Processed"
    mailbox.save()
    imap.append(eml("plain_utf8_it.eml"))
    imap.append(eml("mailing_list.eml"))

    report = intake.fetch_mailbox(mailbox, now=NOW)

    assert report.stored == 2
    assert imap.search("ALL") == []
    assert sorted(imap.message_ids(folder="Processed")) == [
        "<20250303091240.4711@edil-rossi.it>",
        "<news-2025-03@vendor.example>",
    ]
    assert len(imap.search("SEEN", folder="Processed")) == 2


def test_the_limit_leaves_the_rest_for_the_next_run(imap, mailbox):
    for name in CORPUS:
        imap.append(eml(name))
    assert intake.fetch_mailbox(mailbox, now=NOW, limit=4).stored == 4
    assert len(imap.search("UNSEEN")) == 2
    assert intake.fetch_mailbox(mailbox, now=NOW, limit=4).stored == 2


def test_a_message_read_by_someone_else_meanwhile_is_not_fetched(imap, mailbox):
    imap.append(eml("plain_utf8_it.eml"))
    client = imap.server.connect()
    client.select("INBOX")
    client.store("1", "+FLAGS", r"(\Seen)")
    client.logout()
    assert intake.fetch_mailbox(mailbox, now=NOW).fetched == 0


def test_a_wrong_password_is_reported_not_raised(imap, mailbox):
    mailbox.password = "wrong"
    mailbox.save()
    report = intake.fetch_mailbox(mailbox, now=NOW)
    assert report.fetched == 0 and report.errors
    mailbox.refresh_from_db()
    assert "Login" in mailbox.last_error or "AUTHENTICATIONFAILED" in mailbox.last_error
    assert mailbox.locked_until is None


@contextmanager
def held_elsewhere(mailbox):
    """Another worker (a thread with its own database connection) holds the fetch lock."""
    taken, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with intake.mailbox_lock(mailbox.pk) as held:
                assert held
                taken.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_a_mailbox_being_fetched_elsewhere_is_skipped(imap, mailbox):
    imap.append(eml("plain_utf8_it.eml"))
    with held_elsewhere(mailbox):
        report = intake.fetch_mailbox(mailbox, now=NOW)
    assert report.fetched == 0 and report.errors == ["another worker is fetching this mailbox"]
    assert intake.fetch_mailbox(mailbox, now=NOW).stored == 1


def test_a_lease_left_by_a_killed_worker_does_not_block_the_mailbox(imap, mailbox):
    # The lock died with its process; the "being fetched until" it wrote stays behind.
    imap.append(eml("plain_utf8_it.eml"))
    type(mailbox).objects.filter(pk=mailbox.pk).update(locked_until=NOW + timedelta(minutes=9))
    assert intake.fetch_mailbox(mailbox, now=NOW).stored == 1


def test_fetchmail_command_and_task_poll_every_active_mailbox(imap, mailbox, capsys):
    from assistdesk.channels.tasks import fetch_mail

    imap.append(eml("plain_utf8_it.eml"))
    call_command("fetchmail")
    assert "support: 1 fetched, 1 stored, 0 already stored" in capsys.readouterr().out

    imap.append(eml("base64_utf8_ro.eml"))
    assert fetch_mail.call() == {"mailboxes": 1, "stored": 1, "duplicates": 0, "errors": 0}

    mailbox.is_active = False
    mailbox.save()
    imap.append(eml("windows1252_it.eml"))
    assert fetch_mail.call()["mailboxes"] == 0
