"""The ticket page: every action through a ticket service, refusals next to their field."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from assistdesk.accounts.roles import Role
from assistdesk.common import clock
from assistdesk.console.tests.builders import Desk, desk, email_ticket, staff
from assistdesk.tickets import services
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import EventKind, Intervention, Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def farmacia() -> Desk:
    return desk(now=clock.now())


@pytest.fixture
def ticket(farmacia: Desk) -> Ticket:
    return email_ticket(
        farmacia, now=clock.now(), subject="Printer offline", ago=timedelta(hours=3)
    )


def page(ticket: Ticket) -> str:
    return reverse("console:ticket", args=[ticket.number])


def act(ticket: Ticket, action: str) -> str:
    return reverse("console:ticket-action", args=[ticket.number, action])


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def local(minutes_ago: int) -> str:
    """A datetime-local value (the page's zone is UTC without the browser's cookie)."""
    when = (clock.now() - timedelta(minutes=minutes_ago)).astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M")


def refreshed(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_dispatcher_acknowledges_classifies_and_assigns(client: Client, ticket: Ticket) -> None:
    boss = signed_in(client, staff(Role.DISPATCHER))
    marco = staff(Role.TECHNICIAN, "marco", first_name="Marco", last_name="Greco")
    shown = boss.get(page(ticket)).content.decode()
    assert 'id="action-assign"' in shown and "Marco Greco" in shown

    assert boss.post(act(ticket, "acknowledge")).status_code == 302
    assert refreshed(ticket).state == "acknowledged"
    response = boss.post(
        act(ticket, "classify"), {"severity": 1, "urgent": "on", "kind": "support"}
    )
    assert response.status_code == 302
    assert (refreshed(ticket).severity, refreshed(ticket).is_urgent) == (1, True)
    response = boss.post(act(ticket, "assign"), {"assignee": marco.pk}, follow=True)
    assert refreshed(ticket).assignee == marco and refreshed(ticket).state == "assigned"
    assert "Assigned to Marco Greco." in response.content.decode()
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert {EventKind.ACKNOWLEDGEMENT, EventKind.CLASSIFIED, EventKind.ASSIGNED} <= set(kinds)


def test_only_dispatchers_assign(client: Client, ticket: Ticket) -> None:
    marco = staff(Role.TECHNICIAN, "marco")
    tech = signed_in(client, marco)
    shown = tech.get(page(ticket)).content.decode()
    assert 'id="action-assign"' not in shown and 'id="action-intervention"' in shown
    assert tech.post(act(ticket, "assign"), {"assignee": marco.pk}).status_code == 403
    assert refreshed(ticket).assignee is None
    # The service refuses on its own, whatever a page shows.
    with pytest.raises(TicketError, match=r"^actor_user: "):
        services.ticket_assign(ticket=ticket, assignee=marco, actor_user=marco, now=clock.now())


def test_accountants_read_but_do_not_work_tickets(client: Client, ticket: Ticket) -> None:
    books = signed_in(client, staff(Role.ACCOUNTANT))
    shown = books.get(page(ticket)).content.decode()
    assert "Printer offline" in shown and 'id="reply-form"' not in shown
    assert (
        books.post(act(ticket, "reply"), {"body": "hi", "visibility": "public"}).status_code == 403
    )
    assert not Message.objects.filter(kind="reply").exists()


def test_reply_and_internal_note(client: Client, ticket: Ticket) -> None:
    tech = signed_in(client, staff(Role.TECHNICIAN))
    tech.post(act(ticket, "reply"), {"body": "We are looking at it.", "visibility": "public"})
    tech.post(act(ticket, "reply"), {"body": "Driver issue, I think.", "visibility": "internal"})
    reply, note = Message.objects.filter(ticket=ticket, kind__in=["reply", "note"]).order_by("id")
    assert (reply.is_public, note.is_public) == (True, False)
    assert refreshed(ticket).state == "in_progress"  # a public reply is a response (§2.2)
    shown = tech.get(page(ticket)).content.decode()
    assert 'class="message internal"' in shown and "Driver issue, I think." in shown
    response = tech.post(act(ticket, "reply"), {"body": "", "visibility": "public"})
    assert response.status_code == 422 and "This field is required." in response.content.decode()


def test_confirmation_of_intervention(client: Client, ticket: Ticket) -> None:
    tech = signed_in(client, staff(Role.TECHNICIAN))
    response = tech.post(
        act(ticket, "confirm"),
        {"planned_at": local(-120), "mode": "onsite", "expected_minutes": 90},
    )
    assert response.status_code == 302
    message = Message.objects.get(ticket=ticket, kind="confirmation")
    assert (message.planned_mode, message.expected_minutes) == ("onsite", 90)
    assert refreshed(ticket).state == "acknowledged"


def test_log_an_onsite_intervention_with_a_part(client: Client, ticket: Ticket) -> None:
    marco = staff(Role.TECHNICIAN, "marco")
    tech = signed_in(client, marco)
    form = {
        "mode": "onsite", "activity": "support", "start_at": local(90), "end_at": local(30),
        "description": "Replaced the fuser.", "km": "12", "resolved": "on",
        "parts-TOTAL_FORMS": "3", "parts-INITIAL_FORMS": "0",
        "parts-0-name": "Fuser unit", "parts-0-quantity": "1", "parts-0-unit_price": "74.90",
    }  # fmt: skip
    response = tech.post(act(ticket, "intervention"), form)
    assert response.status_code == 302
    intervention = Intervention.objects.get(ticket=ticket)
    assert (intervention.technician, intervention.mode, intervention.km) == (marco, "onsite", 12)
    part = intervention.parts.get()
    assert (part.name, str(part.unit_price_amount)) == ("Fuser unit", "74.90")
    shown = tech.get(page(ticket)).content.decode()
    assert "Fuser unit" in shown and "Intervention report (PDF)" in shown


def test_refusals_show_next_to_their_field_and_change_nothing(
    client: Client, ticket: Ticket
) -> None:
    tech = signed_in(client, staff(Role.TECHNICIAN))
    base = {
        "mode": "remote", "activity": "support", "start_at": local(30), "end_at": local(90),
        "km": "0", "parts-TOTAL_FORMS": "3", "parts-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = tech.post(act(ticket, "intervention"), base)
    assert response.status_code == 422
    form = response.context["forms"]["intervention"]
    assert form.errors == {"end_at": ["an intervention cannot end before it starts"]}
    assert 'id="action-intervention" open' in response.content.decode()

    remote_km = base | {"start_at": local(90), "end_at": local(30), "km": "5"}
    response = tech.post(act(ticket, "intervention"), remote_km)
    assert response.context["forms"]["intervention"].errors == {
        "km": ["only an on-site intervention travels"]
    }
    no_price = remote_km | {"km": "0", "parts-0-name": "Cable"}
    response = tech.post(act(ticket, "intervention"), no_price)
    assert response.status_code == 422
    assert response.context["forms"]["parts"].forms[0].errors == {
        "unit_price": ["Give the unit price."]
    }
    assert not Intervention.objects.exists()
    assert refreshed(ticket).state == "new"

    wait = tech.post(act(ticket, "wait"), {"reason": "Need the admin password"})
    assert wait.status_code == 302
    again = tech.post(act(ticket, "wait"), {"reason": "again"})
    # The page no longer offers it; a stale page still gets the reason, shown with its form.
    assert again.status_code == 422
    assert "is waiting for the customer already" in again.content.decode()
    assert refreshed(ticket).state == "waiting_customer"


def test_escalate_resolve_close_and_reopen(client: Client, ticket: Ticket) -> None:
    tech = signed_in(client, staff(Role.TECHNICIAN))
    tech.post(act(ticket, "escalate"), {"reason": "Remote tools cannot reach the printer"})
    assert refreshed(ticket).is_escalated_onsite
    shown = tech.get(page(ticket)).content.decode()
    assert 'id="action-escalate"' not in shown
    tech.post(
        act(ticket, "intervention"),
        {
            "mode": "onsite", "activity": "support", "start_at": local(90),
            "end_at": local(30), "km": "4", "resolved": "on",
            "parts-TOTAL_FORMS": "0", "parts-INITIAL_FORMS": "0",
        },
    )  # fmt: skip
    assert tech.post(act(ticket, "resolve"), {"reason": ""}).status_code == 302
    assert refreshed(ticket).state == "resolved"
    response = tech.post(act(ticket, "close"), {"reason": "Giulia confirmed by phone"})
    assert response.status_code == 302
    closed = tech.get(page(ticket)).content.decode()
    assert refreshed(ticket).state == "closed"
    assert "Charges" in closed and "Total" in closed
    assert 'id="reply-form"' not in closed
    tech.post(act(ticket, "reopen"), {"reason": "The printer jams again"})
    assert refreshed(ticket).state == "reopened"


def test_a_service_refusal_without_a_field_of_the_form(client: Client, ticket: Ticket) -> None:
    tech = signed_in(client, staff(Role.TECHNICIAN))
    services.ticket_escalate_onsite(ticket=ticket, reason="x", actor="t", now=clock.now())
    # The page offered escalation when it was drawn; someone else escalated meanwhile.
    response = tech.post(act(ticket, "escalate"), {"reason": "no remote access"})
    assert response.status_code == 422
    errors = response.context["forms"]["escalate"].non_field_errors()
    assert errors == [f"state: {ticket.reference} is escalated on site already"]


def test_unknown_ticket_and_action(client: Client, ticket: Ticket) -> None:
    tech = signed_in(client, staff(Role.TECHNICIAN))
    assert tech.get(reverse("console:ticket", args=[999999])).status_code == 404
    assert tech.post(act(ticket, "explode")).status_code == 404
    assert tech.get(act(ticket, "reply")).status_code == 405


def test_sla_panel_refresh(client: Client, ticket: Ticket) -> None:
    tech = signed_in(client, staff(Role.TECHNICIAN))
    response = tech.get(reverse("console:ticket-targets", args=[ticket.number]))
    panel = response.content.decode()
    assert panel.lstrip().startswith('<section id="sla-targets"') and "data-due=" in panel


def test_intervention_report_pdf(client: Client, ticket: Ticket) -> None:
    now = clock.now()
    intervention = services.intervention_log(
        ticket=ticket, mode="remote", activity="support", start_at=now - timedelta(hours=2),
        end_at=now - timedelta(hours=1), resolved=True, actor="t", now=now,
    )  # fmt: skip
    tech = signed_in(client, staff(Role.TECHNICIAN))
    url = reverse("console:intervention-report", args=[ticket.number, intervention.pk])
    assert f'href="{url}"' in tech.get(page(ticket)).content.decode()
    response = tech.get(url)
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    other = reverse("console:intervention-report", args=[ticket.number + 1, intervention.pk])
    assert tech.get(other).status_code == 404
