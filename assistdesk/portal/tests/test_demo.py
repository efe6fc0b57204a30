"""Demo portal logins: each demo contact signs in with their e-mail and the demo password
and sees their own company's tickets, no other's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assistdesk.customers.models import Contact
from assistdesk.customers.tests.factories import ContactFactory
from assistdesk.portal import demo
from assistdesk.portal.tests.conftest import NOW, World

pytestmark = pytest.mark.django_db


def test_every_demo_contact_gets_a_portal_login(client: Client, world: World) -> None:
    newcomer = ContactFactory(customer=world.b.customer, email="newcomer@beta.example")
    demo.load(now=NOW)
    demo.load(now=NOW)  # twice: nothing more
    contact = Contact.objects.select_related("user").get(pk=newcomer.pk)
    assert contact.user is not None and contact.user.username == "newcomer@beta.example"
    # the contacts that had a login keep theirs
    assert Contact.objects.get(pk=world.a.authorised.pk).user.username == "alfa-boss"

    response = client.post(
        reverse("portal:login"),
        {"username": "newcomer@beta.example", "password": demo.DEMO_PASSWORD},
    )
    assert response.status_code == 302
    body = client.get(reverse("portal:tickets"), {"state": "all"}).content.decode()
    assert world.b.open_ticket.reference in body
    assert reverse("portal:ticket", args=[world.a.open_ticket.number]) not in body  # denial
