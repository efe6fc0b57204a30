"""States and transitions (§2.4): the table, the one transition service, the implicit
chains of the convenience services, and who may open and dispatch tickets."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User

from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory
from assistdesk.tickets import services
from assistdesk.tickets.errors import TicketError, TransitionNotAllowed
from assistdesk.tickets.models import EventKind, Ticket, TicketEvent
from assistdesk.tickets.states import ALLOWED_TRANSITIONS, TicketState, path_to
from assistdesk.tickets.tests.conftest import Setup, at
from assistdesk.tickets.tests.factories import StaffFactory, TicketFactory, dispatcher, open_ticket

S = TicketState
PAIRS = list(itertools.product(TicketState, TicketState))


def _states(ticket: Ticket) -> list[tuple[str, str]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSITION)
        .order_by("id")
        .values_list("from_state", "to_state")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [(a, b) for a, b in PAIRS if b in ALLOWED_TRANSITIONS[a]],
    ids=lambda s: str(s),
)
def test_an_allowed_transition_moves_the_ticket_and_records_who_when_why(
    from_state: TicketState, to_state: TicketState
) -> None:
    ticket = TicketFactory(state=from_state)
    now = at("2026-04-14 10:00")
    services.ticket_transition(
        ticket=ticket, to_state=to_state, actor="user:7", reason="because", now=now
    )
    ticket.refresh_from_db()
    assert ticket.state == to_state
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRANSITION)
    assert (event.from_state, event.to_state, event.actor, event.reason, event.at) == (
        from_state,
        to_state,
        "user:7",
        "because",
        now,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [(a, b) for a, b in PAIRS if b not in ALLOWED_TRANSITIONS[a]],
    ids=lambda s: str(s),
)
def test_a_transition_not_in_the_table_is_refused_and_changes_nothing(
    from_state: TicketState, to_state: TicketState
) -> None:
    ticket = TicketFactory(state=from_state)
    with pytest.raises(TransitionNotAllowed, match=r"^state: "):
        services.ticket_transition(
            ticket=ticket, to_state=to_state, actor="user:7", now=at("2026-04-14 10:00")
        )
    ticket.refresh_from_db()
    assert ticket.state == from_state
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_every_state_can_reach_closed_and_every_state_but_new_is_entered() -> None:
    for state in TicketState:
        assert path_to(state, S.CLOSED) is not None
    entered = set().union(*ALLOWED_TRANSITIONS.values())
    assert entered == set(TicketState) - {S.NEW}


def test_an_unknown_state_is_named(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    with pytest.raises(TicketError, match=r"^to_state: "):
        services.ticket_transition(
            ticket=ticket, to_state="lost", actor="x", now=ticket.received_at
        )


def test_a_public_reply_on_a_new_ticket_walks_to_in_progress_recording_each_step(
    annual: Setup,
) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    services.ticket_reply(ticket=ticket, body="Looking", actor="user:3", now=at("2026-04-14 09:30"))
    ticket.refresh_from_db()
    assert ticket.state == S.IN_PROGRESS
    assert _states(ticket) == [
        ("new", "acknowledged"),
        ("acknowledged", "assigned"),
        ("assigned", "in_progress"),
    ]
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds[0] == EventKind.CREATED and kinds[-1] == EventKind.REPLY


def test_an_internal_note_leaves_the_state_alone(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    services.ticket_reply(
        ticket=ticket, body="Call back", is_public=False, actor="user:3", now=ticket.received_at
    )
    ticket.refresh_from_db()
    assert ticket.state == S.NEW
    assert _states(ticket) == []


def test_closing_an_in_progress_ticket_resolves_it_first(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    services.ticket_reply(ticket=ticket, body="On it", actor="x", now=at("2026-04-14 09:10"))
    services.ticket_close(ticket=ticket, actor="contact:1", now=at("2026-04-15 09:00"))
    ticket.refresh_from_db()
    assert ticket.state == S.CLOSED
    assert _states(ticket)[-2:] == [("in_progress", "resolved"), ("resolved", "closed")]
    assert ticket.resolved_at == ticket.closed_at == at("2026-04-15 09:00")
    assert not ticket.in_queue


def test_work_on_a_resolved_ticket_does_not_reopen_it(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    services.ticket_resolve(ticket=ticket, actor="x", now=at("2026-04-14 10:00"))
    services.intervention_log(
        ticket=ticket,
        mode="remote",
        activity="support",
        start_at=at("2026-04-14 09:10"),
        end_at=at("2026-04-14 09:40"),
        actor="x",
        now=at("2026-04-14 10:05"),
    )
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED
    with pytest.raises(TransitionNotAllowed, match="without reopening"):
        services.ticket_wait_for_customer(
            ticket=ticket, reason="need access", actor="x", now=at("2026-04-14 10:10")
        )


def test_a_closed_ticket_refuses_work_and_a_second_closing(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    services.ticket_close(ticket=ticket, actor="x", now=at("2026-04-14 11:00"))
    events = TicketEvent.objects.filter(ticket=ticket).count()
    with pytest.raises(TicketError, match=r"^state: .* closed already"):
        services.ticket_close(ticket=ticket, actor="x", now=at("2026-04-14 12:00"))
    with pytest.raises(TicketError, match=r"^state: .*reopen it"):
        services.intervention_log(
            ticket=ticket,
            mode="remote",
            activity="support",
            start_at=at("2026-04-14 11:10"),
            end_at=at("2026-04-14 11:40"),
            actor="x",
            now=at("2026-04-14 12:00"),
        )
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_reopen_only_what_was_resolved_or_closed(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    with pytest.raises(TicketError, match=r"^state: "):
        services.ticket_reopen(ticket=ticket, reason="no", actor="x", now=at("2026-04-14 09:10"))
    services.ticket_resolve(ticket=ticket, actor="x", now=at("2026-04-14 10:00"))
    services.ticket_reopen(
        ticket=ticket, reason="still broken", actor="contact:1", now=at("2026-04-14 11:00")
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.resolved_at, ticket.in_queue) == (S.REOPENED, None, True)
    assert _states(ticket)[-1] == ("resolved", "reopened")


# --- who may open and dispatch ------------------------------------------------------------


def test_only_an_authorised_contact_of_the_customer_opens_a_ticket(annual: Setup) -> None:
    not_authorised = ContactFactory(customer=annual.customer, is_authorised=False)
    stranger = ContactFactory(customer=CustomerFactory(), is_authorised=True)
    for requester in (not_authorised, stranger):
        with pytest.raises(TicketError, match=r"^requester: "):
            open_ticket(annual.customer, requester=requester, received_at=at("2026-04-14 09:00"))
    assert not Ticket.objects.exists()
    ticket = open_ticket(
        annual.customer, requester=annual.contact, received_at=at("2026-04-14 09:00")
    )
    assert ticket.requester == annual.contact


def test_a_ticket_takes_the_contract_in_force_at_receipt_and_its_rank(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    assert (ticket.contract, ticket.plan, ticket.priority_rank) == (
        annual.contract,
        annual.plan,
        1,
    )
    assert ticket.number >= 1 and ticket.reference.startswith("AD-")
    assert ticket.subject_tag == f"[AD#{ticket.number}]"
    second = open_ticket(annual.customer, received_at=at("2026-04-14 09:05"))
    assert second.number == ticket.number + 1


def test_urgent_defaults_to_severity_one_and_out_of_hours_to_the_calendar(annual: Setup) -> None:
    saturday = open_ticket(annual.customer, severity=1, received_at=at("2026-04-18 10:00"))
    assert saturday.is_urgent and saturday.is_out_of_hours
    weekday = open_ticket(annual.customer, severity=2, received_at=at("2026-04-14 10:00"))
    assert not weekday.is_urgent and not weekday.is_out_of_hours
    flagged = open_ticket(
        annual.customer, severity=3, urgent=True, received_at=at("2026-04-14 10:00")
    )
    assert flagged.is_urgent


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"origin": "pigeon"}, "origin"),
        ({"severity": 4}, "severity"),
        ({"kind": "chat"}, "kind"),
        ({"subject": "   "}, "subject"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    annual: Setup, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(TicketError, match=f"^{field}: "):
        open_ticket(annual.customer, received_at=at("2026-04-14 09:00"), **kwargs)


def test_a_ticket_is_not_received_in_the_future(annual: Setup) -> None:
    with pytest.raises(TicketError, match=r"^received_at: "):
        open_ticket(annual.customer, received_at=at("2026-04-14 09:00"), now=at("2026-04-14 08:00"))


def test_the_plan_channels_decide_which_origins_open_tickets(db: None) -> None:
    from datetime import date

    from assistdesk.tickets.tests.factories import (
        customer_with_contract,
        load_catalog,
        plan_spec,
    )

    plan = load_catalog(
        plan_spec("written", channels={"origins": ["email", "web", "phone"],
                                       "phone_emergency_only": True}),
        now=at("2026-01-01 00:00"),
    )["written"]  # fmt: skip
    customer, _, _ = customer_with_contract(
        plan, start_on=date(2026, 4, 1), now=at("2026-04-01 00:00")
    )
    with pytest.raises(TicketError, match=r"^origin: .*emergencies only"):
        open_ticket(customer, origin="phone", severity=3, received_at=at("2026-04-14 09:00"))
    with pytest.raises(TicketError, match=r"^origin: .*monitoring"):
        open_ticket(customer, origin="monitoring", received_at=at("2026-04-14 09:00"))
    urgent = open_ticket(customer, origin="phone", severity=1, received_at=at("2026-04-14 09:00"))
    assert urgent.origin == "phone"


def test_only_a_dispatcher_assigns_and_only_to_staff(annual: Setup) -> None:
    ticket = open_ticket(annual.customer, received_at=at("2026-04-14 09:00"))
    technician = StaffFactory()
    boss = dispatcher()
    with pytest.raises(TicketError, match=r"^actor_user: "):
        services.ticket_assign(
            ticket=ticket, assignee=technician, actor_user=technician, now=at("2026-04-14 09:10")
        )
    outsider = User.objects.create(username="customer-login")
    with pytest.raises(TicketError, match=r"^assignee: "):
        services.ticket_assign(
            ticket=ticket, assignee=outsider, actor_user=boss, now=at("2026-04-14 09:10")
        )
    services.ticket_assign(
        ticket=ticket, assignee=technician, actor_user=boss, now=at("2026-04-14 09:10")
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee) == (S.ASSIGNED, technician)
    assigned = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ASSIGNED)
    assert assigned.actor == f"user:{boss.pk}" and assigned.data["to"] == technician.pk
    other = StaffFactory()
    services.ticket_assign(
        ticket=ticket, assignee=other, actor_user=boss, now=at("2026-04-14 10:00")
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee) == (S.ASSIGNED, other)
