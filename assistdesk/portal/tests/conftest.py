"""Two companies on seed 004's Expert plan, each with portal logins, tickets in every
state, an intervention, an attachment, an internal note, a statement and an invoice.

Company A ("alfa") is the one that signs in; company B ("beta") owns the objects whose
ids A must never reach. The clock is frozen on Wednesday 15 April 2026, 12:00 in Rome.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import LazySettings
from django.contrib.auth.models import User
from django.test import Client

from assistdesk.billing.models import BillingPeriod, Invoice, InvoiceDocument, Statement
from assistdesk.catalog.models import Plan
from assistdesk.common import clock
from assistdesk.contracts.models import Contract
from assistdesk.contracts.services import allowance_grant_monthly, package_purchase
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.tests.factories import ContactFactory
from assistdesk.tickets import services
from assistdesk.tickets.models import Attachment, Intervention, Message, Ticket
from assistdesk.tickets.tests.factories import customer_with_contract, load_catalog, plan_spec

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=ROME)
PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n% a stored test document\n"

EXPERT_RATES = {
    "remote_support": {
        "activity": "support",
        "mode": "remote",
        "price": "25",
        "per_minutes": 30,
        "round_to_minutes": 30,
    }
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


@dataclass
class Company:
    customer: Customer
    contract: Contract
    authorised: Contact  # requester of every ticket below, with a portal login
    open_ticket: Ticket
    resolved_ticket: Ticket
    closed_ticket: Ticket
    intervention: Intervention
    note: Message  # internal note on the resolved ticket
    attachment: Attachment  # on the open ticket's request
    note_attachment: Attachment  # on the internal note
    statement: Statement
    invoice: Invoice
    others: dict[str, Contact] = field(default_factory=dict)


@dataclass
class World:
    plan: Plan
    package_plan: Plan
    a: Company
    b: Company


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[datetime]:
    with clock.frozen_at(NOW):
        yield NOW


@pytest.fixture(autouse=True)
def plain_static_files(settings: LazySettings) -> None:
    """Pages render without a collected static manifest."""
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings: LazySettings) -> None:
    """Logins are made per test: a fast hash keeps the suite quick (never in production)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings: LazySettings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def portal_user(contact: Contact, username: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, email=contact.email)
    contact.user = user
    contact.save(update_fields=["user"])
    return user


def resolved_with_work(customer: Customer, requester: Contact, subject: str) -> Ticket:
    ticket = services.ticket_create(
        customer=customer,
        requester=requester,
        origin="email",
        subject=subject,
        body="The invoicing program does not start.",
        severity=2,
        received_at=at("2026-04-14 09:00"),
        actor="test",
        now=at("2026-04-14 09:00"),
    )
    services.ticket_reply(
        ticket=ticket,
        body="We are connecting to your server now.",
        actor="user:1",
        now=at("2026-04-14 09:30"),
    )
    services.intervention_log(
        ticket=ticket,
        mode="remote",
        activity="support",
        start_at=at("2026-04-14 10:00"),
        end_at=at("2026-04-14 10:40"),
        description="Restarted the licence service.",
        resolved=True,
        actor="user:1",
        now=at("2026-04-14 10:40"),
    )
    services.ticket_resolve(
        ticket=ticket,
        reason="licence service restarted",
        actor="user:1",
        now=at("2026-04-14 10:45"),
    )
    return Ticket.objects.get(pk=ticket.pk)


def build_company(key: str, plan: Plan, package: Plan) -> Company:
    customer, contract, authorised = customer_with_contract(
        plan, start_on=date(2026, 4, 1), now=at("2026-04-01 00:00"), key=key, name=key.title()
    )
    allowance_grant_monthly(contract=contract, month_on=date(2026, 4, 1), actor="test", now=NOW)
    package_purchase(
        customer=customer, plan=package, purchased_on=date(2025, 5, 1), actor="test", now=NOW
    )
    authorised.name = f"{key.title()} Authorised"
    authorised.save(update_fields=["name"])
    portal_user(authorised, f"{key}-boss")

    open_ticket = services.ticket_create(
        customer=customer,
        requester=authorised,
        origin="web",
        subject=f"{key} printer offline",
        body="The printer in the office says offline.",
        severity=3,
        received_at=at("2026-04-15 08:00"),
        actor="test",
        now=at("2026-04-15 08:00"),
    )
    request = open_ticket.messages.get()
    attachment = services.message_attach(
        message=request,
        name="printer.txt",
        content=b"printer status: offline",
        content_type="text/plain",
        actor="test",
        now=at("2026-04-15 08:01"),
    )
    resolved = resolved_with_work(customer, authorised, f"{key} invoicing program")
    note = services.ticket_reply(
        ticket=resolved,
        body=f"SECRET {key}: the customer's admin password is on a sticky note",
        is_public=False,
        actor="user:1",
        now=at("2026-04-14 10:50"),
    )
    note_attachment = services.message_attach(
        message=note,
        name="internal.txt",
        content=b"internal only",
        content_type="text/plain",
        actor="user:1",
        now=at("2026-04-14 10:51"),
    )
    closed = resolved_with_work(customer, authorised, f"{key} mail quota")
    services.ticket_close(ticket=closed, actor="test", now=at("2026-04-14 11:00"))
    intervention = Intervention.objects.filter(ticket=resolved).get()

    period, _ = BillingPeriod.objects.get_or_create(
        key="2026-03", defaults={"starts_on": date(2026, 3, 1), "ends_on": date(2026, 3, 31)}
    )
    statement = Statement.objects.create(
        customer=customer, period=period, language="en", pdf=PDF, issued_at=at("2026-04-01 06:00")
    )
    invoice = Invoice.objects.create(
        customer=customer,
        period=period,
        series="T",
        year=2026,
        sequence=Invoice.objects.count() + 1,
        number=f"T-2026-{Invoice.objects.count() + 1:04d}",
        issued_on=date(2026, 4, 1),
        issued_at=at("2026-04-01 06:00"),
        actor="test",
        customer_name=customer.name,
        customer_country="IT",
        language="it",
        currency="EUR",
        net_amount=Decimal("1234.50"),
        vat_amount=Decimal("271.59"),
        total_amount=Decimal("1506.09"),
        vat_rate=Decimal("22"),
    )
    InvoiceDocument.objects.create(invoice=invoice, pdf=PDF, rendered_at=at("2026-04-01 06:01"))
    return Company(
        customer=customer,
        contract=contract,
        authorised=Contact.objects.get(pk=authorised.pk),
        open_ticket=Ticket.objects.get(pk=open_ticket.pk),
        resolved_ticket=Ticket.objects.get(pk=resolved.pk),
        closed_ticket=Ticket.objects.get(pk=closed.pk),
        intervention=intervention,
        note=note,
        attachment=attachment,
        note_attachment=note_attachment,
        statement=statement,
        invoice=invoice,
    )


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def build_world() -> World:
    expert = plan_spec(
        "expert",
        name="Expert",
        rates=EXPERT_RATES,
        allowances=[{"minutes": 300, "rates": ["remote_support"]}],
        minimum_minutes=30,
        penalties={},
        sla=[{"kind": "response", "urgent": False, "working_hours": 6}],
        channels={"origins": ["email", "web", "phone"], "phone_emergency_only": True},
        authorised_contacts=3,
        auto_close_days=5,
    )
    remote12 = {
        "key": "remote12",
        "name": "Remote 12 h",
        "currency": "EUR",
        "calendar": "office",
        "package": {"price": "540", "mode": "remote", "hours": 12, "validity_months": 12},
        "rates": EXPERT_RATES,
        "notices": {"expiry_days": 30},
    }
    plans = load_catalog(expert, remote12, now=at("2026-01-01 00:00"))
    a = build_company("alfa", plans["expert"], plans["remote12"])
    b = build_company("beta", plans["expert"], plans["remote12"])
    # A contact of A who is not authorised (sees and answers, does not open requests).
    reader = ContactFactory(customer=a.customer, name="Alfa Reader", is_authorised=False)
    portal_user(reader, "alfa-reader")
    a.others["reader"] = Contact.objects.get(pk=reader.pk)
    accountant = ContactFactory(
        customer=a.customer, name="Alfa Accounting", is_authorised=False, is_accounting=True
    )
    a.others["accounting"] = accountant
    return World(plan=plans["expert"], package_plan=plans["remote12"], a=a, b=b)


def signed_in(client: Client, contact: Contact) -> Client:
    assert contact.user is not None
    client.force_login(contact.user)
    return client


@pytest.fixture
def alfa(client: Client, world: World) -> Client:
    """A client signed in as company A's authorised contact."""
    return signed_in(client, world.a.authorised)


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)
