"""Tickets the help desk takes by phone: through `ticket_create`, its refusals shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assistdesk.accounts.roles import Role
from assistdesk.common import clock
from assistdesk.console.tests.builders import Desk, desk, staff
from assistdesk.customers.tests.factories import ContactFactory
from assistdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db
NEW = reverse("console:ticket-new")


@pytest.fixture
def farmacia() -> Desk:
    return desk(now=clock.now())


def test_a_phone_call_becomes_a_ticket(client: Client, farmacia: Desk) -> None:
    client.force_login(staff(Role.DISPATCHER))
    form = {
        "customer": farmacia.customer.pk, "requester": farmacia.contact.pk, "origin": "phone",
        "subject": "Server room too hot", "body": "The air conditioning stopped.",
        "severity": 1, "kind": "support",
    }  # fmt: skip
    response = client.post(NEW, form)
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("console:ticket", args=[ticket.number])
    assert (ticket.origin, ticket.requester, ticket.is_urgent) == ("phone", farmacia.contact, True)
    assert ticket.messages.get().body_text == "The air conditioning stopped."


def test_the_requester_list_follows_the_customer(client: Client, farmacia: Desk) -> None:
    client.force_login(staff(Role.DISPATCHER))
    page = client.get(NEW, {"customer": farmacia.customer.pk}, headers={"HX-Request": "true"})
    shown = page.content.decode()
    assert shown.lstrip().startswith('<form method="post"')
    assert f'<option value="{farmacia.contact.pk}">Giulia Bianchi</option>' in shown
    assert f'<option value="{farmacia.customer.pk}" selected>' in shown


def test_refusals_next_to_the_field(client: Client, farmacia: Desk) -> None:
    stranger = ContactFactory(customer=farmacia.customer, name="Temp", is_authorised=False)
    client.force_login(staff(Role.DISPATCHER))
    form = {
        "customer": farmacia.customer.pk, "requester": stranger.pk, "origin": "phone",
        "subject": "Please help", "severity": 3, "kind": "support",
    }  # fmt: skip
    response = client.post(NEW, form)
    assert response.status_code == 422
    [error] = response.context["form"].errors["requester"]
    assert error.startswith("Temp is not an authorised contact")
    assert not Ticket.objects.exists()


def test_only_who_may_open_tickets(client: Client, farmacia: Desk) -> None:
    client.force_login(staff(Role.TECHNICIAN))
    assert client.get(NEW).status_code == 403
    assert "New ticket" not in client.get(reverse("console:queue")).content.decode()
