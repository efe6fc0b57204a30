"""Ticket changes become notifications in the outbox, inside the change's transaction.

The tickets app sends `ticket_event_recorded` inside every service's transaction, right
after it writes the event row (tickets/signals.py); `ChannelsConfig.ready` connects
`on_ticket_event` to it. The outbox row therefore commits or vanishes with the change
that caused it, and as every event is written once, every notification is queued once.
The dependency stays one way: channels knows tickets, tickets knows only its signal.

| event                               | notification                                    |
|-------------------------------------|-------------------------------------------------|
| acknowledgement                     | acknowledgement: number, origin, subject, severity (seed 002) |
| confirmation                        | confirmation: planned date, mode, expected duration (seed 001) |
| public reply                        | reply: the technician's answer                  |
| transition to waiting_customer      | clarification: the question is the transition's reason |
| first transition to in_progress     | work_started (seed 004 "e-mail when work starts") |
| transition to resolved              | resolution, with the whole public dialogue (seed 004) |
| intervention                        | intervention_report, the report attached as PDF (§2.5) |

Sent to the requester in their language; nothing for a ticket without a requester's
address, nothing to a robot (a ticket opened by mail marked auto-generated). Marked
`Auto-Submitted: auto-generated` except the technician's own words (reply,
clarification), which RFC 3834 counts as a person's mail. Subjects
carry the tag [AD#n]; each row is threaded under the customer's first mail and carries
`context_ref` "ticket:<pk>", so an answer to it finds its ticket. A notification that
cannot be written (a template error) is logged and skipped: it must not stop a
technician from recording the work.
"""  # noqa: E501 - a table reads better unbroken

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.template.loader import render_to_string

from assistdesk.channels.services import OutgoingAttachment, outbox_enqueue_notification
from assistdesk.tickets.models import (
    EventKind,
    Intervention,
    Message,
    Ticket,
    TicketEvent,
)
from assistdesk.tickets.states import TicketState

log = logging.getLogger(__name__)

S = TicketState
DEFAULT_REASONS = frozenset({"resolved", "answered"})
NOTIFIED_STATES = frozenset({S.WAITING_CUSTOMER, S.IN_PROGRESS, S.RESOLVED})
WRITTEN_BY_PEOPLE = frozenset({"reply", "clarification"})
REPORT_TEMPLATE = "tickets/intervention_report.html"


def provider_name() -> str:
    """The provider as customers know it: the display name of our From address."""
    name, _ = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or "AssistDesk"


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _base_context(ticket: Ticket) -> dict[str, Any]:
    requester = ticket.requester
    zone = ticket.plan.calendar.timezone if ticket.plan is not None else "UTC"
    return {
        "ticket_number": ticket.number,
        "subject": ticket.subject,
        "contact_name": requester.name if requester is not None else "",
        "provider_name": provider_name(),
        "timezone": zone,
        "technician_name": person_name(ticket.assignee) or provider_name(),
    }


def _queue(
    ticket: Ticket,
    name: str,
    context: dict[str, Any],
    *,
    now: datetime,
    attachments: tuple[OutgoingAttachment, ...] = (),
) -> None:
    requester = ticket.requester
    if requester is None or not requester.email:
        return
    if ticket.is_request_from_robot:
        return  # a monitoring system's mail: nobody reads the answer, a robot may reply
    root = ticket.request_mail_id
    outbox_enqueue_notification(
        name=name,
        language=requester.language_or_customers,
        context=_base_context(ticket) | context,
        to=requester.email,
        context_ref=f"ticket:{ticket.pk}",
        in_reply_to=root or None,
        references=[root] if root else [],
        attachments=attachments,
        # A technician's own words (an answer, a question) are not auto-submitted: the
        # customer's out-of-office may answer them, and we ignore that answer anyway.
        is_auto_submitted=name not in WRITTEN_BY_PEOPLE,
        now=now,
    )


def _acknowledgement(ticket: Ticket, event: TicketEvent) -> tuple[str, dict[str, Any]]:
    return "acknowledgement", {
        "origin": ticket.origin,
        "reason": ticket.subject,
        "severity": ticket.severity,
    }


def _confirmation(ticket: Ticket, event: TicketEvent) -> tuple[str, dict[str, Any]]:
    return "confirmation", {
        "planned_at": datetime.fromisoformat(event.data["planned_at"]),
        "mode": event.mode,
        "expected_minutes": event.data["expected_minutes"],
    }


def _reply(ticket: Ticket, event: TicketEvent) -> tuple[str, dict[str, Any]]:
    message = Message.objects.select_related("author_user").get(pk=event.data["message"])
    return "reply", {
        "body": message.body_text,
        "technician_name": person_name(message.author_user) or provider_name(),
    }


def _clarification(ticket: Ticket, event: TicketEvent) -> tuple[str, dict[str, Any]]:
    return "clarification", {"question": event.reason}


def _work_started(ticket: Ticket, event: TicketEvent) -> tuple[str, dict[str, Any]] | None:
    earlier = (
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TRANSITION, to_state=S.IN_PROGRESS)
        .exclude(pk=event.pk)
        .exists()
    )
    return None if earlier else ("work_started", {"started_at": event.at})


def _resolution(ticket: Ticket, event: TicketEvent) -> tuple[str, dict[str, Any]]:
    messages = (
        Message.objects.filter(ticket=ticket, is_public=True)
        .select_related("author_user", "author_contact")
        .order_by("sent_at", "id")
    )
    dialogue = [
        {"author": m.author_name, "sent_at": m.sent_at, "text": m.body_text.strip()}
        for m in messages
    ]
    reason = "" if event.reason in DEFAULT_REASONS else event.reason
    return "resolution", {"resolution": reason, "dialogue": dialogue}


def _transition(ticket: Ticket, event: TicketEvent) -> tuple[str, dict[str, Any]] | None:
    if event.to_state == S.WAITING_CUSTOMER:
        return _clarification(ticket, event)
    if event.to_state == S.IN_PROGRESS and event.from_state != S.WAITING_CUSTOMER:
        return _work_started(ticket, event)
    if event.to_state == S.RESOLVED:
        return _resolution(ticket, event)
    return None


def _intervention_report(ticket: Ticket, event: TicketEvent) -> None:
    from assistdesk.tickets.report import report_context

    intervention = Intervention.objects.select_related("technician").get(
        pk=event.data["intervention"]
    )
    report = report_context(intervention, now=event.recorded_at)
    total = sum((line.amount for line in report["lines"]), Decimal(0))
    # The report is rendered now (what it says is what was true now); printing it to
    # PDF is slow, so the outbox sender does that (`is_html_for_pdf`).
    html = render_to_string(REPORT_TEMPLATE, report)
    name = f"{ticket.reference}-intervention-{report['number']}.pdf"
    _queue(
        ticket,
        "intervention_report",
        {
            "started_at": intervention.start_at,
            "ended_at": intervention.end_at,
            "mode": intervention.mode,
            "technician_name": person_name(intervention.technician) or provider_name(),
            "description": intervention.description,
            "total_amount": total if total else None,
            "currency": report["currency"],
        },
        now=event.recorded_at,
        attachments=(OutgoingAttachment(name, html.encode(), "application/pdf", True),),
    )


Builder = Callable[[Ticket, TicketEvent], "tuple[str, dict[str, Any]] | None"]
BUILDERS: dict[str, Builder] = {
    EventKind.ACKNOWLEDGEMENT: _acknowledgement,
    EventKind.CONFIRMATION: _confirmation,
    EventKind.REPLY: _reply,
    EventKind.TRANSITION: _transition,
}


def on_ticket_event(sender: object, *, event: TicketEvent, ticket: Ticket, **kwargs: Any) -> None:
    """Receiver of `ticket_event_recorded`: queue what this event tells the customer."""
    if event.kind not in BUILDERS and event.kind != EventKind.INTERVENTION:
        return
    if event.kind == EventKind.TRANSITION and event.to_state not in NOTIFIED_STATES:
        return  # most transitions tell the customer nothing
    # No savepoint needed: everything before the outbox insert only reads and renders,
    # and the insert is the last thing done.
    try:
        if event.kind == EventKind.INTERVENTION:
            _intervention_report(ticket, event)
            return
        built = BUILDERS[event.kind](ticket, event)
        if built is not None:
            name, context = built
            _queue(ticket, name, context, now=event.recorded_at)
    except DatabaseError:
        raise  # the change itself cannot commit either
    except Exception:
        log.exception("%s: no %s notification (event %s)", ticket.reference, event.kind, event.pk)
