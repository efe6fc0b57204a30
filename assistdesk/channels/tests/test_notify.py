"""Ticket changes notify the customer through the outbox, in the change's transaction."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from pypdf import PdfReader

from assistdesk.channels import notify, sending
from assistdesk.channels.models import InboundSource, OutboxAttachment, OutboxMessage
from assistdesk.channels.notices import notices_hand_over
from assistdesk.channels.services import inbound_ingest
from assistdesk.channels.tests.mailworld import ARRIVED, NOW, build_world, mail
from assistdesk.contracts.models import AllowanceNotice
from assistdesk.tickets import services as tickets
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
LATER = NOW + timedelta(hours=1)


@pytest.fixture(autouse=True)
def _media_and_sender(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEFAULT_FROM_EMAIL = "IT Helpdesk <support@helpdesk.example>"


@pytest.fixture
def ticket() -> Ticket:
    build_world()
    inbound_ingest(raw=mail(), source=InboundSource.PIPE, received_at=ARRIVED, now=NOW)
    return Ticket.objects.get()


@pytest.fixture
def luca():
    return StaffFactory(username="luca", first_name="Luca", last_name="Bruno")


def queued(template: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template=template).order_by("pk"))


def test_every_notification_is_threaded_tagged_and_in_the_requesters_language(ticket, luca):
    tickets.ticket_reply(ticket=ticket, body="Riavvii la stampante.", author_user=luca,
                         actor="user:luca", now=LATER)  # fmt: skip
    for row in OutboxMessage.objects.all():
        assert row.to == ["Marco.Rossi@edil-rossi.it"] and row.language == "it"
        assert row.subject.startswith(f"[AD#{ticket.number}]")
        assert row.context_ref == f"ticket:{ticket.pk}"
        # RFC 3834: what a program wrote is auto-submitted, a technician's answer is not.
        assert row.is_auto_submitted == (row.template != "reply")
        assert (row.in_reply_to, row.references) == (
            "<req-1@edil-rossi.it>", ["<req-1@edil-rossi.it>"],
        )  # fmt: skip
    assert [r.template for r in OutboxMessage.objects.order_by("pk")] == [
        "acknowledgement", "work_started", "reply",
    ]  # fmt: skip


def test_acknowledgement_has_number_origin_reason_and_severity(ticket):
    (ack,) = queued("acknowledgement")
    assert str(ticket.number) in ack.body_text
    assert "e-mail" in ack.body_text and "Stampante non funziona" in ack.body_text
    assert "3 (bassa, segnalazione)" in ack.body_text


def test_confirmation_of_intervention_gives_date_mode_and_duration(ticket, luca):
    tickets.ticket_confirm_intervention(
        ticket=ticket, planned_at=NOW + timedelta(days=1), mode="onsite", expected_minutes=90,
        author_user=luca, actor="user:luca", now=LATER,
    )  # fmt: skip
    (row,) = queued("confirmation")
    assert "mercoledì 15 aprile 2026, 12:00" in row.body_text  # Rome time, in Italian
    assert "presso la vostra sede" in row.body_text and "1:30" in row.body_text


def test_clarification_asks_the_question_and_work_started_goes_once(ticket, luca):
    tickets.ticket_reply(ticket=ticket, body="Guardo subito.", author_user=luca,
                         actor="user:luca", now=LATER)  # fmt: skip
    tickets.ticket_wait_for_customer(
        ticket=ticket, reason="Che modello è la stampante?", actor="user:luca", now=LATER
    )
    tickets.ticket_customer_reply(ticket=ticket, body="HP M404", actor="contact", now=LATER)
    (question,) = queued("clarification")
    assert "Che modello è la stampante?" in question.body_text
    assert len(queued("work_started")) == 1  # waiting → in progress is not "work starts"


def test_resolution_carries_the_whole_public_dialogue(ticket, luca):
    tickets.ticket_reply(ticket=ticket, body="Riavvii la stampante.", author_user=luca,
                         actor="user:luca", now=LATER)  # fmt: skip
    tickets.ticket_reply(ticket=ticket, body="Nota interna: toner", is_public=False,
                         author_user=luca, actor="user:luca", now=LATER)  # fmt: skip
    tickets.ticket_resolve(ticket=ticket, reason="Driver reinstallato.", actor="u", now=LATER)
    (row,) = queued("resolution")
    body = row.body_text
    assert "Driver reinstallato." in body
    assert body.index("la stampante non stampa più") < body.index("Riavvii la stampante.")
    assert "Marco Rossi" in body and "Luca Bruno" in body
    assert "Nota interna" not in body  # internal notes stay internal
    assert len(queued("reply")) == 1


def test_intervention_report_is_printed_to_pdf_when_sent(ticket, luca, smtp):
    tickets.intervention_log(
        ticket=ticket, technician=luca, mode="remote", activity="support",
        start_at=NOW, end_at=NOW + timedelta(minutes=40), description="Driver reinstallato.",
        resolved=True, actor="user:luca", now=LATER,
    )  # fmt: skip
    (row,) = queued("intervention_report")
    assert "Driver reinstallato." in row.body_text and "Luca Bruno" in row.body_text
    snapshot = OutboxAttachment.objects.get(outbox=row)
    assert snapshot.is_html_for_pdf and b"<html" in bytes(snapshot.content).lower()

    assert sending.send_due(now=LATER).sent == len(OutboxMessage.objects.all())

    snapshot.refresh_from_db()
    assert not snapshot.is_html_for_pdf and bytes(snapshot.content).startswith(b"%PDF")
    (sent,) = [r for r in smtp.received if r.message_id == row.message_id]
    parts = {p.get_filename(): p for p in sent.headers.walk() if p.get_filename()}
    pdf = parts[f"{ticket.reference}-intervention-1.pdf"].get_payload(decode=True)
    text = PdfReader(__import__("io").BytesIO(pdf)).pages[0].extract_text()
    assert ticket.reference in text


def test_sent_notifications_tell_robots_not_to_answer(ticket, smtp):
    sending.send_due(now=LATER)
    (received,) = smtp.received
    headers = received.headers
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Auto-Response-Suppress"] == "All"
    assert headers["In-Reply-To"] == "<req-1@edil-rossi.it>"
    assert headers["Subject"].startswith(f"[AD#{ticket.number}]")


def test_a_rolled_back_change_leaves_no_notification(ticket):
    before = OutboxMessage.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        tickets.ticket_resolve(ticket=ticket, reason="x", actor="u", now=LATER)
        raise RuntimeError("the caller's work failed after the change")
    assert OutboxMessage.objects.count() == before


def test_a_broken_template_does_not_stop_the_work(ticket, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ValueError("template error")

    monkeypatch.setattr(notify, "outbox_enqueue_notification", broken)
    tickets.ticket_resolve(ticket=ticket, reason="Fatto.", actor="u", now=LATER)
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    assert "no transition notification" in caplog.text


def test_a_ticket_without_a_requester_address_sends_nothing(ticket):
    ticket.requester.email = ""
    ticket.requester.save()
    OutboxMessage.objects.all().delete()
    tickets.ticket_resolve(ticket=ticket, reason="Fatto.", actor="u", now=LATER)
    assert not OutboxMessage.objects.exists()


def test_low_and_expiring_balance_notices_are_handed_over_once():
    from assistdesk.catalog.tests.factories import package_plan
    from assistdesk.contracts import services as contracts
    from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory

    studio = CustomerFactory(country="IT", currency="EUR", language="it", name="Studio Verde")
    ContactFactory(customer=studio, email="conti@verde.it", is_accounting=True, name="Conti")
    ContactFactory(customer=studio, email="boss@verde.it", is_authorised=True)
    plan = package_plan("remote12", low_balance_notice_minutes=120)
    contracts.package_purchase(customer=studio, plan=plan, purchased_on=date(2026, 3, 10),
                               actor="sales", now=NOW)  # fmt: skip
    contracts.allowance_debit(customer=studio, minutes=Decimal(630), at=NOW, ref="T1",
                              rate_key="remote", mode="remote", actor="t", now=NOW)  # fmt: skip
    (notice,) = AllowanceNotice.objects.all()

    assert notices_hand_over(now=LATER) == 1
    assert notices_hand_over(now=LATER) == 0
    (row,) = OutboxMessage.objects.all()
    assert row.to == ["conti@verde.it"] and row.template == "low_balance"
    assert "1.5 h" in row.body_text and "10 marzo 2027" in row.body_text
    notice.refresh_from_db()
    assert notice.handed_over_at == LATER
