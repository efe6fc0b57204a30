"""The stored SLA is recomputed from the events on every service call (§2.2)."""

from __future__ import annotations

from datetime import date

import pytest

from assistdesk.tickets import services
from assistdesk.tickets.models import Ticket, TicketTarget
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import (
    customer_with_contract,
    load_catalog,
    open_ticket,
    plan_spec,
)


def targets(ticket: Ticket) -> dict[str, TicketTarget]:
    return {t.kind: t for t in TicketTarget.objects.filter(ticket=ticket)}


@pytest.fixture
def with_resolution(db: None) -> Setup:
    """A plan promising an answer in 2 working hours and a resolution in 8."""
    spec = plan_spec(
        "resolving",
        sla=[
            {"kind": "response", "working_hours": 2},
            {"kind": "resolution", "working_hours": 8},
            {"kind": "change", "working_days": 2},
        ],
    )
    plan = load_catalog(spec, now=at("2026-01-01 00:00"))["resolving"]
    customer, contract, contact = customer_with_contract(
        plan, start_on=date(2026, 4, 1), now=at("2026-04-01 00:00")
    )
    return Setup(plan, customer, contract, contact)


def test_targets_are_stored_at_receipt_in_the_plans_order(with_resolution: Setup) -> None:
    ticket = open_ticket(with_resolution.customer, received_at=at("2026-04-13 09:00"))
    rows = list(TicketTarget.objects.filter(ticket=ticket))
    assert [(r.ordinal, r.kind) for r in rows] == [(1, "response"), (2, "resolution")]
    assert rows[0].due_at == at("2026-04-13 11:00")
    assert rows[1].due_at == at("2026-04-13 18:00")
    assert all(r.actual_at is None and r.met is None for r in rows)
    assert ticket.next_due_at == at("2026-04-13 11:00")


def test_acknowledgement_and_notes_are_not_responses_a_confirmation_is(
    with_resolution: Setup,
) -> None:
    ticket = open_ticket(with_resolution.customer, received_at=at("2026-04-13 09:00"))
    services.ticket_acknowledge(ticket=ticket, actor="x", now=at("2026-04-13 09:01"))
    services.ticket_reply(
        ticket=ticket, body="internal", is_public=False, actor="x", now=at("2026-04-13 09:30")
    )
    assert targets(ticket)["response"].actual_at is None
    services.ticket_confirm_intervention(
        ticket=ticket,
        planned_at=at("2026-04-14 10:00"),
        mode="onsite",
        expected_minutes=90,
        actor="x",
        now=at("2026-04-13 12:00"),
    )
    response = targets(ticket)["response"]
    assert (response.actual_at, response.met, response.late_minutes) == (
        at("2026-04-13 12:00"),
        False,
        60,
    )
    ticket.refresh_from_db()
    assert ticket.next_due_at == at("2026-04-13 18:00")  # the resolution, still open


def test_waiting_for_the_customer_pauses_resolution_not_response(with_resolution: Setup) -> None:
    ticket = open_ticket(with_resolution.customer, received_at=at("2026-04-13 09:00"))
    services.ticket_reply(ticket=ticket, body="Screenshot?", actor="x", now=at("2026-04-13 09:30"))
    services.ticket_wait_for_customer(
        ticket=ticket, reason="screenshot asked", actor="x", now=at("2026-04-13 10:00")
    )
    # Waiting since 10:00: at 12:00 two working hours were not counted.
    services.ticket_reply(
        ticket=ticket, body="note", is_public=False, actor="x", now=at("2026-04-13 12:00")
    )
    assert targets(ticket)["resolution"].due_at == at("2026-04-14 11:00")
    # The customer answers on Tuesday at 10:00: 8 working hours of pause in all.
    services.ticket_customer_reply(
        ticket=ticket, body="Here", actor="x", now=at("2026-04-14 10:00")
    )
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    assert targets(ticket)["resolution"].due_at == at("2026-04-14 18:00")
    assert targets(ticket)["response"].due_at == at("2026-04-13 11:00")
    services.ticket_resolve(ticket=ticket, actor="x", now=at("2026-04-14 17:00"))
    resolution = targets(ticket)["resolution"]
    assert (resolution.actual_at, resolution.met, resolution.late_minutes) == (
        at("2026-04-14 17:00"),
        True,
        0,
    )


def test_classifying_changes_which_targets_apply(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, severity=3, received_at=at("2026-04-13 09:00"))
    assert set(targets(ticket)) == {"response"}  # non-urgent: written answer in 8 h
    services.ticket_classify(ticket=ticket, severity=1, actor="x", now=at("2026-04-13 09:10"))
    ticket.refresh_from_db()
    assert ticket.is_urgent
    # Urgent: only the on-site target, which applies once somebody goes on site.
    assert targets(ticket) == {}
    assert ticket.next_due_at is None
    services.intervention_log(
        ticket=ticket,
        mode="onsite",
        activity="support",
        start_at=at("2026-04-13 12:00"),
        end_at=at("2026-04-13 12:30"),
        actor="x",
        now=at("2026-04-13 12:30"),
    )
    onsite = targets(ticket)["onsite"]
    assert (onsite.due_at, onsite.actual_at, onsite.met) == (
        at("2026-04-13 13:00"),  # 09:00-13:00 is four working hours
        at("2026-04-13 12:00"),
        True,
    )


def test_a_change_ticket_has_its_change_target(with_resolution: Setup) -> None:
    ticket = open_ticket(
        with_resolution.customer, kind="change", received_at=at("2026-04-13 09:00")
    )
    change = targets(ticket)["change"]
    assert change.due_at == at("2026-04-15 18:00")  # end of the second working day after


def test_the_overdue_job_flags_open_targets_past_due(with_resolution: Setup) -> None:
    ticket = open_ticket(with_resolution.customer, received_at=at("2026-04-13 09:00"))
    assert not targets(ticket)["response"].is_overdue
    assert services.tickets_refresh_overdue(now=at("2026-04-13 10:00")) == []
    refreshed = services.tickets_refresh_overdue(now=at("2026-04-13 12:30"))
    assert [t.pk for t in refreshed] == [ticket.pk]
    response = targets(ticket)["response"]
    assert (response.is_overdue, response.late_minutes, response.met) == (True, 90, None)
    assert services.tickets_refresh_overdue(now=at("2026-04-13 12:30")) == []
