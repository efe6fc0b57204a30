"""SLA clocks: due instants with pauses, actual instants, met and lateness."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from assistdesk.domain.calendar import Calendar
from assistdesk.domain.errors import DomainError
from assistdesk.domain.sla.facts import TicketFacts, facts_as_of, require_aware
from assistdesk.domain.sla.targets import MINUTE, PAUSING_KINDS, Target, TargetKind


def _actual_at(facts: TicketFacts, kind: TargetKind) -> datetime | None:
    if kind is TargetKind.RESPONSE:
        return facts.first_response_at
    if kind is TargetKind.ONSITE:
        return facts.first_onsite_at
    return facts.resolved_at


def applicable_targets(targets: Iterable[Target], facts: TicketFacts) -> tuple[Target, ...]:
    """The targets that apply to the ticket, in the plan's order."""
    return tuple(target for target in targets if target.applies_to(facts))


@dataclass(frozen=True)
class TargetResult:
    target: Target
    due_at: datetime
    actual_at: datetime | None  # None while open
    met: bool | None  # None while open
    late_minutes: int  # whole minutes, rounded up; so far, while open
    is_overdue: bool  # late, whether closed or still open

    @property
    def kind(self) -> TargetKind:
        return self.target.kind


def _due_at(
    calendar: Calendar,
    received_at: datetime,
    allowed: timedelta,
    pauses: Sequence[tuple[datetime, datetime]],
) -> datetime:
    """When a clock that runs from receipt, stopped during `pauses`, reaches `allowed`."""
    position, left = received_at, allowed
    for start, end in sorted(pauses):
        if end <= position:
            continue
        if start > position:
            available = calendar.between(position, start)
            if available >= left:
                break
            left -= available
        position = end
    return calendar.add(position, left)


def _minutes_up(duration: timedelta) -> int:
    return -(-duration // MINUTE)


def sla_state(
    facts: TicketFacts, targets: Iterable[Target], now: datetime
) -> tuple[TargetResult, ...]:
    """Due, actual, met and lateness of every target that applies to the ticket at `now`."""
    require_aware(now, "now")
    if now < facts.received_at:
        raise DomainError("the SLA of a ticket is not defined before its receipt")
    facts = facts_as_of(facts, now)
    results = []
    for target in applicable_targets(targets, facts):
        actual_at = _actual_at(facts, target.kind)
        stopped_at = now if actual_at is None else actual_at
        pauses = []
        if target.kind in PAUSING_KINDS:
            for start, end in facts.pauses:
                end = stopped_at if end is None else min(end, stopped_at)
                if start < end:
                    pauses.append((start, end))
        allowed = target.working_time(facts.received_at)
        due_at = _due_at(target.calendar, facts.received_at, allowed, pauses)
        late = max(target.calendar.between(due_at, stopped_at), timedelta(0))
        results.append(
            TargetResult(
                target=target,
                due_at=due_at,
                actual_at=actual_at,
                met=None if actual_at is None else not late,
                late_minutes=_minutes_up(late),
                is_overdue=bool(late),
            )
        )
    return tuple(results)
