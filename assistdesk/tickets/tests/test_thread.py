"""The thread: messages, confirmations, attachments with safe names, sanitised HTML,
and what the rest of the system hears about it (signals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory
from assistdesk.tickets import services
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import EventKind, Message, MessageKind, TicketEvent
from assistdesk.tickets.models.thread import safe_file_name
from assistdesk.tickets.selectors import ticket_for_customer, ticket_for_mail_ids, ticket_thread
from assistdesk.tickets.signals import ticket_event_committed, ticket_event_recorded
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import open_ticket


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\scan 01.jpg", "scan_01.jpg"),
        ("..", "attachment"),
        (".htaccess", "htaccess"),
        ("bad\x00name\n.txt", "badname.txt"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_file_names_are_made_safe(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


def test_the_request_and_the_thread(annual: Setup) -> None:
    ticket = open_ticket(
        annual.customer,
        requester=annual.contact,
        body="The printer is offline.",
        body_html='<p onclick="x()">The printer <b>is</b> offline.<script>alert(1)</script></p>',
        mail_message_id="<abc@mail.example>",
        received_at=at("2026-04-14 09:00"),
    )
    request = Message.objects.get(ticket=ticket)
    assert (request.kind, request.author_contact, request.sent_at) == (
        MessageKind.REQUEST,
        annual.contact,
        at("2026-04-14 09:00"),
    )
    assert request.body_html == "<p>The printer <b>is</b> offline.</p>"
    note = services.ticket_reply(
        ticket=ticket, body="check toner", is_public=False, actor="x", now=at("2026-04-14 09:10")
    )
    reply = services.ticket_reply(
        ticket=ticket, body="On it", actor="x", now=at("2026-04-14 09:20")
    )
    assert [m.pk for m in ticket_thread(ticket=ticket)] == [request.pk, note.pk, reply.pk]
    assert [m.pk for m in ticket_thread(ticket=ticket, include_internal=False)] == [
        request.pk,
        reply.pk,
    ]
    assert ticket_for_mail_ids(message_ids=["<abc@mail.example>"], customer_id=ticket.customer_id)
    assert ticket_for_mail_ids(message_ids=["<abc@mail.example>"], customer_id=0) is None
    assert ticket_for_customer(number=ticket.number, customer_id=ticket.customer_id) == ticket
    assert ticket_for_customer(number=ticket.number, customer_id=CustomerFactory().pk) is None
    with pytest.raises(TicketError, match=r"^body: "):
        services.ticket_reply(ticket=ticket, body="  ", actor="x", now=at("2026-04-14 09:30"))


def test_a_confirmation_of_intervention_says_when_how_and_how_long(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    message = services.ticket_confirm_intervention(
        ticket=ticket,
        planned_at=at("2026-04-15 10:00"),
        mode="onsite",
        expected_minutes=90,
        actor="x",
        now=at("2026-04-14 11:00"),
    )
    assert message.body_text == (
        f"Confirmation of intervention for {ticket.reference}: on site, planned on "
        "2026-04-15 at 10:00, expected to take about 90 minutes."
    )
    ticket.refresh_from_db()
    assert ticket.state == "acknowledged"
    with pytest.raises(TicketError, match=r"^mode: "):
        services.ticket_confirm_intervention(
            ticket=ticket, planned_at=at("2026-04-15 10:00"), mode="fax", expected_minutes=9,
            actor="x", now=at("2026-04-14 11:00"),
        )  # fmt: skip


def test_a_customer_message_from_another_customer_is_refused(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    stranger = ContactFactory(customer=CustomerFactory())
    with pytest.raises(TicketError, match=r"^contact: "):
        services.ticket_customer_reply(
            ticket=ticket, body="hi", contact=stranger, actor="x", now=at("2026-04-14 10:00")
        )
    message = services.ticket_reply(
        ticket=ticket, body="It works", author_contact=annual.contact, actor="user:2",
        now=at("2026-04-14 10:00"),
    )  # fmt: skip
    assert (message.kind, message.author_contact) == (MessageKind.CUSTOMER_REPLY, annual.contact)


def test_attachments_are_stored_under_media_root_with_safe_names(
    annual: Setup, media_root: Path
) -> None:
    ticket = open_ticket(annual.customer, body="see attached", received_at=at("2026-04-14 09:00"))
    message = Message.objects.get(ticket=ticket)
    attachment = services.message_attach(
        message=message,
        name="../../evil.sh",
        content=b"#!/bin/sh\n",
        content_type="text/x-sh",
        actor="system:mail",
        now=at("2026-04-14 09:01"),
    )
    path = Path(attachment.file.path).resolve()
    assert path.is_relative_to(media_root.resolve())
    assert path.name == "evil.sh" and path.read_bytes() == b"#!/bin/sh\n"
    assert (attachment.name, attachment.size) == ("evil.sh", 10)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ATTACHMENT).exists()


def test_files_come_with_the_request_or_several_at_once_with_one_event_each(
    annual: Setup, media_root: Path, django_assert_max_num_queries: Any
) -> None:
    ticket = open_ticket(
        annual.customer,
        body="scan attached",
        files=[services.NewFile("scan.pdf", b"%PDF-1", "application/pdf")],
        received_at=at("2026-04-14 09:00"),
    )
    request = Message.objects.get(ticket=ticket)
    assert [(a.name, a.size) for a in request.attachments.all()] == [("scan.pdf", 6)]
    with django_assert_max_num_queries(6):  # lock, rows, events: not per file
        both = services.message_attach_files(
            message=request,
            files=[services.NewFile("a.txt", b"a"), services.NewFile("../b.txt", b"bb")],
            actor="system:mail",
            now=at("2026-04-14 09:01"),
        )
    assert [Path(a.file.path).read_bytes() for a in both] == [b"a", b"bb"]
    events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ATTACHMENT).order_by("id")
    assert [e.data["name"] for e in events] == ["scan.pdf", "a.txt", "b.txt"]
    assert [e.data["attachment"] for e in events][1:] == [a.pk for a in both]
    reply = services.ticket_customer_reply(
        ticket=ticket, body="and the log", files=[services.NewFile("log.txt", b"x")],
        actor="contact:1", now=at("2026-04-14 09:02"),
    )  # fmt: skip
    assert [(a.name, a.message_id) for a in reply.attachments.all()] == [("log.txt", reply.pk)]
    with pytest.raises(TicketError, match=r"^files: "):
        open_ticket(
            annual.customer, files=[services.NewFile("x.txt", b"x")],
            received_at=at("2026-04-14 09:00"),
        )  # fmt: skip


def test_events_are_announced_inside_the_transaction_and_after_commit(
    annual: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    recorded: list[str] = []
    committed: list[str] = []

    def on_recorded(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
        recorded.append(event.kind)
        assert transaction.get_connection().in_atomic_block

    def on_committed(sender: Any, event: TicketEvent, **kwargs: Any) -> None:
        committed.append(event.kind)

    ticket_event_recorded.connect(on_recorded)
    ticket_event_committed.connect(on_committed)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
        assert committed == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        ticket_event_recorded.disconnect(on_recorded)
        ticket_event_committed.disconnect(on_committed)
    assert recorded == committed == ["created"]
