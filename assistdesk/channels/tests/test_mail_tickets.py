"""Mail becomes tickets and replies: threading, the customer check, attachments, quarantine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistdesk.channels import mailtickets, routing, services
from assistdesk.channels.models import InboundMessage, InboundSource, InboundStatus, OutboxMessage
from assistdesk.channels.tests.conftest import eml
from assistdesk.channels.tests.mailworld import (
    ARRIVED,
    NOW,
    build_world,
    mail,
    other_customer_contact,
    quoted_reply,
)
from assistdesk.tickets.models import Attachment, Message, MessageKind, Ticket
from assistdesk.tickets.services import ticket_close, ticket_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_sender(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEFAULT_FROM_EMAIL = "IT Helpdesk <support@helpdesk.example>"


@pytest.fixture
def world():
    return build_world()


def ingest(raw: bytes, *, at=ARRIVED, now=NOW) -> InboundMessage:
    return services.inbound_ingest(
        raw=raw, source=InboundSource.PIPE, received_at=at, now=now
    ).message


def first_ticket(world) -> Ticket:
    message = ingest(mail())
    assert message.status == InboundStatus.TICKET, message.reason
    return Ticket.objects.get(pk=int(message.result_ref.split(":")[1]))


def test_a_request_from_an_authorised_contact_opens_an_acknowledged_ticket(world):
    message = ingest(mail())

    ticket = Ticket.objects.get()
    assert (message.status, message.result_ref) == (InboundStatus.TICKET, f"ticket:{ticket.pk}")
    assert (ticket.customer, ticket.requester, ticket.origin) == (world.rossi, world.marco, "email")
    assert ticket.received_at == ARRIVED  # the SLA clocks start at the mail's arrival
    assert (ticket.subject, ticket.state, ticket.contract.plan) == (
        "Stampante non funziona", "acknowledged", world.plan,
    )  # fmt: skip
    request = Message.objects.get(ticket=ticket)
    assert request.kind == MessageKind.REQUEST and request.author_contact == world.marco
    assert request.mail_message_id == "<req-1@edil-rossi.it>"
    # Signature cut for the thread; the whole original stays with the inbound message.
    assert request.body_text == "Buongiorno, la stampante non stampa più."
    assert "Edil Rossi S.r.l." in message.body_text

    (ack,) = OutboxMessage.objects.all()
    assert ack.template == "acknowledgement" and ack.language == "it"
    assert ack.to == ["Marco.Rossi@edil-rossi.it"] and ack.context_ref == f"ticket:{ticket.pk}"
    assert ack.subject.startswith(f"[AD#{ticket.number}] ")
    assert ack.in_reply_to == "<req-1@edil-rossi.it>"  # threads under the customer's mail
    assert "Stampante non funziona" in ack.body_text and "e-mail" in ack.body_text


def test_the_same_mail_twice_opens_one_ticket():
    build_world()
    ingest(mail())
    again = services.inbound_ingest(raw=mail(), source=InboundSource.IMAP, now=NOW)
    assert not again.created
    assert Ticket.objects.count() == 1 and OutboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    "threading",
    [
        "in-reply-to the request",
        "references the request",
        "in-reply-to our acknowledgement",
        "tag in the subject",
        "tag, unknown ids",
    ],
)
def test_a_reply_finds_its_ticket(world, threading):
    ticket = first_ticket(world)
    ack_id = OutboxMessage.objects.get().message_id
    headers: dict = {
        "in-reply-to the request": dict(in_reply_to="<req-1@edil-rossi.it>"),
        "references the request": dict(references=("<req-1@edil-rossi.it>", "<x@y>")),
        "in-reply-to our acknowledgement": dict(in_reply_to=ack_id),
        "tag in the subject": dict(subject=f"R: [AD#{ticket.number}] Stampante"),
        "tag, unknown ids": dict(subject=f"[AD#{ticket.number}] Stampante", in_reply_to="<lost@x>"),
    }[threading]
    text = quoted_reply("Ora funziona, grazie.", "Abbiamo ricevuto la sua richiesta.")

    message = ingest(mail(text=text, message_id="<reply-1@edil-rossi.it>", **headers))

    assert message.status == InboundStatus.REPLY, message.reason
    reply = Message.objects.get(ticket=ticket, kind=MessageKind.CUSTOMER_REPLY)
    assert message.result_ref == f"ticket-message:{reply.pk}"
    assert reply.body_text == "Ora funziona, grazie."  # the quote is cut for the thread
    assert "Abbiamo ricevuto" in message.body_text  # ...and kept whole on the mail
    assert reply.sent_at == ARRIVED and reply.mail_message_id == "<reply-1@edil-rossi.it>"
    assert Ticket.objects.count() == 1
    assert OutboxMessage.objects.count() == 1  # a customer's reply is not acknowledged


def test_a_follow_up_on_the_customers_own_reply_threads_too(world):
    ticket = first_ticket(world)
    ingest(mail(message_id="<reply-1@edil-rossi.it>", in_reply_to="<req-1@edil-rossi.it>"))
    message = ingest(
        mail(
            subject="Re: Stampante non funziona",
            message_id="<reply-2@edil-rossi.it>",
            in_reply_to="<reply-1@edil-rossi.it>",
        )
    )
    assert message.status == InboundStatus.REPLY
    assert Message.objects.filter(ticket=ticket).count() == 3


@pytest.mark.parametrize("how", ["tag", "message-id"])
def test_a_sender_of_another_customer_never_reaches_the_ticket(world, how):
    ticket = first_ticket(world)
    pointer = (
        dict(subject=f"Re: [AD#{ticket.number}] Stampante")
        if how == "tag"
        else dict(in_reply_to="<req-1@edil-rossi.it>")
    )
    message = ingest(
        mail(sender="anna@studio-verde.it", message_id="<x-1@studio-verde.it>", **pointer)
    )

    assert message.status == InboundStatus.QUARANTINED
    assert message.reason == f"{mailtickets.REASON_OTHER_CUSTOMER} (by {how})"
    assert Message.objects.filter(ticket=ticket).count() == 1  # nothing attached
    assert Ticket.objects.count() == 1  # and no ticket opened with the copied tag
    assert OutboxMessage.objects.count() == 1


def test_an_unknown_sender_with_a_valid_tag_waits_in_the_quarantine(world):
    ticket = first_ticket(world)
    message = ingest(
        mail(sender="someone@elsewhere.example", subject=f"[AD#{ticket.number}] hello",
             message_id="<u-1@elsewhere.example>")
    )  # fmt: skip
    assert (message.status, message.reason) == (InboundStatus.QUARANTINED, "unknown sender")
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_a_contact_who_is_not_authorised_may_answer_but_not_open_a_request(world):
    ticket = first_ticket(world)
    new = ingest(mail(sender="giulia@edil-rossi.it", message_id="<g-1@edil-rossi.it>"))
    assert (new.status, new.reason) == (InboundStatus.QUARANTINED, routing.REASON_NOT_AUTHORISED)

    answer = ingest(
        mail(sender="giulia@edil-rossi.it", message_id="<g-2@edil-rossi.it>",
             subject=f"Re: [AD#{ticket.number}] Stampante", text="Il modello è HP M404.")
    )  # fmt: skip
    assert answer.status == InboundStatus.REPLY
    reply = Message.objects.get(ticket=ticket, kind=MessageKind.CUSTOMER_REPLY)
    assert reply.author_contact == world.giulia


def test_released_after_the_contact_is_authorised(world):
    waiting = ingest(mail(sender="giulia@edil-rossi.it", message_id="<g-1@edil-rossi.it>"))
    world.giulia.is_authorised = True
    world.giulia.save()
    route = services.inbound_release(message_pk=waiting.pk, actor="dispatcher", now=NOW)
    assert route is not None and route.status == InboundStatus.TICKET
    assert Ticket.objects.get().requester == world.giulia


def test_a_contact_of_several_customers_is_placed_by_the_thread(world):
    ticket = first_ticket(world)
    other_customer_contact("marco.rossi@edil-rossi.it")  # also a contact elsewhere

    reply = ingest(mail(message_id="<r-9@edil-rossi.it>", in_reply_to="<req-1@edil-rossi.it>"))
    new = ingest(mail(message_id="<n-9@edil-rossi.it>", subject="Another thing"))

    assert reply.status == InboundStatus.REPLY
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert (new.status, new.reason) == (InboundStatus.QUARANTINED, routing.REASON_AMBIGUOUS_SENDER)


def test_a_plan_that_takes_no_mail_keeps_the_request_for_a_dispatcher(world):
    message = ingest(mail(sender="paolo@bar-sport.it", message_id="<p-1@bar-sport.it>"))
    assert message.status == InboundStatus.QUARANTINED
    assert message.reason.startswith("refused by the ticket") and "email" in message.reason
    assert not Ticket.objects.exists()


def test_a_reply_to_a_closed_ticket_waits_for_a_dispatcher(world):
    ticket = first_ticket(world)
    ticket_close(ticket=ticket, reason="done", actor="test", now=NOW + timedelta(hours=1))
    message = ingest(
        mail(message_id="<late@edil-rossi.it>", in_reply_to="<req-1@edil-rossi.it>"),
        now=NOW + timedelta(hours=2),
    )
    assert message.status == InboundStatus.QUARANTINED
    assert message.reason == f"{mailtickets.REASON_CLOSED} ({ticket.reference})"


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ("Confermo, grazie.", "closed"),
        ("confirm", "closed"),
        ("Riapri: la stampante si blocca ancora.", "reopened"),
        ("Grazie mille!", "resolved"),
    ],
)
def test_the_requester_confirms_or_reopens_a_resolved_ticket_by_mail(world, answer, state):
    ticket = first_ticket(world)
    later = NOW + timedelta(hours=3)
    ticket_resolve(ticket=ticket, reason="Driver reinstalled.", actor="test", now=later)
    message = ingest(
        mail(subject=f"Re: [AD#{ticket.number}] Stampante", message_id="<c-1@edil-rossi.it>",
             text=quoted_reply(answer, "Riteniamo risolta la sua richiesta.")),
        at=later, now=later,
    )  # fmt: skip
    ticket.refresh_from_db()
    assert message.status == InboundStatus.REPLY
    assert ticket.state == state


def test_attachments_are_stored_with_safe_names_and_oversize_ones_are_noted(world, monkeypatch):
    monkeypatch.setattr(mailtickets, "MAX_ATTACHMENT_BYTES", 100)
    raw = mail(
        attachments=(
            ("../../etc/passwd", b"root:x:0:0", "text/plain"),
            ("fattura\u202etxt.exe", b"MZ" + b"\0" * 10, "application/octet-stream"),
            ("scan.pdf", b"%PDF-1.4 " + b"x" * 200, "application/pdf"),
        )
    )
    ingest(raw)
    request = Message.objects.get()
    names = sorted(Attachment.objects.filter(message=request).values_list("name", flat=True))
    assert names == ["fatturatxt.exe", "passwd"]
    assert "[attachment not stored, over the size limit: scan.pdf" in request.body_text
    stored = Attachment.objects.get(name="passwd")
    assert stored.file.read() == b"root:x:0:0" and "/" not in stored.name
    # The same bytes in another mail: another attachment, the same file, written once.
    ingest(
        mail(
            message_id="<copy@edil-rossi.it>",
            attachments=(("copy.txt", b"root:x:0:0", "text/plain"),),
        )
    )
    copy = Attachment.objects.get(name="copy.txt")
    assert copy.file.name == stored.file.name and copy.file.name.startswith("mail/")


def test_inline_images_are_kept_with_the_message(world):
    raw = eml("inline_image_outlook.eml").replace(
        b"sarah.clarke@harbour-dental.co.uk", b"marco.rossi@edil-rossi.it"
    )
    ingest(raw)
    request = Message.objects.get()
    image = Attachment.objects.get(message=request)
    assert image.name == "image001.png" and image.content_type == "image/png"
    assert image.file.read().startswith(b"\x89PNG")
    assert "tracker.example" not in request.body_html  # no read receipt for the sender


def test_a_monitoring_mail_opens_a_ticket_that_nobody_answers(world):
    raw = eml("monitoring_alert.eml")
    other_customer_contact("noreply@monitor.acme-logistics.co.uk")
    message = ingest(raw)
    assert message.status == InboundStatus.TICKET and message.must_not_answer
    assert Ticket.objects.get().state == "new"
    assert not OutboxMessage.objects.exists()


def test_a_message_whose_html_holds_scripts_is_stored_sanitised(world):
    raw = eml("html_xss.eml").replace(b"evil@attacker.example", b"marco.rossi@edil-rossi.it")
    ingest(raw)
    html = Message.objects.get().body_html
    assert "Please pay" in html and "https://example.com/ok" in html
    lowered = html.lower()
    for dangerous in ("<script", "onerror", "onload", "onclick", "onmouseover", "javascript:",
                      "<iframe", "<svg", "<form", "document.cookie"):  # fmt: skip
        assert dangerous not in lowered
