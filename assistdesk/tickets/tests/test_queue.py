"""The queue (§2.4): free follow-ups owed first, then the contract's priority rank, then
severity, then the earliest due time, then receipt; one query whatever its length."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory
from assistdesk.tickets import services
from assistdesk.tickets.selectors import ticket_queue
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import StaffFactory, TicketFactory, open_ticket

T0 = at("2026-04-13 09:00")


@pytest.mark.django_db
def test_queue_order_follows_the_design() -> None:
    make = TicketFactory
    late_receipt = make(subject="same, received later", received_at=T0 + timedelta(hours=1))
    early_receipt = make(subject="same, received first", received_at=T0)
    due_soon = make(subject="due soon", next_due_at=T0 + timedelta(hours=2))
    due_later = make(subject="due later", next_due_at=T0 + timedelta(hours=5))
    severe = make(subject="severity 1", severity=1)
    ranked = make(subject="top plan", priority_rank=1, severity=3)
    follow_up = make(subject="follow-up owed", needs_follow_up=True, priority_rank=20)
    make(subject="closed", state="closed", in_queue=False, priority_rank=1)
    make(subject="resolved", state="resolved", in_queue=False, priority_rank=1)
    assert list(ticket_queue()) == [
        follow_up,
        ranked,
        severe,
        due_soon,
        due_later,
        early_receipt,
        late_receipt,
    ]


@pytest.mark.django_db
def test_the_queue_is_one_query_with_what_a_list_shows(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    technician = StaffFactory()
    for n in range(60):
        customer = CustomerFactory()
        TicketFactory(
            customer=customer,
            requester=ContactFactory(customer=customer),
            assignee=technician,
            severity=1 + n % 3,
            next_due_at=T0 + timedelta(minutes=n) if n % 2 else None,
        )
    with django_assert_num_queries(1):
        rows = [
            (t.reference, t.customer.name, t.requester and t.requester.name, t.assignee, t.plan)
            for t in ticket_queue()
        ]
    assert len(rows) == 60
    with django_assert_num_queries(1):
        assert len(list(ticket_queue(assignee=technician)[:25])) == 25


@pytest.mark.django_db
def test_the_queue_reads_its_partial_index() -> None:
    TicketFactory.create_batch(300, severity=2)
    page = ticket_queue()[:25]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE tickets_ticket")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute("ANALYZE")
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    if connection.vendor == "postgresql":
        # PostgreSQL reads the page straight off the index, already in queue order.
        assert "Index Scan using ticket_queue_order" in plan
        assert "Sort" not in plan
    else:
        # SQLite cannot index NULLS LAST: it walks the same index, then sorts the tail.
        assert "SCAN tickets_ticket USING INDEX ticket_queue_order" in plan


def test_a_non_resolving_intervention_puts_the_ticket_first(annual: Setup) -> None:
    other = open_ticket(annual.customer, severity=1, received_at=T0)
    ticket = open_ticket(annual.customer, severity=3, received_at=T0 + timedelta(minutes=5))
    services.intervention_log(
        ticket=ticket,
        mode="onsite",
        activity="support",
        start_at=T0 + timedelta(hours=1),
        end_at=T0 + timedelta(hours=2),
        resolved=False,
        actor="x",
        now=T0 + timedelta(hours=2),
    )
    assert list(ticket_queue()) == [ticket, other]
    services.intervention_log(
        ticket=ticket,
        mode="onsite",
        activity="support",
        start_at=T0 + timedelta(days=1),
        end_at=T0 + timedelta(days=1, hours=1),
        follow_up=True,
        resolved=True,
        actor="x",
        now=T0 + timedelta(days=1, hours=1),
    )
    ticket.refresh_from_db()
    assert not ticket.needs_follow_up
    assert list(ticket_queue()) == [other, ticket]
