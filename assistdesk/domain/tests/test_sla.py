"""SLA: which targets apply, clocks and pauses, lateness, penalties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistdesk.domain.calendar import Calendar
from assistdesk.domain.errors import SpecError
from assistdesk.domain.sla import (
    EventType,
    Penalties,
    PenaltyOutcome,
    Target,
    TargetKind,
    TargetResult,
    TicketEvent,
    TicketFacts,
    TicketKind,
    applicable_targets,
    penalty_outcome,
    sla_state,
    targets_from_spec,
    ticket_facts,
)

ROME = ZoneInfo("Europe/Rome")
OFFICE = Calendar(
    "Europe/Rome",
    {day: ["09:00-13:00", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays_country="IT",
)
ALWAYS = Calendar("Europe/Rome", "24x7")


def it(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


def ev(kind: str, *args: int, mode: str | None = None) -> TicketEvent:
    return TicketEvent(EventType(kind), it(*args), mode=mode)


RESPONSE_NON_URGENT = Target(TargetKind.RESPONSE, OFFICE, working_minutes=8 * 60, urgent=False)
RESPONSE_URGENT = Target(TargetKind.RESPONSE, OFFICE, working_minutes=2 * 60, urgent=True)
ONSITE_URGENT = Target(TargetKind.ONSITE, OFFICE, working_minutes=4 * 60, urgent=True)
RESOLUTION_SEV1 = Target(TargetKind.RESOLUTION, ALWAYS, working_minutes=4 * 60, severity=1)
RESOLUTION = Target(TargetKind.RESOLUTION, OFFICE, working_minutes=8 * 60)
CHANGE = Target(TargetKind.CHANGE, OFFICE, working_days=30)
POLICY = (RESPONSE_NON_URGENT, RESPONSE_URGENT, ONSITE_URGENT, RESOLUTION_SEV1, CHANGE)

MONDAY_9 = it(2026, 2, 2, 9)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (TicketFacts(MONDAY_9, severity=3), (RESPONSE_NON_URGENT,)),
        # Severity 1 is urgent by default; on-site only once there was a visit.
        (TicketFacts(MONDAY_9, severity=1), (RESPONSE_URGENT, RESOLUTION_SEV1)),
        (
            TicketFacts(MONDAY_9, severity=1, first_onsite_at=it(2026, 2, 2, 11)),
            (RESPONSE_URGENT, ONSITE_URGENT, RESOLUTION_SEV1),
        ),
        # An urgent flag set by hand on a severity-2 ticket.
        (TicketFacts(MONDAY_9, severity=2, urgent=True), (RESPONSE_URGENT,)),
        (TicketFacts(MONDAY_9, severity=1, urgent=False), (RESPONSE_NON_URGENT, RESOLUTION_SEV1)),
        # `change` only for tickets of kind change.
        (TicketFacts(MONDAY_9, kind=TicketKind.CHANGE), (RESPONSE_NON_URGENT, CHANGE)),
        (TicketFacts(MONDAY_9, kind=TicketKind.DEVELOPMENT), (RESPONSE_NON_URGENT,)),
    ],
)
def test_applicable_targets(facts: TicketFacts, expected: tuple[Target, ...]) -> None:
    assert applicable_targets(POLICY, facts) == expected


def test_facts_from_events() -> None:
    facts = ticket_facts(
        MONDAY_9,
        [
            ev("acknowledgement", 2026, 2, 2, 9, 1),  # not a response
            ev("intervention", 2026, 2, 2, 10, mode="remote"),
            ev("confirmation", 2026, 2, 2, 9, 30),
            ev("response", 2026, 2, 2, 9, 45),
            ev("intervention", 2026, 2, 3, 15, mode="onsite"),
            ev("intervention", 2026, 2, 4, 15, mode="onsite"),
            ev("waiting", 2026, 2, 3, 16),
            ev("waiting", 2026, 2, 3, 17),  # already waiting
            ev("customer_reply", 2026, 2, 4, 10),
            ev("resolved", 2026, 2, 4, 16),
            ev("reopened", 2026, 2, 5, 9),
            ev("waiting", 2026, 2, 5, 10),
            ev("closed", 2026, 2, 6, 12),  # closing resolves and ends the wait
        ],
        severity=2,
    )
    assert facts.first_response_at == it(2026, 2, 2, 9, 30)
    assert facts.first_onsite_at == it(2026, 2, 3, 15)
    assert facts.resolved_at == it(2026, 2, 6, 12)
    assert facts.pauses == (
        (it(2026, 2, 3, 16), it(2026, 2, 4, 10)),
        (it(2026, 2, 5, 10), it(2026, 2, 6, 12)),
    )
    assert not facts.is_urgent


def test_events_before_receipt_and_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="precedes"):
        ticket_facts(MONDAY_9, [ev("response", 2026, 2, 2, 8)])
    with pytest.raises(ValueError, match="aware"):
        ticket_facts(datetime(2026, 2, 2, 9), [])
    with pytest.raises(ValueError, match="aware"):
        sla_state(TicketFacts(MONDAY_9), POLICY, datetime(2026, 2, 3))
    with pytest.raises(ValueError, match="aware"):
        TicketFacts(MONDAY_9, resolved_at=datetime(2026, 2, 3))
    with pytest.raises(ValueError, match="ends before it starts"):
        TicketFacts(MONDAY_9, pauses=((it(2026, 2, 3), it(2026, 2, 2, 10)),))


def one(facts: TicketFacts, target: Target, now: datetime) -> TargetResult:
    (result,) = sla_state(facts, [target], now)
    return result


def test_response_met_late_and_after_closing() -> None:
    # Due Monday 18:00 (a full working day from 09:00).
    on_time = one(
        TicketFacts(MONDAY_9, first_response_at=it(2026, 2, 2, 18)),
        RESPONSE_NON_URGENT,
        it(2026, 3, 1),
    )
    assert (on_time.due_at, on_time.met, on_time.late_minutes) == (it(2026, 2, 2, 18), True, 0)
    # After closing, before the next opening: no working time lost, so on time.
    evening = one(
        TicketFacts(MONDAY_9, first_response_at=it(2026, 2, 2, 20)),
        RESPONSE_NON_URGENT,
        it(2026, 3, 1),
    )
    assert (evening.met, evening.late_minutes, evening.is_overdue) == (True, 0, False)
    # 30 seconds into Tuesday's hours: late, and lateness counts the started minute.
    late = one(
        TicketFacts(MONDAY_9, first_response_at=it(2026, 2, 3, 9, 0, 30)),
        RESPONSE_NON_URGENT,
        it(2026, 3, 1),
    )
    assert (late.met, late.late_minutes, late.is_overdue) == (False, 1, True)


def test_open_targets() -> None:
    facts = TicketFacts(MONDAY_9, first_response_at=it(2026, 2, 3, 10))
    # Before the due time: open and not late.
    early = one(facts, RESPONSE_NON_URGENT, it(2026, 2, 2, 15))
    assert (early.actual_at, early.met, early.late_minutes, early.is_overdue) == (
        None,
        None,
        0,
        False,
    )
    # Past due and still unanswered (the response of Tuesday 10:00 has not happened yet).
    overdue = one(facts, RESPONSE_NON_URGENT, it(2026, 2, 3, 9, 20))
    assert (overdue.actual_at, overdue.met, overdue.late_minutes, overdue.is_overdue) == (
        None,
        None,
        20,
        True,
    )
    closed = one(facts, RESPONSE_NON_URGENT, it(2026, 2, 3, 12))
    assert (closed.actual_at, closed.met, closed.late_minutes) == (it(2026, 2, 3, 10), False, 60)


def test_waiting_pauses_resolution_but_not_response() -> None:
    # Waiting Monday 11:00 -> Tuesday 11:00 is 8 working hours: resolution due moves a day.
    facts = ticket_facts(
        MONDAY_9,
        [
            ev("response", 2026, 2, 2, 10),
            ev("waiting", 2026, 2, 2, 11),
            ev("customer_reply", 2026, 2, 3, 11),
            ev("resolved", 2026, 2, 3, 17),
        ],
    )
    response, resolution = sla_state(facts, [RESPONSE_NON_URGENT, RESOLUTION], it(2026, 3, 1))
    assert response.due_at == it(2026, 2, 2, 18)
    assert (resolution.due_at, resolution.met) == (it(2026, 2, 3, 18), True)


def test_a_wait_after_the_clock_ran_out_changes_nothing() -> None:
    facts = ticket_facts(
        MONDAY_9,
        [
            ev("waiting", 2026, 2, 3, 10),
            ev("customer_reply", 2026, 2, 4, 10),
            ev("resolved", 2026, 2, 4, 11),
        ],
    )
    result = one(facts, RESOLUTION, it(2026, 3, 1))
    # Lateness is the working time from due to actual (DESIGN §2.2), the wait included.
    assert (result.due_at, result.met, result.late_minutes) == (it(2026, 2, 2, 18), False, 10 * 60)


def test_an_open_wait_moves_the_due_time_with_now() -> None:
    facts = ticket_facts(MONDAY_9, [ev("waiting", 2026, 2, 2, 11)])
    # 2 h ran before the wait; 6 h are left from whenever the customer answers.
    assert one(facts, RESOLUTION, it(2026, 2, 2, 15)).due_at == it(2026, 2, 3, 12)
    assert one(facts, RESOLUTION, it(2026, 2, 3, 9, 30)).due_at == it(2026, 2, 3, 16, 30)
    assert not one(facts, RESOLUTION, it(2026, 2, 20)).is_overdue


def test_working_days_target_with_a_wait() -> None:
    received = it(2026, 3, 27, 16)  # a Friday
    facts = ticket_facts(
        received,
        [
            ev("waiting", 2026, 3, 30, 9),
            ev("customer_reply", 2026, 3, 31, 9),
            ev("resolved", 2026, 5, 13, 12),  # on time only thanks to the wait
        ],
        kind=TicketKind.CHANGE,
    )
    plain = OFFICE.add_working_days(received, 30)
    assert plain == it(2026, 5, 12, 18)  # Easter Monday (6 Apr) and 1 May do not count
    result = one(facts, CHANGE, it(2026, 6, 1))
    assert result.due_at == it(2026, 5, 13, 18)  # one working day of waiting later
    assert result.met is True


def test_reopened_ticket_is_resolved_when_resolved_again() -> None:
    facts = ticket_facts(
        MONDAY_9,
        [
            ev("resolved", 2026, 2, 2, 12),
            ev("reopened", 2026, 2, 3, 9),
            ev("resolved", 2026, 2, 3, 10),
        ],
    )
    result = one(facts, RESOLUTION, it(2026, 3, 1))
    assert (result.actual_at, result.met, result.late_minutes) == (it(2026, 2, 3, 10), False, 60)
    reopened = one(facts, RESOLUTION, it(2026, 2, 3, 9, 30))
    assert (reopened.actual_at, reopened.met, reopened.late_minutes) == (None, None, 30)


# -- specs ------------------------------------------------------------------------------


def test_targets_from_spec() -> None:
    targets = targets_from_spec(
        [
            {"kind": "response", "urgent": False, "working_hours": 6},
            {"kind": "resolution", "severity": 1, "working_hours": "1.5", "calendar": "always"},
            {"kind": "change", "working_days": 30},
            {"kind": "onsite", "working_minutes": 90},
        ],
        {"always": ALWAYS},
        OFFICE,
    )
    assert targets == (
        Target(TargetKind.RESPONSE, OFFICE, working_minutes=360, urgent=False),
        Target(TargetKind.RESOLUTION, ALWAYS, working_minutes=90, severity=1),
        Target(TargetKind.CHANGE, OFFICE, working_days=30),
        Target(TargetKind.ONSITE, OFFICE, working_minutes=90),
    )


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ({"kind": "answer", "working_hours": 6}, "sla[1].kind"),
        ({"kind": "response", "urgent": "yes", "working_hours": 6}, "sla[1].urgent"),
        ({"kind": "response", "severity": 4, "working_hours": 6}, "sla[1].severity"),
        ({"kind": "response", "working_hours": 6, "calendar": "nights"}, "sla[1].calendar"),
        ({"kind": "response"}, "sla[1].working_hours"),
        ({"kind": "response", "working_hours": 6, "working_days": 1}, "sla[1].working_hours"),
        ({"kind": "response", "working_hours": "0.001"}, "sla[1].working_hours"),
        ({"kind": "response", "working_days": 0}, "sla[1].working_days"),
        ({"kind": "response", "working_days": "x"}, "sla[1].working_days"),
        ({"kind": "response", "working_hours": 6, "priority": 1}, "sla[1].priority"),
    ],
)
def test_target_spec_errors_name_the_key(item: dict[str, object], key: str) -> None:
    with pytest.raises(SpecError) as caught:
        targets_from_spec([{"kind": "response", "working_hours": 1}, item], {}, OFFICE)
    assert caught.value.key == key


# -- penalties --------------------------------------------------------------------------

SEED_001 = Penalties(late_onsite_urgent_free=True, late_response_discount_per_hour=Decimal("0.20"))


def result(kind: TargetKind, met: bool | None, late_minutes: int) -> TargetResult:
    target = Target(kind, OFFICE, working_minutes=60)
    return TargetResult(
        target, MONDAY_9, None if met is None else MONDAY_9, met, late_minutes, bool(late_minutes)
    )


@pytest.mark.parametrize(
    ("results", "is_urgent", "expected"),
    [
        # Seed 001 as in example-03: 165 minutes late = 3 started hours = 60 %.
        (
            [result(TargetKind.RESPONSE, False, 165)],
            False,
            PenaltyOutcome(False, Decimal("0.60"), 3),
        ),
        ([result(TargetKind.RESPONSE, False, 1)], False, PenaltyOutcome(False, Decimal("0.20"), 1)),
        (
            [result(TargetKind.RESPONSE, False, 60)],
            False,
            PenaltyOutcome(False, Decimal("0.20"), 1),
        ),
        (
            [result(TargetKind.RESPONSE, False, 61)],
            False,
            PenaltyOutcome(False, Decimal("0.40"), 2),
        ),
        ([result(TargetKind.RESPONSE, False, 6 * 60)], False, PenaltyOutcome(False, Decimal(1), 6)),
        ([result(TargetKind.RESPONSE, True, 0)], False, PenaltyOutcome(False, Decimal(0), 0)),
        # Still open: nothing decided, nothing discounted.
        ([result(TargetKind.RESPONSE, None, 90)], False, PenaltyOutcome(False, Decimal(0), 0)),
        # Urgent tickets: late on site is free; a late response is not discounted.
        ([result(TargetKind.ONSITE, False, 20)], True, PenaltyOutcome(True, Decimal(0), 0)),
        ([result(TargetKind.RESPONSE, False, 90)], True, PenaltyOutcome(False, Decimal(0), 0)),
        ([result(TargetKind.ONSITE, False, 20)], False, PenaltyOutcome(False, Decimal(0), 0)),
        ([result(TargetKind.RESOLUTION, False, 500)], False, PenaltyOutcome(False, Decimal(0), 0)),
    ],
)
def test_penalty_outcome(
    results: list[TargetResult], is_urgent: bool, expected: PenaltyOutcome
) -> None:
    assert penalty_outcome(SEED_001, results, is_urgent=is_urgent) == expected


def test_no_penalties_by_default() -> None:
    late = [result(TargetKind.ONSITE, False, 20), result(TargetKind.RESPONSE, False, 90)]
    assert penalty_outcome(Penalties(), late, is_urgent=True) == PenaltyOutcome(
        False, Decimal(0), 0
    )
    assert penalty_outcome(Penalties.from_spec(None), late, is_urgent=False).discount == 0


def test_penalties_from_spec() -> None:
    spec = {"late_onsite_urgent_free": True, "late_response_discount_per_hour": "0.20"}
    assert Penalties.from_spec(spec) == SEED_001
    for bad, key in [
        ({"late_response_discount_per_hour": 0.2}, "late_response_discount_per_hour"),
        ({"late_response_discount_per_hour": "1.5"}, "late_response_discount_per_hour"),
        ({"late_response_discount_per_hour": "abc"}, "late_response_discount_per_hour"),
        ({"late_onsite_urgent_free": "yes"}, "late_onsite_urgent_free"),
        ({"late_fee": "1"}, "late_fee"),
    ]:
        with pytest.raises(SpecError) as caught:
            Penalties.from_spec(bad)
        assert caught.value.key == key


# -- laws -------------------------------------------------------------------------------

hours_after_receipt = st.integers(min_value=0, max_value=24 * 30)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(hours_after_receipt, st.integers(min_value=1, max_value=24 * 5)), max_size=4
    ),
    st.integers(min_value=1, max_value=60 * 60),
    st.sampled_from([OFFICE, ALWAYS]),
)
def test_law_the_clock_runs_exactly_the_target_outside_waits(
    waits: list[tuple[int, int]], minutes: int, calendar: Calendar
) -> None:
    received = datetime(2026, 3, 20, 8, 17, tzinfo=UTC)
    events = []
    for start, length in sorted(waits):
        events.append(TicketEvent(EventType.WAITING, received + timedelta(hours=start)))
        events.append(
            TicketEvent(EventType.CUSTOMER_REPLY, received + timedelta(hours=start + length))
        )
    facts = ticket_facts(received, events)
    target = Target(TargetKind.RESOLUTION, calendar, working_minutes=minutes)
    now = received + timedelta(days=400)
    (state,) = sla_state(facts, [target], now)
    # Working time from receipt to due, minus the working time spent waiting before due.
    waited = timedelta()
    covered = received
    for start, end in sorted(facts.pauses):
        assert end is not None
        start, end = max(start, covered), min(end, state.due_at)
        if start < end:
            waited += calendar.between(start, end)
            covered = end
    assert calendar.between(received, state.due_at) - waited == timedelta(minutes=minutes)
    (unpaused,) = sla_state(TicketFacts(received), [target], now)
    assert state.due_at >= unpaused.due_at
