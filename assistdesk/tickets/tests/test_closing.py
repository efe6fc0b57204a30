"""Closing rates a ticket once and writes its allowance uses once; reopening a closed
ticket takes them back; the auto-close job closes resolved tickets nobody answered."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from assistdesk.catalog.models import Plan
from assistdesk.contracts.models import AllowanceBucket, AllowanceEntry
from assistdesk.contracts.selectors import customer_allowances
from assistdesk.customers.models import Customer
from assistdesk.customers.tests.factories import CustomerFactory
from assistdesk.tickets import services
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import EventKind, Ticket, TicketEvent, TicketRating
from assistdesk.tickets.selectors import ratings_in_period, ticket_rating
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import (
    customer_with_contract,
    load_catalog,
    open_ticket,
    plan_spec,
)

EXPERT_RATES = {
    "remote_support": {
        "activity": "support",
        "mode": "remote",
        "price": "25",
        "per_minutes": 30,
        "round_to_minutes": 30,
    }
}


@pytest.fixture
def expert(db: None) -> Setup:
    """Seed 004's Expert, shortened: 300 included minutes a month, 25 per ticket after."""
    spec = plan_spec(
        "expert",
        rates=EXPERT_RATES,
        allowances=[{"minutes": 300, "rates": ["remote_support"]}],
        minimum_minutes=30,
        penalties={},
        sla=[],
        auto_close_days=5,
    )
    plan = load_catalog(spec, now=at("2026-01-01 00:00"))["expert"]
    customer, contract, contact = customer_with_contract(
        plan, start_on=date(2026, 4, 1), now=at("2026-04-01 00:00")
    )
    return Setup(plan, customer, contract, contact)


def worked(customer: Customer, minutes: int, *, day: str = "2026-04-14") -> Ticket:
    ticket = open_ticket(customer, received_at=at(f"{day} 09:00"))
    start = at(f"{day} 10:00")
    services.intervention_log(
        ticket=ticket,
        mode="remote",
        activity="support",
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        resolved=True,
        actor="user:1",
        now=start + timedelta(minutes=minutes),
    )
    return ticket


def uses(ticket: Ticket) -> list[tuple[str, Decimal]]:
    return [
        (e.kind, e.minutes)
        for e in AllowanceEntry.objects.filter(ref=ticket.reference).order_by("id")
    ]


def used(customer: Customer) -> dict[str, Any]:
    return {line.source: line.used_minutes for line in customer_allowances(customer=customer)}


def test_closing_grants_the_month_and_writes_the_uses_once(expert: Setup) -> None:
    ticket = worked(expert.customer, 80)
    # Nobody ran the monthly job: closing opens the month's allowance itself.
    assert not AllowanceBucket.objects.filter(customer=expert.customer).exists()
    services.ticket_close(ticket=ticket, actor="contact:1", now=at("2026-04-15 09:00"))
    assert uses(ticket) == [("use", Decimal(-90))]
    assert used(expert.customer) == {"monthly 2026-04": Decimal(90)}
    with pytest.raises(TicketError, match=r"^state: .*closed already"):
        services.ticket_close(ticket=ticket, actor="contact:1", now=at("2026-04-15 10:00"))
    assert uses(ticket) == [("use", Decimal(-90))]
    assert TicketRating.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.RATED).count() == 1


def test_reopening_a_closed_ticket_reverses_its_uses_and_closing_rates_it_again(
    expert: Setup,
) -> None:
    ticket = worked(expert.customer, 80)
    services.ticket_close(ticket=ticket, actor="system:auto-close", now=at("2026-04-20 09:00"))
    first = ticket_rating(ticket=ticket)
    services.ticket_reopen(
        ticket=ticket,
        reason="the printer fails again",
        actor="contact:1",
        now=at("2026-04-21 09:00"),
    )
    assert ticket_rating(ticket=ticket) is None
    assert first is not None
    first.refresh_from_db()
    assert first.superseded_at == at("2026-04-21 09:00")
    assert uses(ticket) == [("use", Decimal(-90)), ("reversal", Decimal(90))]
    assert used(expert.customer) == {"monthly 2026-04": Decimal(0)}
    services.intervention_log(
        ticket=ticket,
        mode="remote",
        activity="support",
        start_at=at("2026-04-21 10:00"),
        end_at=at("2026-04-21 10:30"),
        resolved=True,
        actor="user:1",
        now=at("2026-04-21 10:30"),
    )
    services.ticket_close(ticket=ticket, actor="contact:1", now=at("2026-04-22 09:00"))
    second = ticket_rating(ticket=ticket)
    assert second is not None and second.pk != first.pk
    # 80 + 30 minutes of one line: 120 billed, all from the month's 300.
    assert [c.billed_minutes for c in second.charges.all()] == [120]
    assert used(expert.customer) == {"monthly 2026-04": Decimal(120)}
    assert list(
        ratings_in_period(
            customer=expert.customer, start_at=at("2026-04-01 00:00"), end_at=at("2026-05-01 00:00")
        )
    ) == [second]


def test_two_tickets_share_the_months_allowance_in_closing_order(expert: Setup) -> None:
    first = worked(expert.customer, 200)
    second = worked(expert.customer, 150, day="2026-04-15")
    services.ticket_close(ticket=second, actor="x", now=at("2026-04-16 09:00"))
    services.ticket_close(ticket=first, actor="x", now=at("2026-04-16 10:00"))
    second_rating, first_rating = ticket_rating(ticket=second), ticket_rating(ticket=first)
    assert second_rating is not None and first_rating is not None
    assert second_rating.total_amount == Decimal("0.00")  # 150 of the 300
    (line,) = first_rating.charges.all()
    assert (line.allowance_minutes, line.amount) == (150, Decimal("50.00"))  # 60 min over


def test_a_ticket_without_a_contract_cannot_be_rated_until_it_gets_one(expert: Setup) -> None:
    orphan = CustomerFactory(country="IT", currency="EUR")
    ticket = open_ticket(orphan, received_at=at("2026-04-14 09:00"))
    assert (ticket.contract, ticket.plan, ticket.priority_rank) == (None, None, 1000)
    empty = open_ticket(orphan, received_at=at("2026-04-14 09:00"))
    services.ticket_close(ticket=empty, actor="x", now=at("2026-04-14 10:00"))
    rating = ticket_rating(ticket=empty)
    assert rating is not None and rating.total_amount == 0 and rating.currency == "EUR"
    services.intervention_log(
        ticket=ticket,
        mode="remote",
        activity="support",
        start_at=at("2026-04-14 09:30"),
        end_at=at("2026-04-14 10:00"),
        actor="x",
        now=at("2026-04-14 10:00"),
    )
    with pytest.raises(TicketError, match=r"^contract: "):
        services.ticket_close(ticket=ticket, actor="x", now=at("2026-04-15 09:00"))
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"  # nothing of the failed closing stayed
    _, contract, _ = customer_with_contract(
        expert.plan, start_on=date(2026, 4, 1), now=at("2026-04-15 09:00"), key="other"
    )
    with pytest.raises(TicketError, match=r"^contract: "):
        services.ticket_set_contract(
            ticket=ticket, contract=contract, actor="x", now=at("2026-04-15 09:00")
        )
    from assistdesk.contracts.services import contract_create

    own = contract_create(
        customer=orphan,
        plan=expert.plan,
        start_on=date(2026, 4, 1),
        actor="x",
        now=at("2026-04-15 09:00"),
    )
    services.ticket_set_contract(ticket=ticket, contract=own, actor="x", now=at("2026-04-15 09:05"))
    services.ticket_close(ticket=ticket, actor="x", now=at("2026-04-15 10:00"))
    assert ticket_rating(ticket=ticket) is not None


# --- auto-close ----------------------------------------------------------------------------


def resolved(customer: Customer, when: str) -> Ticket:
    ticket = open_ticket(customer, received_at=at(when) - timedelta(hours=2))
    return services.ticket_resolve(ticket=ticket, actor="x", now=at(when))


def test_auto_close_after_the_plans_days_without_an_answer(expert: Setup) -> None:
    ticket = resolved(expert.customer, "2026-04-14 10:00")
    assert services.tickets_auto_close_due(now=at("2026-04-19 09:59")) == []
    closed = services.tickets_auto_close_due(now=at("2026-04-19 10:00"))
    assert [t.pk for t in closed] == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.state == "closed"
    last = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSITION).last()
    assert last is not None
    assert (last.actor, last.reason) == (
        "system:auto-close",
        "no answer 5 days after it was resolved",
    )
    assert services.tickets_auto_close_due(now=at("2026-04-20 10:00")) == []


def test_auto_close_defaults_to_seven_days(annual: Setup) -> None:
    assert Plan.objects.get(key="annual").auto_close_days is None
    ticket = resolved(annual.customer, "2026-04-14 10:00")
    assert services.tickets_auto_close_due(now=at("2026-04-21 09:59")) == []
    assert [t.pk for t in services.tickets_auto_close_due(now=at("2026-04-21 10:00"))] == [
        ticket.pk
    ]


def test_a_customer_answer_after_resolution_stops_the_auto_close(expert: Setup) -> None:
    ticket = resolved(expert.customer, "2026-04-14 10:00")
    services.ticket_customer_reply(
        ticket=ticket, body="Not quite: the second PC still fails", actor="contact:1",
        now=at("2026-04-15 10:00"),
    )  # fmt: skip
    assert services.tickets_auto_close_due(now=at("2026-04-30 10:00")) == []
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
