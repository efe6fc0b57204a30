"""A ticket's SLA from its recorded events, through the pure `domain.sla` engine.

The events are the truth: every service writes a `TicketEvent`, those that mean
something to the clocks carry a `sla_type` (`domain.sla.EventType`), and `refresh`
replays them into `ticket_facts` and `sla_state` for the targets of the plan in force at
receipt. The result is stored as `TicketTarget` rows (one per target that applies, in
the plan's order) and the earliest due instant of the open ones as `Ticket.next_due_at`.

Compiled calendars are kept per (calendar row, its `updated_at`): compiling a year of a
calendar (holidays included) costs far more than the SLA arithmetic itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

from assistdesk.catalog.models import Calendar, Plan
from assistdesk.common import deferredrows, readcache
from assistdesk.domain import sla
from assistdesk.domain.calendar import Calendar as DomainCalendar
from assistdesk.tickets.models import Ticket, TicketEvent, TicketTarget

_CACHE_SIZE = 64
_calendars: dict[tuple[int, datetime], DomainCalendar] = {}
_calendars_lock = threading.Lock()


def domain_calendar(calendar: Calendar) -> DomainCalendar:
    """The compiled calendar of a row, reused while the row does not change."""
    key = (calendar.pk, calendar.updated_at)
    with _calendars_lock:
        found = _calendars.get(key)
    if found is not None:
        return found
    compiled = calendar.to_domain()
    with _calendars_lock:
        if len(_calendars) >= _CACHE_SIZE:
            _calendars.clear()
        _calendars[key] = compiled
    return compiled


def plan_targets(plan: Plan | None) -> tuple[sla.Target, ...]:
    """The plan's SLA policy as domain targets (each in its calendar, default the plan's).

    Same mapping as `Plan.sla_targets()`, with the compiled calendars cached; read once
    per plan within a batch (`common.readcache`).
    """
    if plan is None:
        return ()
    return readcache.memoised(
        ("plan-targets", plan.pk),
        lambda: tuple(
            row.to_domain(calendar=domain_calendar(row.calendar or plan.calendar))
            for row in plan.targets.select_related("calendar").order_by("id")
        ),
    )


def facts(ticket: Ticket, events: Iterable[TicketEvent] | None = None) -> sla.TicketFacts:
    """What the clocks know about the ticket, replayed from its events.

    `events`: all of the ticket's events, when the caller holds them (a ticket opened in
    this transaction); otherwise they are read.
    """
    if events is None:
        rows: Iterable[TicketEvent] = (
            TicketEvent.objects.filter(ticket=ticket).exclude(sla_type="").order_by("at", "id")
        )
    else:
        # Events not stored yet have no pk: the sort is stable, they keep their order.
        rows = sorted((e for e in events if e.sla_type), key=lambda e: (e.at, e.pk or 0))
    replayed = [
        sla.TicketEvent(type=sla.EventType(row.sla_type), at=row.at, mode=row.mode or None)
        for row in rows
    ]
    return sla.ticket_facts(
        ticket.received_at,
        replayed,
        severity=ticket.severity,
        urgent=ticket.is_urgent,
        kind=sla.TicketKind(ticket.kind),
    )


def compute(ticket: Ticket, now: datetime) -> tuple[sla.TargetResult, ...]:
    """Every target of the ticket's plan that applies, as it stands at `now`."""
    return sla.sla_state(facts(ticket), plan_targets(ticket.plan), now)


Evaluation = tuple[tuple[sla.Target, ...], tuple[sla.TargetResult, ...]]


def evaluate(
    ticket: Ticket, now: datetime, *, events: Iterable[TicketEvent] | None = None
) -> Evaluation:
    """The plan's targets and their results at `now`; sets `next_due_at` (nothing stored).

    Needs no saved row: `ticket_create` evaluates a new ticket before inserting it.
    """
    targets = plan_targets(ticket.plan)
    results = sla.sla_state(facts(ticket, events), targets, now)
    open_due = [r.due_at for r in results if r.actual_at is None]
    ticket.next_due_at = min(open_due) if open_due and ticket.in_queue else None
    return targets, results


def store(ticket: Ticket, evaluation: Evaluation, now: datetime, *, replace: bool = True) -> None:
    """Store the evaluated targets as the ticket's `TicketTarget` rows (`replace=False`: it
    has none yet, nothing to delete). The rows written are also kept as the ticket's
    prefetched `targets`, so a caller serialising it does not read them back."""
    targets, results = evaluation
    # The results are the plan's own target objects, in the plan's order.
    place = {id(target): index for index, target in enumerate(targets, start=1)}
    if replace:
        TicketTarget.objects.filter(ticket=ticket).delete()
    rows = list(
        deferredrows.insert(
            [
                TicketTarget(
                    ticket=ticket,
                    ordinal=place[id(result.target)],
                    kind=str(result.kind),
                    due_at=result.due_at,
                    actual_at=result.actual_at,
                    met=result.met,
                    late_minutes=result.late_minutes,
                    is_overdue=result.is_overdue,
                    computed_at=now,
                )
                for result in results
            ]
        )
    )
    rows.sort(key=lambda row: row.ordinal)
    cached = TicketTarget.objects.filter(ticket=ticket).order_by("ordinal")  # not run
    cached._result_cache = rows
    cached._prefetch_done = True  # type: ignore[attr-defined]
    ticket.__dict__.setdefault("_prefetched_objects_cache", {})["targets"] = cached


def refresh(
    ticket: Ticket,
    now: datetime,
    *,
    events: Iterable[TicketEvent] | None = None,
    replace: bool = True,
) -> tuple[sla.TargetResult, ...]:
    """Recompute and store the ticket's targets and `next_due_at` (the row is not saved).

    `events` and `replace=False` as for `facts` and `store`: a ticket opened in this
    transaction has its events in memory and no stored targets yet.
    """
    evaluation = evaluate(ticket, now, events=events)
    store(ticket, evaluation, now, replace=replace)
    return evaluation[1]
