"""The outbox against a real SMTP server: the stored Message-ID, retries, never twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import close_old_connections, connection, transaction

from assistdesk.channels import sending, services
from assistdesk.channels.models import OutboxMessage, OutboxStatus
from assistdesk.channels.services import OutgoingAttachment
from assistdesk.common import scheduler

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)


def enqueue(n: int = 0, **overrides) -> OutboxMessage:
    fields = dict(
        to=[f"customer{n}@example.com"],
        subject=f"[AD#{n}] Request received",
        body_text=f"Body {n}\n",
        language="en",
        context_ref=f"ticket:{n}",
        now=NOW,
    )
    return services.outbox_enqueue(**{**fields, **overrides})


@pytest.mark.django_db
def test_enqueue_fixes_a_message_id_and_nudges_the_worker_on_commit(
    django_capture_on_commit_callbacks, settings
):
    settings.DEFAULT_FROM_EMAIL = "IT Helpdesk <support@helpdesk.example>"
    with django_capture_on_commit_callbacks() as callbacks:
        row = enqueue(1, in_reply_to="<CA+x@mail.gmail.com>", references=["<root@x>"])
    assert row.message_id.startswith("<ad.") and row.message_id.endswith("@helpdesk.example>")
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.PENDING, 0, NOW)
    assert len(callbacks) == 1
    assert enqueue(2).message_id != row.message_id


@pytest.mark.django_db
def test_enqueue_is_part_of_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(1)
        raise RuntimeError("the change that caused it failed")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("to", ["", [], ["not-an-address"]])
def test_enqueue_refuses_what_is_not_an_address(to):
    with pytest.raises(ValueError):
        enqueue(1, to=to)


@pytest.mark.django_db
def test_a_notification_is_rendered_and_queued():
    row = services.outbox_enqueue_notification(
        name="acknowledgement",
        language="ro",
        context={"ticket_number": 7, "origin": "email", "reason": "VPN", "severity": 2},
        to="ioana@agro-grup.ro",
        context_ref="ticket:7",
        now=NOW,
    )
    assert row.subject == "[AD#7] Solicitare înregistrată: VPN"
    assert (row.template, row.language) == ("acknowledgement", "ro")
    assert "2 (medie, parțial)" in row.body_text


@pytest.mark.django_db
def test_sent_with_the_stored_message_id_and_threading_headers(smtp):
    row = enqueue(
        1,
        in_reply_to="<CA+x@mail.gmail.com>",
        references=["<root@x>"],
        body_html="<p>Body 1</p>",
        attachments=[OutgoingAttachment("report.pdf", b"%PDF-1.4 x", "application/pdf")],
    )

    report = sending.send_due(now=NOW)

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [received] = smtp.received
    headers = received.headers
    assert received.rcpt_tos == ["customer1@example.com"]
    assert headers["Message-ID"] == row.message_id
    assert headers["In-Reply-To"] == "<CA+x@mail.gmail.com>"
    assert headers["References"] == "<root@x> <CA+x@mail.gmail.com>"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["Subject"] == "[AD#1] Request received"
    parts = [p.get_content_type() for p in headers.walk()]
    assert {"text/plain", "text/html", "application/pdf"} <= set(parts)
    row.refresh_from_db()
    assert (row.status, row.sent_at, row.attempts) == (OutboxStatus.SENT, NOW, 1)
    assert sending.send_due(now=NOW + timedelta(hours=1)).sent == 0


@pytest.mark.django_db
def test_retried_with_back_off_while_the_server_is_down_then_sent_once(smtp):
    rows = [enqueue(i) for i in range(3)]
    smtp.stop()

    report = sending.send_due(now=NOW)

    # The first attempt finds the server down; the rest keep their turn.
    assert (report.sent, report.retried) == (0, 1)
    first = OutboxMessage.objects.get(pk=rows[0].pk)
    assert (first.status, first.attempts) == (OutboxStatus.PENDING, 1)
    assert first.next_attempt_at == NOW + timedelta(minutes=1)
    assert "Connection refused" in first.last_error or "Errno" in first.last_error
    assert OutboxMessage.objects.filter(attempts=0).count() == 2

    # Still down a minute later: the next row in line gets its attempt.
    report = sending.send_due(now=NOW + timedelta(minutes=1))
    assert report.retried == 1
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 1, 1]

    smtp.start()
    report = sending.send_due(now=NOW + timedelta(minutes=3))

    assert report.sent == 3
    assert sorted(r.message_id for r in smtp.received) == sorted(r.message_id for r in rows)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert sending.send_due(now=NOW + timedelta(hours=2)).sent == 0
    assert len(smtp.received) == 3


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, timedelta(minutes=1)), (2, timedelta(minutes=2)), (3, timedelta(minutes=4)),
     (9, timedelta(minutes=256)), (10, timedelta(hours=6)), (99, timedelta(hours=6))],
)  # fmt: skip
def test_back_off_doubles_up_to_six_hours(attempts, wait):
    assert sending.backoff(attempts) == wait


@pytest.mark.django_db
def test_a_permanent_refusal_is_not_retried(smtp, monkeypatch):
    import smtplib

    row = enqueue(1)

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"customer1@example.com": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    report = sending.send_due(now=NOW)

    row.refresh_from_db()
    assert (report.failed, row.status, row.attempts) == (1, OutboxStatus.FAILED, 1)
    assert "550" in row.last_error


@pytest.mark.django_db
def test_a_row_is_given_up_after_the_last_attempt(smtp):
    row = enqueue(1)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=sending.MAX_ATTEMPTS - 1)
    smtp.stop()
    assert sending.send_due(now=NOW).failed == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, sending.MAX_ATTEMPTS)


@pytest.mark.django_db
def test_a_row_left_sending_by_a_dead_sender_is_resent_after_the_lease_with_the_same_id(smtp):
    row = enqueue(1)
    claimed = sending.claim_next(now=NOW)  # ...and the sender dies here
    assert claimed is not None and claimed.pk == row.pk
    assert sending.claim_next(now=NOW) is None
    assert sending.send_due(now=NOW + sending.SENDING_LEASE - timedelta(seconds=1)).sent == 0

    report = sending.send_due(now=NOW + sending.SENDING_LEASE + timedelta(seconds=1))

    assert report.sent == 1
    assert [r.message_id for r in smtp.received] == [row.message_id]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


@pytest.mark.django_db
def test_the_task_sends_and_the_scheduler_runs_it_every_minute(smtp):
    from assistdesk.channels.tasks import send_outbox

    enqueue(1)
    assert send_outbox.call() == {"sent": 1, "retried": 0, "failed": 0}
    jobs = {job.name: job for job in scheduler.jobs()}
    assert jobs["outbox-send"].cron == "* * * * *"
    assert jobs["outbox-send"].task_path == "assistdesk.channels.tasks.send_outbox"
    assert jobs["fetchmail"].task_path == "assistdesk.channels.tasks.fetch_mail"


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_never_send_a_row_twice(smtp):
    count = 40
    rows = [enqueue(i) for i in range(count)]
    # SQLite serialises writers, so a few threads are enough to race on the claims there.
    senders = 4 if connection.vendor == "sqlite" else 8
    barrier = threading.Barrier(senders)
    reports: list[sending.SendReport] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            barrier.wait()
            reports.append(sending.send_due(now=NOW))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(r.sent for r in reports) == count
    received = [r.message_id for r in smtp.received]
    assert sorted(received) == sorted(r.message_id for r in rows)  # each exactly once
    assert len(set(received)) == count
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    assert sum(1 for r in reports if r.sent) > 1, "the senders did not actually overlap"


def drain(now: datetime, *, until: datetime) -> datetime:
    """Run the sender every minute (as the scheduler does) until nothing is left to send."""
    while OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists():
        assert now < until, "the outbox did not drain"
        sending.send_due(now=now)
        now += timedelta(minutes=1)
    return now


@pytest.mark.django_db
def test_a_long_outage_every_queued_notification_goes_out_once_it_is_back(smtp):
    rows = [enqueue(i) for i in range(250)]
    smtp.stop()
    now = NOW
    for _ in range(5):  # down for five scheduler ticks
        sending.send_due(now=now)
        now += timedelta(minutes=1)
    assert not smtp.received
    assert not OutboxMessage.objects.filter(status=OutboxStatus.FAILED).exists()

    smtp.start()
    drain(now, until=now + timedelta(hours=1))

    received = Counter(r.message_id for r in smtp.received)
    assert set(received) == {r.message_id for r in rows}
    assert set(received.values()) == {1}  # none twice
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


@pytest.mark.django_db
def test_a_server_that_goes_away_mid_batch_loses_and_repeats_nothing(smtp):
    rows = [enqueue(i) for i in range(120)]
    smtp.collector.refuse_after = 40  # then "421 shutting down" for every message

    first = sending.send_due(now=NOW)
    assert first.sent == 40 and first.failed == 0
    smtp.collector.refuse_after = None  # back

    drain(NOW + timedelta(minutes=1), until=NOW + timedelta(hours=1))

    received = Counter(r.message_id for r in smtp.received)
    assert set(received) == {r.message_id for r in rows}
    assert set(received.values()) == {1}
