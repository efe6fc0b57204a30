"""Factories and builders for ticket tests.

Plans come from FORMAT.md-shaped specs through the catalog service (the way the simulator
and the demo build them), contracts through the contracts service; tickets through the
tickets services, except `TicketFactory`, which writes rows directly for tests that need
many tickets fast (the queue).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Permission, User
from factory.django import DjangoModelFactory

from assistdesk.catalog.models import Plan
from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.contracts.models import Contract
from assistdesk.contracts.services import contract_create
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.services import ticket_create

ACTOR = "test"
WEEK_0900_1800 = {
    day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")
}
ROME_OFFICE = {"timezone": "Europe/Rome", "week": WEEK_0900_1800, "holidays": {"country": "IT"}}


class StaffFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"tech{n}")
    first_name = factory.Sequence(lambda n: f"Tech{n}")
    last_name = "Bruno"
    is_staff = True


def dispatcher(username: str = "dispatcher") -> User:
    user = StaffFactory(username=username)
    user.user_permissions.add(Permission.objects.get(codename="dispatch_ticket"))
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per object


def plan_spec(key: str = "annual", **overrides: Any) -> dict[str, Any]:
    """A plan in FORMAT.md's shape: seed 001's annual contract unless overridden."""
    spec: dict[str, Any] = {
        "key": key,
        "currency": "EUR",
        "calendar": "office",
        "rates": {
            "remote": {
                "activity": "support",
                "mode": "remote",
                "price": "45",
                "per_minutes": 60,
                "round_to_minutes": 15,
            },
            "onsite": {
                "activity": "support",
                "mode": "onsite",
                "price": "55",
                "per_minutes": 60,
                "round_to_minutes": 15,
            },
        },
        "minimum_minutes": 15,
        "travel": {"in_town": "25", "out_of_town": "25", "per_km": "0.50"},
        "penalties": {"late_onsite_urgent_free": True, "late_response_discount_per_hour": "0.20"},
        "sla": [
            {"kind": "onsite", "urgent": True, "working_hours": 4},
            {"kind": "response", "urgent": False, "working_hours": 8},
        ],
        "priority": 1,
    }
    spec.update(overrides)
    return spec


def load_catalog(
    *plans: dict[str, Any], calendars: dict[str, Any] | None = None, now: datetime
) -> dict[str, Plan]:
    spec = {"calendars": calendars or {"office": ROME_OFFICE}, "plans": list(plans)}
    _, loaded = catalog_load_from_spec(spec=spec, actor=ACTOR, now=now)
    return loaded


def customer_with_contract(
    plan: Plan,
    *,
    start_on: date,
    now: datetime,
    coefficients: dict[str, Decimal] | None = None,
    **customer: Any,
) -> tuple[Customer, Contract, Contact]:
    """A customer under `plan` from `start_on`, with one authorised contact."""
    defaults: dict[str, Any] = {"country": "IT", "language": "it", "currency": "EUR"}
    who = CustomerFactory(**(defaults | customer))
    contract = contract_create(
        customer=who,
        plan=plan,
        start_on=start_on,
        coefficients=coefficients,
        actor=ACTOR,
        now=now,
    )
    contact = ContactFactory(customer=who, is_authorised=True)
    return who, contract, contact


def open_ticket(
    customer: Customer, *, received_at: datetime, now: datetime | None = None, **kwargs: Any
) -> Ticket:
    values: dict[str, Any] = {"origin": "email", "subject": "Printer offline"} | kwargs
    return ticket_create(
        customer=customer, received_at=received_at, actor=ACTOR, now=now or received_at, **values
    )


class TicketFactory(DjangoModelFactory[Ticket]):
    """A ticket row written directly (no events, no targets): for volume tests only."""

    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: 900_000 + n)
    customer = factory.SubFactory(CustomerFactory)
    origin = "email"
    subject = factory.Sequence(lambda n: f"Request {n}")
    severity = 3
    priority_rank = 10
    received_at = factory.LazyFunction(lambda: datetime.fromisoformat("2026-04-01T09:00+02:00"))
