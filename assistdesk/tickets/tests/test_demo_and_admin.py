"""The demo tickets (every state, with interventions) and the read-only admin pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from assistdesk.catalog import demo as catalog_demo
from assistdesk.contracts import demo as contracts_demo
from assistdesk.customers import demo as customers_demo
from assistdesk.tickets import demo
from assistdesk.tickets.models import Intervention, Ticket, TicketRating
from assistdesk.tickets.states import TicketState

NOW = datetime(2026, 3, 18, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))


@pytest.fixture
def demo_data(db: None) -> None:
    for module in (customers_demo, catalog_demo, contracts_demo, demo):
        module.load(now=NOW)


def test_the_demo_has_tickets_in_every_state_with_interventions(demo_data: None) -> None:
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == {str(s) for s in TicketState}
    assert Intervention.objects.count() >= 20
    closed = Ticket.objects.filter(state=TicketState.CLOSED)
    assert TicketRating.objects.filter(ticket__in=closed, superseded_at__isnull=True).count() == (
        closed.count()
    )
    assert TicketRating.objects.filter(superseded_at__isnull=False).exists()  # re-rated
    assert Ticket.objects.filter(received_at__lt=NOW.replace(day=1)).exists()  # weeks back


def test_the_admin_shows_tickets_and_serves_reports(demo_data: None, settings: Any) -> None:
    # Admin pages without a collected static manifest.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(admin)
    ticket = Ticket.objects.filter(state=TicketState.CLOSED).first()
    assert ticket is not None
    assert client.get(reverse("admin:tickets_ticket_changelist")).status_code == 200
    page = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200 and ticket.reference.encode() in page.content
    assert b'name="_save"' not in page.content  # read-only
    intervention = ticket.interventions.first()
    assert intervention is not None
    pdf = client.get(reverse("admin:tickets_intervention_report", args=[intervention.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client.get(reverse("admin:tickets_ticketrating_changelist")).status_code == 200
