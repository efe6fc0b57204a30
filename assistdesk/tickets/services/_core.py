"""What every ticket service does: lock, record the event, move the state, refresh the SLA.

`transition_locked` is the only code that changes `Ticket.state`; it checks
`ALLOWED_TRANSITIONS`, writes the transition event (who, when, why, and what it means to
the SLA clocks) and runs what entering or leaving a state implies: closing rates the
ticket, reopening a closed ticket supersedes its rating. The convenience services call
`advance_locked`, which walks the shortest chain of allowed transitions, each recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_save

from assistdesk.common import deferredrows, readcache
from assistdesk.domain import sla as domain_sla
from assistdesk.tickets import rating, sla
from assistdesk.tickets.errors import TicketError, TransitionNotAllowed
from assistdesk.tickets.models import EventKind, Ticket, TicketEvent
from assistdesk.tickets.signals import ticket_event_committed, ticket_event_recorded
from assistdesk.tickets.states import QUEUED_STATES, TicketState, is_allowed, path_to

S = TicketState
# The convenience services never reopen or close as a side effect.
IMPLICIT_AVOID = frozenset({S.REOPENED, S.CLOSED})

# What entering a state means to the SLA clocks (domain.sla.EventType).
_SLA_ON_ENTER = {
    S.WAITING_CUSTOMER: domain_sla.EventType.WAITING,
    S.RESOLVED: domain_sla.EventType.RESOLVED,
    S.REOPENED: domain_sla.EventType.REOPENED,
    S.CLOSED: domain_sla.EventType.CLOSED,
}


def require_aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise TicketError(field, "an aware date and time is needed")
    return value


LOCK_RELATED = ("customer", "contract", "plan__calendar", "requester", "assignee")


def lock(ticket: Ticket, *, related: tuple[str, ...] = LOCK_RELATED) -> Ticket:
    """The ticket's row, locked for the rest of the transaction, with what services read
    (`related`: joined in the same query; any other relation is read when used)."""
    return _lock(ticket, lambda rows: rows.select_related(*related))


def lock_row(ticket: Ticket) -> Ticket:
    """The ticket's row locked like `lock`, read no further (for a call that only adds to
    the ticket and saves nothing on it)."""
    return _lock(ticket, lambda rows: rows.only("pk", "number", "state"))


def _lock(ticket: Ticket, shaped: Callable[[QuerySet[Ticket]], QuerySet[Ticket]]) -> Ticket:
    """The row as this transaction holds it already, or read and locked (`shaped`: what
    to read of it)."""
    ready = _locked_already(ticket)
    if ready is not None:
        return ready
    with _reading(ticket):
        return shaped(Ticket.objects.select_for_update(of=("self",))).get(pk=ticket.pk)


def lock_ahead(*, ticket_ids: Collection[int]) -> None:
    """Lock these tickets now, in one statement and in key order, for a batch that will
    work on many of them (the mail intake). Inside a `common.readcache.batch_reads()`
    block the next `lock()` of each takes the row read here instead of reading it again;
    after that, or once the row is saved, `lock()` reads it as always."""
    # Locks outside a transaction would end with the statement; rows outside a batch
    # would not be kept.
    if not ticket_ids or not readcache.active():
        return
    if not transaction.get_connection().in_atomic_block:
        return
    rows = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related(*LOCK_RELATED)
        .filter(pk__in=ticket_ids)
        .order_by("pk")
    )
    with deferredrows.stored_only():  # tickets of the batch's own are not among them
        for row in rows:
            readcache.remember(_locked_key(row.pk), row)


def _locked_key(pk: int) -> tuple[str, int]:
    return ("ticket-locked-ahead", pk)


def _locked_already(ticket: Ticket) -> Ticket | None:
    """The row without a query, where this transaction holds it already: read by
    `lock_ahead` (once), or kept in memory by the batch (`common.deferredrows`: not in
    the database yet, so no other transaction can see it, let alone change it)."""
    ahead: Ticket | None = readcache.take(_locked_key(ticket.pk))
    if ahead is not None:
        return ahead
    return deferredrows.kept_row(Ticket, ticket.pk)


def _forget_locked_ahead(sender: type[Ticket], instance: Ticket, **kwargs: Any) -> None:
    """A row saved since `lock_ahead` read it is read again when next locked."""
    readcache.take(_locked_key(instance.pk))


post_save.connect(_forget_locked_ahead, sender=Ticket, dispatch_uid="ticket-locked-ahead")


def _reading(ticket: Ticket) -> AbstractContextManager[None]:
    """Reading a ticket stored before the mail intake's batch began needs none of the
    tickets the batch keeps in memory (`common.deferredrows`): no flush for it."""
    if deferredrows.is_kept(Ticket, ticket.pk):
        return nullcontext()
    return deferredrows.stored_only()


def new_event(
    ticket: Ticket,
    kind: str,
    *,
    actor: str,
    now: datetime,
    at: datetime | None = None,
    reason: str = "",
    from_state: str = "",
    to_state: str = "",
    sla_type: str = "",
    mode: str = "",
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """An event, not stored yet (`store_events`; `record_event` does both)."""
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        at=at or now,
        recorded_at=now,
        actor=actor,
        reason=reason,
        from_state=from_state,
        to_state=to_state,
        sla_type=sla_type,
        mode=mode,
        data=data or {},
    )


def store_events(ticket: Ticket, events: list[TicketEvent]) -> list[TicketEvent]:
    """Insert events in one statement (or with the batch's rows: `common.deferredrows`),
    then tell the receivers of each, in order."""
    deferredrows.insert(events)
    for event in events:
        _announce(ticket, event)
    return events


def record_event(
    ticket: Ticket, kind: str, *, actor: str, now: datetime, **fields: Any
) -> TicketEvent:
    """Store one event (fields as for `new_event`) and tell the receivers."""
    return _store_event(ticket, new_event(ticket, kind, actor=actor, now=now, **fields))


def _store_event(ticket: Ticket, event: TicketEvent) -> TicketEvent:
    deferredrows.insert([event])
    _announce(ticket, event)
    return event


def _announce(ticket: Ticket, event: TicketEvent) -> None:
    ticket_event_recorded.send(sender=TicketEvent, event=event, ticket=ticket)
    transaction.on_commit(
        lambda: ticket_event_committed.send(sender=TicketEvent, event=event, ticket=ticket)
    )


def transition_event(
    ticket: Ticket, to_state: TicketState, *, actor: str, reason: str, now: datetime
) -> TicketEvent:
    """Make one allowed move on the ticket in memory; its event, not stored yet.

    Only the row changes: what entering or leaving the closed state implies (rating)
    is `transition_locked`'s, which also stores the event.
    """
    from_state = ticket.ticket_state
    if not is_allowed(from_state, to_state):
        raise TransitionNotAllowed(f"{ticket.reference} cannot go from {from_state} to {to_state}")
    sla_type = _SLA_ON_ENTER.get(to_state, "")
    if from_state is S.WAITING_CUSTOMER and to_state is S.IN_PROGRESS:
        sla_type = domain_sla.EventType.CUSTOMER_REPLY  # the clocks run again
    ticket.state = to_state
    ticket.in_queue = to_state in QUEUED_STATES
    if to_state is S.RESOLVED:
        ticket.resolved_at = now
        ticket.needs_follow_up = False
    elif to_state is S.REOPENED:
        ticket.resolved_at = None
        ticket.closed_at = None
    elif to_state is S.CLOSED:
        ticket.closed_at = now
    return new_event(
        ticket,
        EventKind.TRANSITION,
        actor=actor,
        now=now,
        reason=reason,
        from_state=from_state,
        to_state=to_state,
        sla_type=str(sla_type),
    )


def transition_locked(
    ticket: Ticket, to_state: TicketState, *, actor: str, reason: str, now: datetime
) -> TicketEvent:
    """One allowed move of a locked ticket, with what the new state implies."""
    from_state = ticket.ticket_state
    event = _store_event(
        ticket, transition_event(ticket, to_state, actor=actor, reason=reason, now=now)
    )
    if to_state is S.CLOSED:
        results = sla.refresh(ticket, now)
        stored = rating.rate_and_store(ticket, results=results, actor=actor, now=now)
        record_event(
            ticket,
            EventKind.RATED,
            actor=actor,
            now=now,
            data={
                "rating": stored.pk,
                "total": str(stored.total_amount),
                "currency": stored.currency,
            },
        )
    elif from_state is S.CLOSED:
        superseded = rating.supersede(ticket, reason=reason, actor=actor, now=now)
        if superseded is not None:
            record_event(
                ticket,
                EventKind.RATING_SUPERSEDED,
                actor=actor,
                now=now,
                reason=reason,
                data={"rating": superseded.pk, "total": str(superseded.total_amount)},
            )
    return event


def advance_locked(
    ticket: Ticket,
    to_state: TicketState,
    *,
    actor: str,
    reason: str,
    now: datetime,
    avoid: frozenset[TicketState] = IMPLICIT_AVOID,
) -> list[TicketEvent]:
    """Walk the allowed transitions to `to_state`, recording each; none when already there."""
    chain = path_to(ticket.ticket_state, to_state, avoid=avoid)
    if chain is None:
        raise TransitionNotAllowed(
            f"{ticket.reference} is {ticket.state}: it cannot be brought to {to_state}"
            + (" without reopening it" if ticket.state in (S.RESOLVED, S.CLOSED) else "")
        )
    return [
        transition_locked(ticket, state, actor=actor, reason=reason, now=now) for state in chain
    ]


def finish(ticket: Ticket, now: datetime, *, changed: bool = True) -> Ticket:
    """Recompute the SLA from the events and save the ticket (end of every service).

    `changed=False`: the call changed neither the row nor any SLA input (no event with a
    `sla_type`, no transition: an attachment, an internal note, a customer reply that
    ends no wait), so the targets would come out the same but for open targets'
    lateness, which the periodic overdue job keeps up: nothing is recomputed or saved.
    Except while the ticket waits for the customer: the paused clocks' due instants move
    with `now`, and every call shows them as they stand.
    """
    if changed or ticket.state == S.WAITING_CUSTOMER:
        sla.refresh(ticket, now)
        ticket.save()
    return ticket


def refuse_closed(ticket: Ticket, what: str) -> None:
    if ticket.state == S.CLOSED:
        raise TicketError("state", f"{ticket.reference} is closed and rated: reopen it to {what}")
