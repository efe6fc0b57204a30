"""Work on a ticket: interventions (§2.5), their parts, and part approval.

An intervention is recorded when it is done (or under way): it may not start before the
ticket was received nor after `now`. Logging one moves a ticket nobody had started to
`in_progress` (and ends a wait for the customer: work resumed), through the recorded
intermediate states. A non-resolving intervention sets `needs_follow_up`: the ticket goes
to the top of the queue until the next intervention or its resolution (seed 001 "one more
visit, top priority, free"; the visit itself is logged with `follow_up=True`, which makes
its labour and travel free).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from assistdesk.domain import sla as domain_sla
from assistdesk.domain.money import to_decimal
from assistdesk.tickets import sla
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import (
    Activity,
    EventKind,
    Intervention,
    InterventionMode,
    Part,
    Ticket,
)
from assistdesk.tickets.services._core import (
    advance_locked,
    finish,
    lock,
    record_event,
    refuse_closed,
    require_aware,
)
from assistdesk.tickets.states import TicketState

S = TicketState
PartInput = tuple[str, Any, Any] | Mapping[str, Any]


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = to_decimal(value)
    except (TypeError, ArithmeticError, ValueError) as error:
        raise TicketError(field, f"not an exact number: {value!r} ({error})") from None
    if number < 0:
        raise TicketError(field, "cannot be negative")
    return number


def _parts(parts: Iterable[PartInput], *, needs_approval: bool) -> list[Part]:
    """Part rows (unsaved) from (name, quantity, unit_price) tuples or dicts.

    A dict may say `approved: true/false`: the customer answered on the spot.
    """
    rows = []
    for index, item in enumerate(parts):
        key = f"parts[{index}]"
        approved: bool | None = None
        if isinstance(item, Mapping):
            name, quantity, price = (
                item.get("name"),
                item.get("quantity", 1),
                item.get("unit_price"),
            )
            approved = item.get("approved")
        else:
            try:
                name, quantity, price = item
            except (TypeError, ValueError):
                raise TicketError(key, "(name, quantity, unit_price) or a mapping") from None
        if not isinstance(name, str) or not name.strip():
            raise TicketError(f"{key}.name", "a part needs a name")
        rows.append(
            Part(
                name=name.strip()[:200],
                quantity=_decimal(quantity, f"{key}.quantity"),
                unit_price_amount=_decimal(price, f"{key}.unit_price"),
                needs_approval=needs_approval,
                is_approved=approved if needs_approval else None,
            )
        )
    return rows


def intervention_log(
    *,
    ticket: Ticket,
    technician: User | None = None,
    mode: str,
    activity: str,
    start_at: datetime,
    end_at: datetime,
    description: str = "",
    km: Decimal | int | str = 0,
    remote_tool_setup: bool = False,
    warranty: bool = False,
    follow_up: bool = False,
    resolved: bool = False,
    parts: Iterable[PartInput] = (),
    actor: str,
    now: datetime,
) -> Intervention:
    """Record one session of work on the ticket, with the parts it used."""
    require_aware(start_at, "start_at")
    require_aware(end_at, "end_at")
    if mode not in InterventionMode.values:
        raise TicketError("mode", f"one of {', '.join(InterventionMode.values)}, not {mode!r}")
    if activity not in Activity.values:
        raise TicketError("activity", f"one of {', '.join(Activity.values)}, not {activity!r}")
    if end_at < start_at:
        raise TicketError("end_at", "an intervention cannot end before it starts")
    if start_at > now:
        raise TicketError("start_at", "an intervention is logged once it has started")
    if technician is not None and not technician.is_staff:
        raise TicketError("technician", f"{technician} is not a staff member")
    distance = _decimal(km, "km")
    if distance and mode != InterventionMode.ONSITE:
        raise TicketError("km", "only an on-site intervention travels")
    with transaction.atomic():
        locked = lock(ticket)
        refuse_closed(locked, "log work on it")
        if start_at < locked.received_at:
            raise TicketError("start_at", f"before {locked.reference} was received")
        part_rows = _parts(parts, needs_approval=locked.customer.is_part_approval_required)
        if locked.assignee_id is None and technician is not None:
            locked.assignee = technician
        if locked.state != S.RESOLVED:
            advance_locked(locked, S.IN_PROGRESS, actor=actor, reason="work logged", now=now)
        calendar = sla.domain_calendar(locked.plan.calendar) if locked.plan else None
        intervention = Intervention.objects.create(
            ticket=locked,
            technician=technician,
            mode=mode,
            activity=activity,
            start_at=start_at,
            end_at=end_at,
            description=description,
            km=distance,
            has_remote_tool_setup=remote_tool_setup,
            is_warranty=warranty,
            is_follow_up=follow_up,
            is_resolved=resolved,
            is_out_of_hours=calendar is not None and not calendar.is_working(start_at),
            actor=actor,
            created_at=now,
        )
        for part in part_rows:
            part.intervention = intervention
            if part.is_approved is not None:
                part.approved_at, part.approved_by = now, actor
        Part.objects.bulk_create(part_rows)
        locked.needs_follow_up = not resolved
        record_event(
            locked,
            EventKind.INTERVENTION,
            actor=actor,
            now=now,
            at=start_at,
            sla_type=domain_sla.EventType.INTERVENTION,
            mode=mode,
            data={
                "intervention": intervention.pk,
                "activity": activity,
                "end_at": end_at.isoformat(),
                "resolved": resolved,
                "parts": len(part_rows),
            },
        )
        finish(locked, now)
    return intervention


def part_approve(*, part: Part, approved: bool, actor: str, now: datetime) -> Part:
    """The customer's answer about a part they asked to be told about (seed 001)."""
    with transaction.atomic():
        locked = lock(part.intervention.ticket)
        refuse_closed(locked, "change a part's approval")
        row = Part.objects.select_for_update().get(pk=part.pk)
        if not row.needs_approval:
            raise TicketError("part", f"{row.name} was accepted automatically: no approval needed")
        row.is_approved = bool(approved)
        row.approved_at = now
        row.approved_by = actor
        row.save(update_fields=["is_approved", "approved_at", "approved_by"])
        record_event(
            locked,
            EventKind.PART_APPROVAL,
            actor=actor,
            now=now,
            data={"part": row.pk, "name": row.name, "approved": row.is_approved},
        )
        finish(locked, now)
    return row
