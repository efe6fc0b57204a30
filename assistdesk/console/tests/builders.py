"""What console and browser tests start from: staff by role, a customer under seed 001's
annual contract (Rome office hours), tickets received through the ticket services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from assistdesk.accounts.roles import Role
from assistdesk.accounts.services import staff_create
from assistdesk.catalog.models import Plan
from assistdesk.contracts.models import Contract
from assistdesk.customers.models import Contact, Customer
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.services import ticket_create
from assistdesk.tickets.tests.factories import customer_with_contract, load_catalog, plan_spec

ROME = ZoneInfo("Europe/Rome")
PASSWORD = "correct-horse-battery-staple"


def staff(role: Role | str, username: str | None = None, **kwargs: Any) -> User:
    name = username or str(role)
    first, last = kwargs.pop("first_name", name.title()), kwargs.pop("last_name", "Rossi")
    return staff_create(
        username=name,
        roles=[role],
        password=kwargs.pop("password", PASSWORD),
        first_name=first,
        last_name=last,
        email=f"{name}@example.com",
        actor="test",
        now=kwargs.pop("now", datetime(2026, 1, 1, tzinfo=ROME)),
        **kwargs,
    )


@dataclass
class Desk:
    plan: Plan
    customer: Customer
    contract: Contract
    contact: Contact


def desk(*, now: datetime, key: str = "farmacia", name: str = "Farmacia Centrale") -> Desk:
    """Seed 001's annual contract for one customer, in force from 60 days before `now`."""
    plans = Plan.objects.filter(key="annual")
    plan = plans.first() or load_catalog(plan_spec(), now=now - timedelta(days=90))["annual"]
    start = (now - timedelta(days=60)).astimezone(ROME).date()
    customer, contract, contact = customer_with_contract(
        plan, start_on=date(start.year, start.month, 1), now=now - timedelta(days=60), key=key,
        name=name, country="IT", language="it", currency="EUR",
    )  # fmt: skip
    contact.name = "Giulia Bianchi"
    contact.email = f"giulia@{key}.example.com"
    contact.save()
    return Desk(plan, customer, contract, contact)


def email_ticket(
    d: Desk, *, now: datetime, subject: str = "Printer offline", ago: timedelta | None = None,
    **kwargs: Any,
) -> Ticket:  # fmt: skip
    """A ticket opened from an e-mail of the desk's authorised contact."""
    values: dict[str, Any] = {"body": "The printer in the back office does not print."} | kwargs
    return ticket_create(
        customer=d.customer,
        requester=d.contact,
        origin="email",
        subject=subject,
        received_at=now - (ago if ago is not None else timedelta(minutes=20)),
        actor="mail",
        now=now,
        **values,
    )
