"""Opening and dispatching tickets: create, acknowledge, classify, assign, set the contract.

Every service is one transaction, locks the ticket row, appends a `TicketEvent` (who, when,
why) and recomputes the stored SLA before it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import nh3
from django.contrib.auth.models import User
from django.db import transaction

from assistdesk.catalog.models import Origin
from assistdesk.common import deferredrows
from assistdesk.contracts.models import Contract
from assistdesk.contracts.selectors import contract_in_force
from assistdesk.customers.models import Contact, Customer
from assistdesk.domain import sla as domain_sla
from assistdesk.tickets import sla
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import (
    EventKind,
    Message,
    MessageKind,
    Ticket,
    TicketEvent,
    TicketKind,
)
from assistdesk.tickets.services._core import (
    advance_locked,
    finish,
    lock,
    new_event,
    record_event,
    refuse_closed,
    require_aware,
    store_events,
    transition_event,
)
from assistdesk.tickets.services.files import NewFile, store_files
from assistdesk.tickets.services.numbers import next_number
from assistdesk.tickets.states import TicketState

S = TicketState
# A ticket without a contract is served after every plan's (plans rank from 1).
NO_CONTRACT_PRIORITY = 1000
SUBJECT_MAX = 300
DISPATCH_PERMISSION = "tickets.dispatch_ticket"


def sanitise_html(html: str) -> str:
    """HTML as stored: only harmless tags and attributes survive (nh3)."""
    return nh3.clean(html) if html else ""


def _check_classification(severity: int, kind: str) -> None:
    if isinstance(severity, bool) or severity not in (1, 2, 3):
        raise TicketError("severity", f"1, 2 or 3, not {severity!r}")
    if kind not in TicketKind.values:
        raise TicketError("kind", f"one of {', '.join(TicketKind.values)}, not {kind!r}")


def _check_requester(customer: Customer, requester: Contact | None) -> None:
    if requester is None:
        return
    if requester.customer_id != customer.pk:
        raise TicketError("requester", f"{requester.name} is not a contact of {customer}")
    if not requester.is_authorised:
        raise TicketError(
            "requester",
            f"{requester.name} is not an authorised contact of {customer}: only authorised "
            "contacts open billable requests",
        )


def _check_channel(contract: Contract | None, origin: str, *, is_urgent: bool) -> None:
    """The plan's channels (seed 004: written requests; the phone for emergencies only)."""
    if contract is None:
        return
    plan = contract.plan
    if plan.channels and origin not in plan.channels:
        raise TicketError("origin", f"plan {plan.key} takes no requests by {origin}")
    if plan.is_phone_emergency_only and origin == Origin.PHONE and not is_urgent:
        raise TicketError("origin", f"plan {plan.key} takes phone requests for emergencies only")


def ticket_create(
    *,
    customer: Customer,
    requester: Contact | None = None,
    origin: str,
    subject: str,
    body: str = "",
    body_html: str = "",
    severity: int = 3,
    urgent: bool | None = None,
    kind: str = TicketKind.SUPPORT,
    received_at: datetime | None = None,
    is_out_of_hours: bool | None = None,
    mail_message_id: str = "",
    is_request_from_robot: bool = False,
    files: Sequence[NewFile] = (),
    acknowledged_by: str = "",
    actor: str,
    now: datetime,
) -> Ticket:
    """Open a ticket received at `received_at` (default `now`) under the contract then in force.

    `urgent` defaults to severity 1 (§2.4); `is_out_of_hours` to "received outside the
    plan calendar's working time". `body` becomes the thread's first message, from the
    requester. With `acknowledged_by` (an actor, e.g. the mail intake's), the ticket is
    acknowledged in the same transaction, as `ticket_acknowledge` would (one insert, no
    update: the mail intake opens hundreds of tickets a minute). `mail_message_id` and
    `is_request_from_robot`: the mail that brought the request, and whether a program
    wrote it (then nothing is ever mailed about the ticket). `files` are kept with the
    request (it needs a `body` or `body_html` then).
    """
    received_at = require_aware(received_at or now, "received_at")
    if received_at > now:
        raise TicketError("received_at", "a ticket cannot be received in the future")
    if origin not in Origin.values:
        raise TicketError("origin", f"one of {', '.join(Origin.values)}, not {origin!r}")
    _check_classification(severity, kind)
    subject = " ".join(subject.split())[:SUBJECT_MAX]
    if not subject:
        raise TicketError("subject", "a ticket needs a subject")
    if files and not (body or body_html):
        raise TicketError("files", "files come with the request: it needs a body")
    is_urgent = severity == 1 if urgent is None else bool(urgent)
    _check_requester(customer, requester)
    # Every check that can refuse the ticket comes before the writes: the writes then need
    # no savepoint of their own inside a caller's transaction (a refusal raised there
    # would have to roll back only them).
    contract = contract_in_force(customer=customer, at=received_at)
    _check_channel(contract, origin, is_urgent=is_urgent)
    plan = contract.plan if contract is not None else None
    if is_out_of_hours is None:
        is_out_of_hours = plan is not None and not sla.domain_calendar(plan.calendar).is_working(
            received_at
        )
    ticket = Ticket(
        customer=customer,
        contract=contract,
        plan=plan,
        requester=requester,
        origin=origin,
        subject=subject,
        severity=severity,
        is_urgent=is_urgent,
        kind=kind,
        received_at=received_at,
        is_out_of_hours=is_out_of_hours,
        priority_rank=plan.priority if plan is not None else NO_CONTRACT_PRIORITY,
        request_mail_id=mail_message_id,
        is_request_from_robot=is_request_from_robot,
    )
    events = [
        new_event(
            ticket,
            EventKind.CREATED,
            actor=actor,
            now=now,
            at=received_at,
            to_state=S.NEW,
            data={
                "origin": origin,
                "severity": severity,
                "urgent": is_urgent,
                "kind": kind,
                "contract": contract.pk if contract else None,
                "plan": plan.key if plan else None,
            },
        )
    ]
    if acknowledged_by:
        # As `ticket_acknowledge` would, but before the row exists: the row is inserted
        # as it ends up, and the events go in together.
        events += [
            transition_event(
                ticket, S.ACKNOWLEDGED, actor=acknowledged_by, reason="acknowledged", now=now
            ),
            _acknowledgement_event(ticket, actor=acknowledged_by, now=now),
        ]
    # The events so far stop no clock that has not started: the SLA is known before the
    # row exists, and the row is inserted with it.
    evaluation = sla.evaluate(ticket, now, events=events)
    with transaction.atomic(savepoint=False):
        ticket.number = next_number()  # the sequence row is locked from here to commit
        deferredrows.insert([ticket])  # with the batch's rows, in the mail intake
        if body or body_html:
            request = Message(
                ticket=ticket,
                kind=MessageKind.REQUEST,
                is_public=True,
                author_contact=requester,
                body_text=body,
                body_html=sanitise_html(body_html),
                sent_at=received_at,
                mail_message_id=mail_message_id,
                actor=actor,
            )
            deferredrows.insert([request])
            if files:
                _, stored = store_files(ticket, request, files, actor=actor, now=now)
                events += stored
        store_events(ticket, events)  # the acknowledgement mail is queued from here
        sla.store(ticket, evaluation, now, replace=False)
        return ticket


def ticket_acknowledge(*, ticket: Ticket, actor: str, now: datetime) -> Ticket:
    """Tell the customer the request was received (number, origin, reason, severity).

    Not a response (§2.2). A new ticket becomes acknowledged; on a ticket past that, the
    acknowledgement is recorded (and sent again) without changing its state.
    """
    with transaction.atomic():
        locked = lock(ticket)
        refuse_closed(locked, "acknowledge it")
        _acknowledge_locked(locked, actor=actor, now=now)
        return finish(locked, now)


def _acknowledge_locked(ticket: Ticket, *, actor: str, now: datetime) -> list[TicketEvent]:
    """The events recorded."""
    events = []
    if ticket.state == S.NEW:
        events = advance_locked(ticket, S.ACKNOWLEDGED, actor=actor, reason="acknowledged", now=now)
    return [*events, *store_events(ticket, [_acknowledgement_event(ticket, actor=actor, now=now)])]


def _acknowledgement_event(ticket: Ticket, *, actor: str, now: datetime) -> TicketEvent:
    return new_event(
        ticket,
        EventKind.ACKNOWLEDGEMENT,
        actor=actor,
        now=now,
        sla_type=domain_sla.EventType.ACKNOWLEDGEMENT,
        data={"origin": ticket.origin, "severity": ticket.severity},
    )


def ticket_classify(
    *,
    ticket: Ticket,
    severity: int | None = None,
    urgent: bool | None = None,
    kind: str | None = None,
    actor: str,
    now: datetime,
) -> Ticket:
    """Set severity, urgency or kind; the targets that apply and their due times follow.

    A new severity without `urgent` makes the ticket urgent exactly when it is 1 (§2.4).
    """
    with transaction.atomic():
        locked = lock(ticket)
        refuse_closed(locked, "classify it")
        new_severity = locked.severity if severity is None else severity
        new_kind = locked.kind if kind is None else kind
        _check_classification(new_severity, new_kind)
        new_urgent = locked.is_urgent
        if urgent is not None:
            new_urgent = bool(urgent)
        elif severity is not None:
            new_urgent = severity == 1
        changes: dict[str, Any] = {}
        for field, value in (
            ("severity", new_severity),
            ("is_urgent", new_urgent),
            ("kind", new_kind),
        ):
            if getattr(locked, field) != value:
                changes[field] = [getattr(locked, field), value]
                setattr(locked, field, value)
        record_event(locked, EventKind.CLASSIFIED, actor=actor, now=now, data=changes)
        return finish(locked, now)


def _is_dispatcher(user: User) -> bool:
    return bool(user.is_active and user.has_perm(DISPATCH_PERMISSION))


def ticket_assign(*, ticket: Ticket, assignee: User, actor_user: User, now: datetime) -> Ticket:
    """A dispatcher gives the ticket to a technician (§2.4: "an authorised person").

    A new, acknowledged or reopened ticket becomes assigned; a ticket already being worked
    on just changes hands.
    """
    actor = f"user:{actor_user.pk}"
    if not _is_dispatcher(actor_user):
        raise TicketError("actor_user", f"{actor_user} is not a dispatcher")
    if not (assignee.is_active and assignee.is_staff):
        raise TicketError("assignee", f"{assignee} is not an active staff member")
    with transaction.atomic():
        locked = lock(ticket)
        if locked.state in (S.RESOLVED, S.CLOSED):
            raise TicketError("state", f"{locked.reference} is {locked.state}: reopen it first")
        previous = locked.assignee_id
        locked.assignee_id = assignee.pk
        if locked.state in (S.NEW, S.ACKNOWLEDGED, S.REOPENED):
            advance_locked(locked, S.ASSIGNED, actor=actor, reason="assigned", now=now)
        record_event(
            locked,
            EventKind.ASSIGNED,
            actor=actor,
            now=now,
            data={"from": previous, "to": assignee.pk},
        )
        return finish(locked, now)


def ticket_set_contract(
    *, ticket: Ticket, contract: Contract, reason: str = "", actor: str, now: datetime
) -> Ticket:
    """Put a ticket under a contract of its customer (none was in force at receipt, or the
    wrong one was taken); its plan's SLA, priority and rates apply from then on."""
    if contract.customer_id != ticket.customer_id:
        raise TicketError("contract", f"contract {contract.pk} is not the ticket customer's")
    with transaction.atomic():
        locked = lock(ticket)
        refuse_closed(locked, "change its contract")
        previous = locked.contract_id
        locked.contract = contract
        locked.plan = contract.plan
        locked.priority_rank = contract.plan.priority
        record_event(
            locked,
            EventKind.CONTRACT_SET,
            actor=actor,
            now=now,
            reason=reason,
            data={"from": previous, "to": contract.pk, "plan": contract.plan.key},
        )
        return finish(locked, now)


def ticket_escalate_onsite(*, ticket: Ticket, reason: str, actor: str, now: datetime) -> Ticket:
    """Remote work cannot solve it: an on-site visit is needed (seed 000 escalation).

    The next intervention is then logged with mode `onsite`; its rate, package and travel
    follow from that mode.
    """
    with transaction.atomic():
        locked = lock(ticket)
        refuse_closed(locked, "escalate it")
        if locked.is_escalated_onsite:
            raise TicketError("state", f"{locked.reference} is escalated on site already")
        locked.is_escalated_onsite = True
        record_event(locked, EventKind.ESCALATED, actor=actor, now=now, reason=reason)
        return finish(locked, now)
