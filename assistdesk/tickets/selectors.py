"""Reads of tickets: the queue, one ticket's result, threads, ratings for billing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import F, Prefetch, QuerySet

from assistdesk.customers.models import Customer
from assistdesk.tickets.models import (
    Charge,
    Intervention,
    Message,
    Ticket,
    TicketEvent,
    TicketRating,
    TicketTarget,
)

# The §2.4 order: free follow-ups owed first, then the contract's priority rank, then
# severity, then the earliest due time (tickets without an open target last), then
# receipt. Exactly the columns of the partial index `ticket_queue_order`.
QUEUE_ORDER = (
    F("needs_follow_up").desc(),
    F("priority_rank").asc(),
    F("severity").asc(),
    F("next_due_at").asc(nulls_last=True),
    F("received_at").asc(),
    F("id").asc(),
)


def ticket_queue(
    *, assignee: User | None = None, customer: Customer | None = None
) -> QuerySet[Ticket]:
    """Tickets being worked on, in queue order: one query, whatever its length."""
    tickets = Ticket.objects.filter(in_queue=True)
    if assignee is not None:
        tickets = tickets.filter(assignee=assignee)
    if customer is not None:
        tickets = tickets.filter(customer=customer)
    return tickets.select_related("customer", "requester", "assignee", "plan").order_by(
        *QUEUE_ORDER
    )


def ticket_get(*, number: int) -> Ticket:
    return Ticket.objects.select_related("customer", "contract", "plan", "requester").get(
        number=number
    )


def ticket_for_customer(*, number: int, customer_id: int) -> Ticket | None:
    """The ticket with this number if it is the customer's (a mail tag of another
    customer's ticket never attaches)."""
    return Ticket.objects.filter(number=number, customer_id=customer_id).first()


def ticket_for_mail_ids(*, message_ids: Sequence[str], customer_id: int) -> Ticket | None:
    """The customer's ticket a mail answers, by the Message-IDs it refers to."""
    ids = [m for m in message_ids if m]
    if not ids:
        return None
    message = (
        Message.objects.filter(mail_message_id__in=ids, ticket__customer_id=customer_id)
        .select_related("ticket")
        .order_by("-sent_at")
        .first()
    )
    return message.ticket if message is not None else None


def ticket_thread(*, ticket: Ticket, include_internal: bool = True) -> QuerySet[Message]:
    messages = Message.objects.filter(ticket=ticket)
    if not include_internal:
        messages = messages.filter(is_public=True)
    return messages.select_related("author_user", "author_contact").prefetch_related("attachments")


def ticket_history(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=ticket).order_by("at", "id")


def ticket_interventions(*, ticket: Ticket) -> QuerySet[Intervention]:
    return (
        Intervention.objects.filter(ticket=ticket)
        .select_related("technician")
        .prefetch_related("parts")
        .order_by("start_at", "id")
    )


@dataclass(frozen=True)
class RatingView:
    currency: str
    total_amount: Decimal
    rated_at: datetime
    charges: tuple[Charge, ...]


@dataclass(frozen=True)
class TicketResult:
    """A ticket as the scenario result shows it (FORMAT.md `tickets.<key>`)."""

    number: int
    reference: str
    state: str
    targets: tuple[TicketTarget, ...]
    rating: RatingView | None


def ticket_rating(*, ticket: Ticket) -> TicketRating | None:
    """The current rating (none while open, or after a reopening until closed again)."""
    return (
        TicketRating.objects.filter(ticket=ticket, superseded_at__isnull=True)
        .prefetch_related(Prefetch("charges", queryset=Charge.objects.order_by("ordinal")))
        .first()
    )


def ticket_result(*, ticket_id: int) -> TicketResult:
    ticket = Ticket.objects.get(pk=ticket_id)
    rating = ticket_rating(ticket=ticket)
    return TicketResult(
        number=ticket.number,
        reference=ticket.reference,
        state=ticket.state,
        targets=tuple(TicketTarget.objects.filter(ticket=ticket).order_by("ordinal")),
        rating=None
        if rating is None
        else RatingView(
            currency=rating.currency,
            total_amount=rating.total_amount,
            rated_at=rating.rated_at,
            charges=tuple(rating.charges.all()),
        ),
    )


def ratings_in_period(
    *, customer: Customer, start_at: datetime, end_at: datetime
) -> QuerySet[TicketRating]:
    """Current ratings of the customer's tickets closed in [start_at, end_at): billed then
    (§2.6 "billed in the period in which it was closed")."""
    return (
        TicketRating.objects.filter(
            ticket__customer=customer,
            superseded_at__isnull=True,
            rated_at__gte=start_at,
            rated_at__lt=end_at,
        )
        .select_related("ticket")
        .prefetch_related(Prefetch("charges", queryset=Charge.objects.order_by("ordinal")))
        .order_by("rated_at", "id")
    )
