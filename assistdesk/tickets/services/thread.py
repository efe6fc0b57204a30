"""The thread: staff replies and notes, confirmations of intervention, customer replies,
attachments.

What counts as a response for the SLA (§2.2): a public staff reply and a confirmation of
intervention; never an internal note, an acknowledgement or a customer's message. A
public reply on a ticket nobody has picked up yet moves it to `in_progress` through the
recorded intermediate states; a customer reply ends a wait for the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from assistdesk.common import deferredrows
from assistdesk.customers.models import Contact
from assistdesk.domain import sla as domain_sla
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import (
    Attachment,
    EventKind,
    InterventionMode,
    Message,
    MessageKind,
    Ticket,
)
from assistdesk.tickets.services._core import (
    advance_locked,
    finish,
    lock,
    lock_row,
    new_event,
    record_event,
    require_aware,
    store_events,
)
from assistdesk.tickets.services.files import NewFile, store_files
from assistdesk.tickets.services.intake import sanitise_html
from assistdesk.tickets.states import TicketState

S = TicketState
# States from which answering the customer means someone is now working on the ticket.
_NOT_STARTED = (S.NEW, S.ACKNOWLEDGED, S.ASSIGNED, S.REOPENED)


def _require_body(body: str, body_html: str) -> None:
    if not body.strip() and not body_html.strip():
        raise TicketError("body", "the message is empty")


def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    is_public: bool = True,
    author_contact: Contact | None = None,
    author_user: User | None = None,
    body_html: str = "",
    actor: str,
    now: datetime,
) -> Message:
    """A staff reply to the customer (public: a response) or an internal note.

    With `author_contact` the message is the customer's, entered by staff (a phone call
    written down): the same as `ticket_customer_reply`.
    """
    if author_contact is not None:
        return ticket_customer_reply(
            ticket=ticket, body=body, contact=author_contact, body_html=body_html,
            actor=actor, now=now,
        )  # fmt: skip
    _require_body(body, body_html)
    with transaction.atomic():
        locked = lock(ticket)
        if is_public and locked.state in _NOT_STARTED:
            advance_locked(locked, S.IN_PROGRESS, actor=actor, reason="answered", now=now)
        # An internal note is no response (§2.2) and moves nothing.
        message = Message.objects.create(
            ticket=locked,
            kind=MessageKind.REPLY if is_public else MessageKind.NOTE,
            is_public=is_public,
            author_user=author_user,
            body_text=body,
            body_html=sanitise_html(body_html),
            sent_at=now,
            actor=actor,
        )
        record_event(
            locked,
            EventKind.REPLY if is_public else EventKind.NOTE,
            actor=actor,
            now=now,
            sla_type=domain_sla.EventType.RESPONSE if is_public else "",
            data={"message": message.pk},
        )
        finish(locked, now, changed=is_public)
    return message


def _confirmation_text(locked: Ticket, planned_at: datetime, mode: str, minutes: int) -> str:
    zone = locked.plan.calendar.zone() if locked.plan else timezone.get_current_timezone()
    local = planned_at.astimezone(zone)
    label = InterventionMode(mode).label
    return (
        f"Confirmation of intervention for {locked.reference}: {label}, "
        f"planned on {local:%Y-%m-%d at %H:%M}, expected to take about {minutes} minutes."
    )


def ticket_confirm_intervention(
    *,
    ticket: Ticket,
    planned_at: datetime,
    mode: str,
    expected_minutes: int,
    body: str = "",
    author_user: User | None = None,
    actor: str,
    now: datetime,
) -> Message:
    """The written "confirmation of intervention" (seed 001): planned date, mode, expected
    duration. It is a response (§2.2); a new ticket becomes acknowledged with it."""
    require_aware(planned_at, "planned_at")
    if mode not in InterventionMode.values:
        raise TicketError("mode", f"one of {', '.join(InterventionMode.values)}, not {mode!r}")
    if isinstance(expected_minutes, bool) or expected_minutes <= 0:
        raise TicketError("expected_minutes", "a positive number of minutes")
    with transaction.atomic():
        locked = lock(ticket)
        if locked.state in (S.RESOLVED, S.CLOSED):
            raise TicketError("state", f"{locked.reference} is {locked.state}: reopen it first")
        if locked.state == S.NEW:
            advance_locked(locked, S.ACKNOWLEDGED, actor=actor, reason="confirmed", now=now)
        message = Message.objects.create(
            ticket=locked,
            kind=MessageKind.CONFIRMATION,
            is_public=True,
            author_user=author_user,
            body_text=body or _confirmation_text(locked, planned_at, mode, expected_minutes),
            sent_at=now,
            planned_at=planned_at,
            planned_mode=mode,
            expected_minutes=expected_minutes,
            actor=actor,
        )
        record_event(
            locked,
            EventKind.CONFIRMATION,
            actor=actor,
            now=now,
            sla_type=domain_sla.EventType.CONFIRMATION,
            mode=mode,
            data={
                "message": message.pk,
                "planned_at": planned_at.isoformat(),
                "expected_minutes": expected_minutes,
            },
        )
        finish(locked, now)
    return message


def ticket_customer_reply(
    *,
    ticket: Ticket,
    body: str,
    contact: Contact | None = None,
    body_html: str = "",
    sent_at: datetime | None = None,
    mail_message_id: str = "",
    files: Sequence[NewFile] = (),
    actor: str,
    now: datetime,
) -> Message:
    """The customer writes (mail, portal, a call noted down): a ticket waiting for them is
    worked on again and its resolution/change clocks run again (§2.2). `files` are kept
    with the reply."""
    _require_body(body, body_html)
    sent_at = require_aware(sent_at or now, "sent_at")
    if contact is not None and contact.customer_id != ticket.customer_id:
        raise TicketError("contact", f"{contact.name} is not a contact of {ticket.customer}")
    # Every refusal comes before the transaction: the writes need no savepoint of their
    # own (a round trip each way on PostgreSQL, and the mail intake adds hundreds of
    # replies a minute).
    with transaction.atomic(savepoint=False):
        # The row and its requester: most replies end no wait and change nothing on the
        # ticket; what a wait's end needs (plan, customer) is read when it is needed.
        locked = lock(ticket, related=("requester",))
        author = contact or locked.requester
        ends_wait = locked.state == S.WAITING_CUSTOMER
        if ends_wait:
            advance_locked(
                locked, S.IN_PROGRESS, actor=actor, reason="the customer replied", now=now
            )
        message = Message(
            ticket=locked,
            kind=MessageKind.CUSTOMER_REPLY,
            is_public=True,
            author_contact=author,
            body_text=body,
            body_html=sanitise_html(body_html),
            sent_at=sent_at,
            mail_message_id=mail_message_id,
            actor=actor,
        )
        deferredrows.insert([message])  # with the batch's rows, in the mail intake
        events = [
            new_event(
                locked,
                EventKind.CUSTOMER_REPLY,
                actor=actor,
                now=now,
                data={"message": message.pk, "contact": author.pk if author else None},
            )
        ]
        if files:
            events += store_files(locked, message, files, actor=actor, now=now)[1]
        store_events(locked, events)
        # Only ending a wait means anything to the clocks (§2.2).
        finish(locked, now, changed=ends_wait)
    return message


def message_attach(
    *,
    message: Message,
    name: str,
    content: bytes,
    content_type: str = "",
    actor: str,
    now: datetime,
) -> Attachment:
    """Store a file with a message (the mail intake may add them after the message)."""
    return message_attach_files(
        message=message, files=[NewFile(name, content, content_type)], actor=actor, now=now
    )[0]


def message_attach_files(
    *, message: Message, files: Sequence[NewFile], actor: str, now: datetime
) -> list[Attachment]:
    """Store files with a message, one event each (`files.store_files`)."""
    with transaction.atomic():
        # Nothing on the ticket changes and no notification is built: the row alone.
        locked = lock_row(Ticket(pk=message.ticket_id))
        attachments, events = store_files(locked, message, files, actor=actor, now=now)
        store_events(locked, events)
        # A file is no SLA input: nothing to recompute or save (`finish`), but while the
        # ticket waits for the customer.
        if locked.state == S.WAITING_CUSTOMER:
            finish(lock(locked), now)
    return attachments
