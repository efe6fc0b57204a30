"""Tickets on the portal: the public thread only, replies, opening a request (authorised
contacts only, origin web, severity, files), confirming (closes and rates) and reopening
(with a reason). Each write is also tried on company B's ticket: refused, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assistdesk.portal.tests.conftest import World, later, signed_in
from assistdesk.tickets import services
from assistdesk.tickets.models import Message, Ticket, TicketEvent, TicketRating
from assistdesk.tickets.selectors import ticket_rating

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


def snapshot(ticket: Ticket) -> tuple[Any, ...]:
    """What a refused write must leave as it was."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.state,
        fresh.closed_at,
        Message.objects.filter(ticket=ticket).count(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        TicketRating.objects.filter(ticket=ticket).count(),
    )


# --- the ticket page ------------------------------------------------------------------------


def test_ticket_page_shows_the_public_thread_never_internal_notes(
    alfa: Client, world: World
) -> None:
    ticket = world.a.resolved_ticket
    body = text(alfa.get(reverse("portal:ticket", args=[ticket.number])))
    assert ticket.subject in body
    assert "The invoicing program does not start." in body  # the request
    assert "We are connecting to your server now." in body  # the public reply
    assert "SECRET" not in body  # the internal note
    assert "internal.txt" not in body
    assert reverse("portal:report-pdf", args=[world.a.intervention.pk]) in body
    # denial
    other = alfa.get(reverse("portal:ticket", args=[world.b.resolved_ticket.number]))
    assert other.status_code == 404


def test_attachments_of_public_messages_download_those_of_notes_do_not(
    alfa: Client, world: World
) -> None:
    page = text(alfa.get(reverse("portal:ticket", args=[world.a.open_ticket.number])))
    url = reverse("portal:attachment", args=[world.a.attachment.pk])
    assert url in page
    response = alfa.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"printer status: offline"
    note = alfa.get(reverse("portal:attachment", args=[world.a.note_attachment.pk]))
    assert note.status_code == 404
    other = alfa.get(reverse("portal:attachment", args=[world.b.attachment.pk]))
    assert other.status_code == 404


# --- replying -----------------------------------------------------------------------------------


def test_reply_adds_a_public_customer_message(alfa: Client, world: World) -> None:
    ticket = world.a.open_ticket
    response = alfa.post(
        reverse("portal:ticket-reply", args=[ticket.number]),
        {"body": "It is the second floor printer."},
    )
    assert response.status_code == 302
    message = Message.objects.filter(ticket=ticket).latest("id")
    assert message.kind == "customer_reply"
    assert message.is_public
    assert message.author_contact == world.a.authorised
    assert message.actor == f"contact:{world.a.authorised.pk}"
    # denial: B's ticket
    before = snapshot(world.b.open_ticket)
    refused = alfa.post(
        reverse("portal:ticket-reply", args=[world.b.open_ticket.number]), {"body": "hi"}
    )
    assert refused.status_code == 404
    assert snapshot(world.b.open_ticket) == before


def test_reply_through_htmx_swaps_the_thread_with_files(alfa: Client, world: World) -> None:
    ticket = world.a.open_ticket
    response = alfa.post(
        reverse("portal:ticket-reply", args=[ticket.number]),
        {
            "body": "Here is a photo.",
            "attachments": [SimpleUploadedFile("photo.png", b"\x89PNG fake", "image/png")],
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="thread-block">')
    assert "Here is a photo." in body and "photo.png" in body
    assert "SECRET" not in body


def test_an_empty_reply_is_refused(alfa: Client, world: World) -> None:
    before = snapshot(world.a.open_ticket)
    response = alfa.post(
        reverse("portal:ticket-reply", args=[world.a.open_ticket.number]), {"body": "  "}
    )
    assert response.status_code == 400
    assert snapshot(world.a.open_ticket) == before


# --- opening a request -------------------------------------------------------------------------


def test_an_authorised_contact_opens_a_web_request_with_a_file(alfa: Client, world: World) -> None:
    alfa.cookies["django_language"] = "en"
    page = text(alfa.get(reverse("portal:ticket-new")))
    assert "High: blocking, a system or service you need to work has stopped" in page
    response = alfa.post(
        reverse("portal:ticket-new"),
        {
            "subject": "Cannot issue receipts",
            "body": "The fiscal printer refuses every receipt since 11:00.",
            "severity": "1",
            "attachments": [SimpleUploadedFile("error.txt", b"E42", "text/plain")],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Cannot issue receipts")
    assert response["Location"] == reverse("portal:ticket", args=[ticket.number])
    assert ticket.customer == world.a.customer
    assert ticket.requester == world.a.authorised
    assert ticket.origin == "web"
    assert ticket.severity == 1 and ticket.is_urgent
    request = Message.objects.get(ticket=ticket)
    assert request.body_text.startswith("The fiscal printer")
    assert [a.name for a in request.attachments.all()] == ["error.txt"]
    assert TicketEvent.objects.filter(ticket=ticket, actor=f"contact:{world.a.authorised.pk}")


def test_a_phone_for_emergencies_plan_shows_the_emergency_number(
    alfa: Client, world: World, settings: Any
) -> None:
    settings.SUPPORT_EMERGENCY_PHONE = "+40 268 555 999"
    alfa.cookies["django_language"] = "en"
    body = text(alfa.get(reverse("portal:ticket-new")))
    assert "Phone is for emergencies only." in body
    assert 'href="tel:+40268555999"' in body


def test_a_contact_who_is_not_authorised_is_told_whom_to_ask(client: Client, world: World) -> None:
    reader = signed_in(client, world.a.others["reader"])
    reader.cookies["django_language"] = "en"
    page = reader.get(reverse("portal:ticket-new"))
    assert page.status_code == 200
    body = text(page)
    assert 'id="not-authorised"' in body
    assert world.a.authorised.name in body  # whom to ask
    assert world.b.authorised.name not in body  # denial: never another company's people
    assert 'name="subject"' not in body
    count = Ticket.objects.count()
    refused = reader.post(
        reverse("portal:ticket-new"), {"subject": "x", "body": "y", "severity": "3"}
    )
    assert refused.status_code == 403
    assert Ticket.objects.count() == count


def test_a_request_needs_a_subject_and_a_description(alfa: Client, world: World) -> None:
    count = Ticket.objects.count()
    response = alfa.post(reverse("portal:ticket-new"), {"subject": "", "body": "", "severity": "2"})
    assert response.status_code == 400
    assert Ticket.objects.count() == count


# --- confirming and reopening -----------------------------------------------------------------


def test_confirm_closes_and_rates_the_ticket(alfa: Client, world: World) -> None:
    ticket = world.a.resolved_ticket
    assert ticket_rating(ticket=ticket) is None
    response = alfa.post(reverse("portal:ticket-confirm", args=[ticket.number]))
    assert response.status_code == 302
    closed = Ticket.objects.get(pk=ticket.pk)
    assert closed.state == "closed"
    rating = ticket_rating(ticket=closed)
    assert rating is not None
    # 40 minutes of remote support: two 30-minute tickets from April's allowance
    assert [c.allowance_minutes for c in rating.charges.all()] == [60]
    event = TicketEvent.objects.filter(ticket=ticket, to_state="closed").get()
    assert event.actor == f"contact:{world.a.authorised.pk}"
    # denial
    before = snapshot(world.b.resolved_ticket)
    refused = alfa.post(reverse("portal:ticket-confirm", args=[world.b.resolved_ticket.number]))
    assert refused.status_code == 404
    assert snapshot(world.b.resolved_ticket) == before


def test_confirm_is_refused_while_the_ticket_is_still_worked_on(alfa: Client, world: World) -> None:
    before = snapshot(world.a.open_ticket)
    response = alfa.post(reverse("portal:ticket-confirm", args=[world.a.open_ticket.number]))
    assert response.status_code == 302
    assert snapshot(world.a.open_ticket) == before


def test_reopen_needs_a_reason(alfa: Client, world: World) -> None:
    ticket = world.a.resolved_ticket
    before = snapshot(ticket)
    response = alfa.post(reverse("portal:ticket-reopen", args=[ticket.number]), {"reason": " "})
    assert response.status_code == 400
    assert 'id="reopen-form"' in text(response)
    assert snapshot(ticket) == before


def test_reopen_with_a_reason_puts_the_ticket_back_to_work(alfa: Client, world: World) -> None:
    ticket = world.a.resolved_ticket
    response = alfa.post(
        reverse("portal:ticket-reopen", args=[ticket.number]),
        {"reason": "The program starts but crashes when printing."},
    )
    assert response.status_code == 302
    reopened = Ticket.objects.get(pk=ticket.pk)
    assert reopened.state == "reopened"
    event = TicketEvent.objects.filter(ticket=ticket, to_state="reopened").get()
    assert event.reason == "The program starts but crashes when printing."
    assert event.actor == f"contact:{world.a.authorised.pk}"
    # denial
    before = snapshot(world.b.resolved_ticket)
    refused = alfa.post(
        reverse("portal:ticket-reopen", args=[world.b.resolved_ticket.number]),
        {"reason": "not yours"},
    )
    assert refused.status_code == 404
    assert snapshot(world.b.resolved_ticket) == before


def test_a_closed_ticket_can_be_reopened_and_its_rating_is_superseded(
    alfa: Client, world: World
) -> None:
    ticket = world.a.closed_ticket
    assert ticket_rating(ticket=ticket) is not None
    response = alfa.post(
        reverse("portal:ticket-reopen", args=[ticket.number]), {"reason": "It is back."}
    )
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).state == "reopened"
    assert ticket_rating(ticket=ticket) is None


def test_only_the_requester_or_an_authorised_contact_decides(client: Client, world: World) -> None:
    reader = signed_in(client, world.a.others["reader"])
    ticket = world.a.resolved_ticket
    before = snapshot(ticket)
    reader.post(reverse("portal:ticket-confirm", args=[ticket.number]))
    reader.post(reverse("portal:ticket-reopen", args=[ticket.number]), {"reason": "no"})
    assert snapshot(ticket) == before
    # they still read the ticket (public thread) and may answer
    page = text(reader.get(reverse("portal:ticket", args=[ticket.number])))
    assert "SECRET" not in page
    assert reverse("portal:ticket-confirm", args=[ticket.number]) not in page


def test_a_ticket_waiting_for_the_customer_says_so_and_a_reply_ends_the_wait(
    alfa: Client, world: World
) -> None:
    ticket = world.a.open_ticket
    services.ticket_reply(
        ticket=ticket, body="Which printer model is it?", actor="user:1", now=later(5)
    )
    services.ticket_wait_for_customer(
        ticket=ticket, reason="asked for the printer model", actor="user:1", now=later(6)
    )
    alfa.cookies["django_language"] = "en"
    page = text(alfa.get(reverse("portal:ticket", args=[ticket.number])))
    assert 'id="waiting"' in page
    assert "Which printer model is it?" in page
    alfa.post(reverse("portal:ticket-reply", args=[ticket.number]), {"body": "HP LaserJet 4"})
    assert Ticket.objects.get(pk=ticket.pk).state == "in_progress"
    # denial: B's waiting state is never shown to A
    assert alfa.get(reverse("portal:ticket", args=[world.b.open_ticket.number])).status_code == 404
