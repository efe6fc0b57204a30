"""Customer page, quarantine, dashboard, languages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from assistdesk.accounts.roles import Role
from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.channels.models import InboundMessage, InboundSource, InboundStatus
from assistdesk.channels.services import inbound_ingest
from assistdesk.common import clock
from assistdesk.console.tests.builders import Desk, desk, email_ticket, staff
from assistdesk.contracts.services import package_purchase
from assistdesk.tickets import services
from assistdesk.tickets.tests.factories import plan_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def farmacia() -> Desk:
    return desk(now=clock.now())


def stranger_mail(subject: str = "Please call me back") -> bytes:
    return (
        "From: Someone Unknown <nobody@unknown.example>\r\n"
        "To: support@localhost\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <q1@unknown.example>\r\n"
        "Date: Mon, 13 Apr 2026 09:00:00 +0200\r\n"
        "\r\n"
        "Our server is down.\r\n"
    ).encode()


def test_customer_page(client: Client, farmacia: Desk) -> None:
    now = clock.now()
    ticket = email_ticket(farmacia, now=now, subject="Backup failed")
    client.force_login(staff(Role.TECHNICIAN))
    page = client.get(reverse("console:customer", args=[farmacia.customer.key]))
    shown = page.content.decode()
    assert page.status_code == 200
    assert farmacia.plan.name in shown and "in force" in shown
    assert ticket.reference in shown and "Giulia Bianchi" in shown
    assert "Invoices" not in shown  # technicians do not see money
    assert client.get(reverse("console:customer", args=["nobody"])).status_code == 404


def test_customer_allowances_and_invoices_for_accountants(client: Client, farmacia: Desk) -> None:
    now = clock.now()
    package = {"mode": "remote", "hours": 12, "validity_months": 12, "price": "540"}
    spec = {"calendars": {}, "plans": [plan_spec("remote12", package=package)]}
    remote12 = catalog_load_from_spec(spec=spec, actor="t", now=now)[1]["remote12"]
    package_purchase(customer=farmacia.customer, plan=remote12, actor="t", now=now)
    client.force_login(staff(Role.ACCOUNTANT))
    page = client.get(reverse("console:customer", args=[farmacia.customer.key]))
    shown = page.content.decode()
    assert "Invoices" in shown and "No invoice yet." in shown
    [line] = page.context["allowances"]
    assert line.left_minutes == 720
    assert "<strong>12.0</strong>" in shown


def test_quarantine_lists_with_reason_and_releases(client: Client, farmacia: Desk) -> None:
    result = inbound_ingest(raw=stranger_mail(), source=InboundSource.PIPE, now=clock.now())
    message = result.message
    assert message.status == InboundStatus.QUARANTINED
    client.force_login(staff(Role.DISPATCHER))
    shown = client.get(reverse("console:quarantine")).content.decode()
    assert "Please call me back" in shown and message.reason in shown
    assert "nobody@unknown.example" in shown
    response = client.post(reverse("console:quarantine-release", args=[message.pk]), follow=True)
    assert "Still quarantined" in response.content.decode()  # the sender is still unknown
    client.post(reverse("console:quarantine-dismiss", args=[message.pk]))
    assert InboundMessage.objects.get(pk=message.pk).status == InboundStatus.IGNORED
    assert "The quarantine is empty." in client.get(reverse("console:quarantine")).content.decode()


def test_quarantine_is_for_dispatchers(client: Client, farmacia: Desk) -> None:
    client.force_login(staff(Role.TECHNICIAN))
    assert client.get(reverse("console:quarantine")).status_code == 403
    assert (
        'href="/console/quarantine/"' not in client.get(reverse("console:queue")).content.decode()
    )


def test_dashboard_chart_and_table(client: Client, farmacia: Desk) -> None:
    now = clock.now()
    ticket = email_ticket(farmacia, now=now, subject="Server down", ago=timedelta(hours=3))
    services.intervention_log(
        ticket=ticket, mode="remote", activity="support", start_at=now - timedelta(minutes=150),
        end_at=now - timedelta(minutes=60), resolved=True, actor="t", now=now,
    )  # fmt: skip
    client.force_login(staff(Role.DISPATCHER))
    response = client.get(reverse("console:dashboard"))
    shown = response.content.decode()
    row = next(r for r in response.context["rows"] if r.customer == farmacia.customer)
    assert row.hours == Decimal("1.5") and row.minutes == 90
    assert '<svg class="chart"' in shown and "Farmacia Centrale" in shown
    assert 'class="bar-hours"' in shown


def test_italian_pages_and_numbers(client: Client, farmacia: Desk) -> None:
    now = clock.now()
    ticket = email_ticket(farmacia, now=now, ago=timedelta(hours=3))
    services.intervention_log(
        ticket=ticket, mode="onsite", activity="support", start_at=now - timedelta(minutes=150),
        end_at=now - timedelta(minutes=60), km=Decimal("12.5"), resolved=True, actor="t", now=now,
        parts=[("Toner", 1, Decimal("1234.50"))],
    )  # fmt: skip
    client.force_login(staff(Role.TECHNICIAN))
    response = client.post(
        reverse("set_language"), {"language": "it", "next": reverse("console:queue")}
    )
    assert response.status_code == 302
    queue = client.get(reverse("console:queue")).content.decode()
    assert "Coda" in queue and '<html lang="it">' in queue
    page = client.get(reverse("console:ticket", args=[ticket.number])).content.decode()
    assert "1.234,50" in page and "12,5 km" in page
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert "File d\u2019attente" in client.get(reverse("console:queue")).content.decode()


def test_pages_use_the_browser_time_zone(client: Client, farmacia: Desk) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from assistdesk.common.clock import frozen_at

    received = datetime(2026, 4, 14, 7, 5, tzinfo=ZoneInfo("UTC"))
    with frozen_at(received + timedelta(minutes=5)):
        ticket = email_ticket(farmacia, now=clock.now(), ago=timedelta(minutes=5))
    client.force_login(staff(Role.TECHNICIAN))
    url = reverse("console:ticket", args=[ticket.number])
    for cookie, shown in (("Europe/Rome", "9:05 a.m."), ("Europe%2FBucharest", "10:05 a.m."),
                          ("Not/AZone", "7:05 a.m.")):  # fmt: skip
        client.cookies["tz"] = cookie
        assert shown in client.get(url).content.decode(), cookie


def test_accountants_download_invoices_technicians_do_not(client: Client) -> None:
    from datetime import date

    from assistdesk.billing.models import Invoice
    from assistdesk.billing.services import billing_run
    from assistdesk.billing.tests.builders import ACTOR, NOW, contract, customer, plans

    p = plans({"key": "expert", "currency": "EUR", "fees": {"monthly": "300"}})
    paris = customer("paris", country="FR", currency="EUR", language="fr", vat_rate=Decimal(20))
    contract(paris, p["expert"], date(2026, 1, 1))
    billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=ACTOR, now=NOW)
    invoice = Invoice.objects.get()
    client.force_login(staff(Role.ACCOUNTANT))
    page = client.get(reverse("console:customer", args=["paris"])).content.decode()
    url = reverse("console:invoice-pdf", args=[invoice.pk])
    assert f'href="{url}"' in page and invoice.number in page
    assert "360,00 EUR" not in page and "360.00 EUR" in page  # English formats
    pdf = client.get(url)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    client.force_login(staff(Role.TECHNICIAN, "marco"))
    assert client.get(url).status_code == 403
