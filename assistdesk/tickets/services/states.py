"""State changes: the one transition service, and waiting, resolving, closing, reopening.

Closing is the requester's confirmation (seed 004: they re-read the history and confirm)
or the auto-close after N days without an answer (N per plan, `Plan.auto_close_days`,
default `DEFAULT_AUTO_CLOSE_DAYS`); either way it rates the ticket (§2.6) and writes its
allowance uses. A closed ticket cannot be closed again, so a ticket is never debited
twice; reopening it reverses its uses and closing it again rates it again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef

from assistdesk.catalog.models import Plan
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import Message, MessageKind, Ticket
from assistdesk.tickets.services._core import (
    advance_locked,
    finish,
    lock,
    transition_locked,
)
from assistdesk.tickets.states import TicketState

S = TicketState
DEFAULT_AUTO_CLOSE_DAYS = 7
AUTO_CLOSE_ACTOR = "system:auto-close"

log = logging.getLogger(__name__)


def ticket_transition(
    *, ticket: Ticket, to_state: str, actor: str, reason: str = "", now: datetime
) -> Ticket:
    """Move the ticket one allowed step (`ALLOWED_TRANSITIONS`), recording who, when, why."""
    try:
        target = TicketState(to_state)
    except ValueError:
        raise TicketError("to_state", f"no state {to_state!r}") from None
    with transaction.atomic():
        locked = lock(ticket)
        transition_locked(locked, target, actor=actor, reason=reason, now=now)
        return finish(locked, now)


def ticket_wait_for_customer(*, ticket: Ticket, reason: str, actor: str, now: datetime) -> Ticket:
    """The ticket needs the customer (information, access, a test): the resolution and
    change clocks stop until they answer (§2.2). The question itself is a public reply;
    `reason` says on the ticket's history why it waits."""
    if not reason.strip():
        raise TicketError("reason", "say what the customer is expected to do")
    with transaction.atomic():
        locked = lock(ticket)
        if locked.state == S.WAITING_CUSTOMER:
            raise TicketError("state", f"{locked.reference} is waiting for the customer already")
        advance_locked(locked, S.WAITING_CUSTOMER, actor=actor, reason=reason, now=now)
        return finish(locked, now)


def ticket_resolve(*, ticket: Ticket, reason: str = "", actor: str, now: datetime) -> Ticket:
    """The solution is given; the requester now confirms (closed) or not (reopened)."""
    with transaction.atomic():
        locked = lock(ticket)
        if locked.state == S.RESOLVED:
            raise TicketError("state", f"{locked.reference} is resolved already")
        advance_locked(locked, S.RESOLVED, actor=actor, reason=reason or "resolved", now=now)
        return finish(locked, now)


def ticket_close(*, ticket: Ticket, reason: str = "", actor: str, now: datetime) -> Ticket:
    """Close (validate and archive) the ticket and rate it; an unresolved ticket is
    resolved on the way. Closing a closed ticket is refused: it is rated once."""
    with transaction.atomic():
        locked = lock(ticket)
        if locked.state == S.CLOSED:
            raise TicketError("state", f"{locked.reference} is closed already")
        advance_locked(
            locked,
            S.CLOSED,
            actor=actor,
            reason=reason or "confirmed",
            now=now,
            avoid=frozenset({S.REOPENED}),
        )
        return finish(locked, now)


def ticket_reopen(*, ticket: Ticket, reason: str, actor: str, now: datetime) -> Ticket:
    """The requester does not confirm the solution (or a closed ticket's problem is back).

    A closed ticket's rating is superseded and its allowance uses reversed.
    """
    if not reason.strip():
        raise TicketError("reason", "say why the ticket is reopened")
    with transaction.atomic():
        locked = lock(ticket)
        if locked.state not in (S.RESOLVED, S.CLOSED):
            raise TicketError("state", f"{locked.reference} is {locked.state}: not resolved")
        transition_locked(locked, S.REOPENED, actor=actor, reason=reason, now=now)
        return finish(locked, now)


def auto_close_days(ticket: Ticket) -> int:
    plan = ticket.plan
    days = plan.auto_close_days if plan is not None else None
    return days if days is not None else DEFAULT_AUTO_CLOSE_DAYS


def tickets_auto_close_due(*, now: datetime, actor: str = AUTO_CLOSE_ACTOR) -> list[Ticket]:
    """Close every resolved ticket left N days without an answer (the periodic job).

    "Without an answer": no customer message since it was resolved; a ticket the
    customer wrote about waits for staff instead. Each ticket closes in its own
    transaction; running the job twice, or late, closes the same tickets once.
    """
    answered = Message.objects.filter(
        ticket=OuterRef("pk"),
        kind=MessageKind.CUSTOMER_REPLY,
        sent_at__gt=OuterRef("resolved_at"),
    )
    shortest = min([DEFAULT_AUTO_CLOSE_DAYS, *_plan_days()])
    candidates = (
        Ticket.objects.filter(state=S.RESOLVED, resolved_at__lte=now - timedelta(days=shortest))
        .exclude(Exists(answered))
        .select_related("plan")
        .order_by("resolved_at", "id")
    )
    closed = []
    for ticket in candidates:
        assert ticket.resolved_at is not None
        days = auto_close_days(ticket)
        if ticket.resolved_at + timedelta(days=days) > now:
            continue
        reason = f"no answer {days} days after it was resolved"
        try:
            closed.append(ticket_close(ticket=ticket, reason=reason, actor=actor, now=now))
        except TicketError as error:
            # Changed meanwhile (reopened, closed by the requester), or cannot be rated
            # (no contract): it stays resolved for a person to look at.
            log.warning("auto-close of %s skipped: %s", ticket.reference, error)
    return closed


def _plan_days() -> list[int]:
    days = Plan.objects.filter(auto_close_days__isnull=False).values_list(
        "auto_close_days", flat=True
    )
    return [d for d in days.distinct() if d is not None]


def tickets_refresh_overdue(*, now: datetime) -> list[Ticket]:
    """Flag the open targets that became overdue since their ticket's last event.

    Stored SLA rows are recomputed on every event; between events only the lateness of
    open targets grows. This job (every few minutes) recomputes the tickets with an open
    target past due and not yet flagged, so the console and the statements see them late.
    It records no event: nothing happened to the ticket.
    """
    due = (
        Ticket.objects.filter(
            in_queue=True,
            next_due_at__lte=now,
            targets__actual_at__isnull=True,
            targets__is_overdue=False,
            targets__due_at__lt=now,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    refreshed = []
    for pk in list(due):
        with transaction.atomic():
            locked = lock(Ticket(pk=pk))
            refreshed.append(finish(locked, now))
    return refreshed
