"""Worked examples of rating (§2.6), each a small story told through the services.

Every ticket is received, answered, worked on and closed with the tickets services; the
stored charges are read back like the lines of an invoice. The rates are seed 003's
pay-per-request card (80 per hour on real time, 15-minute minimum) unless a story needs
another.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from assistdesk.catalog.models import Plan
from assistdesk.contracts.models import AllowanceEntry
from assistdesk.contracts.services import package_purchase
from assistdesk.customers.models import Customer
from assistdesk.tickets import services
from assistdesk.tickets.models import Charge, Ticket
from assistdesk.tickets.selectors import ticket_rating
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import (
    customer_with_contract,
    load_catalog,
    open_ticket,
    plan_spec,
)

FR_OFFICE = {
    "timezone": "Europe/Rome",
    "week": {d: ["09:00-12:30", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "IT"},
}


def rate(key: str, activity: str, mode: str, price: str, per: int, unit: int) -> dict[str, Any]:
    return {
        key: {
            "activity": activity,
            "mode": mode,
            "price": price,
            "per_minutes": per,
            "round_to_minutes": unit,
        }
    }


def on_request_plan(**overrides: Any) -> Plan:
    spec = plan_spec(
        "on-request",
        rates=rate("remote", "support", "remote", "80", 60, 1)
        | rate("onsite", "support", "onsite", "90", 60, 1),
        minimum_minutes=15,
        penalties={},
        sla=[],
        coefficients={"out_of_hours": "3", "urgent": "2"},
        travel={"in_town": "45", "out_of_town": "45", "per_km": "0.60"},
    )
    spec.update(overrides)
    calendars = {"office": FR_OFFICE}
    return load_catalog(spec, calendars=calendars, now=at("2026-01-01 00:00"))["on-request"]


def customer_on(plan: Plan, **kwargs: Any) -> Customer:
    customer, _, _ = customer_with_contract(
        plan, start_on=date(2026, 4, 1), now=at("2026-04-01 00:00"), **kwargs
    )
    return customer


def work(ticket: Ticket, start: str, end: str, *, mode: str = "remote", **kwargs: Any) -> None:
    services.intervention_log(
        ticket=ticket,
        mode=mode,
        activity=kwargs.pop("activity", "support"),
        start_at=at(start),
        end_at=at(end),
        actor="user:1",
        now=at(end),
        **kwargs,
    )


def close(ticket: Ticket, when: str) -> list[Charge]:
    services.ticket_close(ticket=ticket, actor="contact:1", now=at(when))
    rating = ticket_rating(ticket=ticket)
    assert rating is not None
    return list(rating.charges.all())


def labour(charges: list[Charge]) -> list[Charge]:
    return [c for c in charges if c.type == "labour"]


@pytest.mark.django_db
def test_minimum_per_request_raises_a_short_call_to_fifteen_minutes() -> None:
    customer = customer_on(on_request_plan())
    ticket = open_ticket(customer, received_at=at("2026-04-14 10:00"))
    work(ticket, "2026-04-14 10:30", "2026-04-14 10:38", resolved=True)  # 8 minutes
    (line,) = close(ticket, "2026-04-15 09:00")
    assert (line.minutes, line.billed_minutes, line.amount) == (8, 15, Decimal("20.00"))
    assert "minimum per request" in line.explanation


@pytest.mark.django_db
def test_installing_the_remote_tool_first_makes_it_sixty_minutes() -> None:
    customer = customer_on(on_request_plan())
    ticket = open_ticket(customer, received_at=at("2026-04-14 10:00"))
    work(ticket, "2026-04-14 10:30", "2026-04-14 10:50", remote_tool_setup=True, resolved=True)
    (line,) = close(ticket, "2026-04-15 09:00")
    assert (line.minutes, line.billed_minutes, line.amount) == (60, 60, Decimal("80.00"))
    assert "remote tool set up: at least 60" in line.explanation


@pytest.mark.django_db
def test_each_rate_rounds_to_its_own_unit() -> None:
    """Seed 004's Expert: remote support in whole tickets of 30 minutes at 25, programming
    by the hour at 60 billed in quarters of an hour."""
    plan = on_request_plan(
        rates=rate("remote_support", "support", "remote", "25", 30, 30)
        | rate("programming", "programming", "any", "60", 60, 15),
        minimum_minutes=30,
        coefficients={},
    )
    ticket = open_ticket(customer_on(plan), received_at=at("2026-04-14 10:00"))
    work(ticket, "2026-04-14 10:30", "2026-04-14 11:10")  # 40 min of support -> 2 tickets
    work(ticket, "2026-04-14 14:00", "2026-04-14 14:50", activity="programming", resolved=True)
    support, programming = close(ticket, "2026-04-15 09:00")
    assert (support.rate_key, support.billed_minutes, support.amount) == (
        "remote_support",
        60,
        Decimal("50.00"),
    )
    assert (programming.rate_key, programming.billed_minutes, programming.amount) == (
        "programming",
        60,  # 50 minutes in quarters of an hour
        Decimal("60.00"),
    )


@pytest.mark.django_db
def test_coefficients_stack_out_of_hours_urgent_and_the_contracts_own() -> None:
    """Seed 003: x3 out of hours and x2 urgent, "on top of the contract's coefficients"."""
    plan = on_request_plan()
    customer, _, _ = customer_with_contract(
        plan,
        start_on=date(2026, 4, 1),
        now=at("2026-04-01 00:00"),
        coefficients={"premium_sla": Decimal("1.5")},
    )
    ticket = open_ticket(customer, severity=1, received_at=at("2026-04-18 09:00"))  # Saturday
    work(ticket, "2026-04-18 10:00", "2026-04-18 10:30", resolved=True)
    (line,) = close(ticket, "2026-04-20 09:00")
    assert line.coefficient == 9
    assert line.coefficient_names == ["out_of_hours", "urgent", "premium_sla"]
    # 30 min x 9 = 270 min at 80 per hour
    assert (line.billed_minutes, line.amount) == (30, Decimal("360.00"))


@pytest.mark.django_db
def test_allowance_first_then_the_package_then_the_rate() -> None:
    """Seed 004's 10 tickets a month, then a prepaid package, then 25 per ticket."""
    plan = on_request_plan(
        rates=rate("remote_support", "support", "remote", "25", 30, 30),
        allowances=[{"minutes": 60, "rates": ["remote_support"]}],
        minimum_minutes=30,
        coefficients={},
    )
    package = load_catalog(
        plan_spec(
            "remote1",
            rates=rate("remote_support", "support", "remote", "25", 30, 30),
            package={"mode": "remote", "hours": 1, "validity_months": 12, "price": "45"},
            penalties={},
            sla=[],
        ),
        calendars={"office2": FR_OFFICE},
        now=at("2026-01-01 00:00"),
    )
    customer = customer_on(plan)
    package_purchase(
        customer=customer,
        plan=Plan.objects.get(key="remote1"),
        purchased_on=date(2026, 4, 2),
        actor="x",
        now=at("2026-04-02 09:00"),
    )
    assert package  # loaded
    ticket = open_ticket(customer, received_at=at("2026-04-14 10:00"))
    work(ticket, "2026-04-14 10:30", "2026-04-14 13:00", resolved=True)  # 150 minutes
    (line,) = close(ticket, "2026-04-15 09:00")
    assert line.debits == [
        {"bucket": "monthly 2026-04", "minutes": "60"},
        {"bucket": "package remote1 2026-04-02", "minutes": "60"},
    ]
    assert (line.allowance_minutes, line.amount) == (120, Decimal("25.00"))  # 1 ticket left
    uses = AllowanceEntry.objects.filter(ref=ticket.reference, kind="use")
    assert sorted((u.bucket.key, u.minutes) for u in uses) == [
        ("monthly 2026-04", Decimal(-60)),
        ("package remote1 2026-04-02", Decimal(-60)),
    ]


def test_warranty_work_costs_nothing_parts_included(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    services.ticket_reply(ticket=ticket, body="Coming", actor="x", now=at("2026-04-14 09:30"))
    work(
        ticket,
        "2026-04-14 10:00",
        "2026-04-14 11:00",
        mode="onsite",
        warranty=True,
        resolved=True,
        parts=[("Fan", 2, Decimal("12.50"))],
    )
    line, trip, part = close(ticket, "2026-04-15 09:00")
    assert (line.amount, line.free_reason) == (Decimal("0.00"), "warranty")
    assert (trip.type, trip.amount, trip.free_reason) == ("travel", Decimal("0.00"), "warranty")
    assert (part.type, part.amount, part.free_reason) == ("part", Decimal("0.00"), "under warranty")
    assert line.allowance_minutes == 0


def test_the_follow_up_of_a_non_resolving_visit_is_free(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    services.ticket_reply(ticket=ticket, body="Coming", actor="x", now=at("2026-04-14 09:30"))
    work(ticket, "2026-04-14 10:00", "2026-04-14 11:00", mode="onsite", resolved=False)
    ticket.refresh_from_db()
    assert ticket.needs_follow_up
    work(
        ticket, "2026-04-15 09:00", "2026-04-15 09:40", mode="onsite", follow_up=True, resolved=True
    )
    paid, free, trip_paid, trip_free = close(ticket, "2026-04-16 09:00")
    assert (paid.billed_minutes, paid.amount) == (60, Decimal("55.00"))
    assert (free.billed_minutes, free.amount, free.free_reason) == (
        45,
        Decimal("0.00"),
        "free follow-up",
    )
    assert (trip_paid.amount, trip_free.amount) == (Decimal("25.00"), Decimal("0.00"))


def test_an_urgent_ticket_late_on_site_has_no_labour_and_no_travel(annual: Setup) -> None:
    """Seed 001: received Monday 11:00, due on site 16:00, technician there at 16:20."""
    ticket = open_ticket(annual.customer, severity=1, received_at=at("2026-04-13 11:00"))
    work(
        ticket,
        "2026-04-13 16:20",
        "2026-04-13 18:05",
        mode="onsite",
        resolved=True,
        parts=[("Power supply 650 W", 1, Decimal("74.90"))],
    )
    line, trip, part = close(ticket, "2026-04-14 09:00")
    assert (line.amount, line.free_reason) == (Decimal("0.00"), "urgent ticket late on site")
    assert (trip.amount, part.amount) == (Decimal("0.00"), Decimal("74.90"))
    rating = ticket_rating(ticket=ticket)
    assert rating is not None and rating.total_amount == Decimal("74.90")


def test_a_late_answer_costs_twenty_percent_per_started_hour(annual: Setup) -> None:
    """Received Monday 09:00, answer due Monday 18:00, sent Tuesday 10:30: 90 minutes
    late, two started hours, 40 % off the labour."""
    ticket = open_ticket(annual.customer, received_at=at("2026-04-13 09:00"))
    services.ticket_acknowledge(ticket=ticket, actor="x", now=at("2026-04-13 09:05"))
    services.ticket_reply(ticket=ticket, body="Sorry", actor="x", now=at("2026-04-14 10:30"))
    work(ticket, "2026-04-14 11:00", "2026-04-14 12:00", resolved=True)
    (line,) = close(ticket, "2026-04-15 09:00")
    assert (line.gross_amount, line.discount, line.discount_amount, line.amount) == (
        Decimal("45.00"),
        Decimal("0.4"),
        Decimal("18.00"),
        Decimal("27.00"),
    )
    assert "less 40 % for the late response" in line.explanation
