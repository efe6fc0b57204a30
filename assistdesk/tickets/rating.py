"""Rating a ticket (§2.6): its rows turned into the pure `domain.rating` inputs, and back.

Where each input comes from
- work: the ticket's interventions and parts (`Intervention.to_domain`), urgent flag;
- terms: the plan in force at receipt (`ticket.contract.plan`) with the contract's own
  coefficients stacked on the plan's (`contracts.selectors.contract_rating_terms`);
- out-of-hours: the plan calendar's working time at each intervention's start;
- SLA: the ticket's targets as they stand at closing (`tickets.sla`): an onsite target
  not met makes an urgent ticket's labour and travel free (if the plan says so), the
  lateness of a response target not met discounts a non-urgent ticket's labour;
- allowances: the customer's buckets valid at closing, with their ledgers, locked by
  `contracts.services.allowance_buckets_locked`, which grants the month's included
  allowance first (idempotent), so a ticket closed on the 1st before the monthly job ran
  still gets it.

Writing: the rating's debits (per bucket, summed over its labour lines) go to the ledgers
with `contracts.services.allowance_record_uses`: `use` entries whose `ref` is the ticket's
reference (AD-000123), in the closing transaction, the buckets still locked, so the
ledger gets exactly what the rating computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from assistdesk.contracts.models import AllowanceBucket
from assistdesk.contracts.selectors import buckets_with_entries, contract_rating_terms
from assistdesk.contracts.services import (
    allowance_buckets_locked,
    allowance_record_uses,
    allowance_reverse_uses,
)
from assistdesk.domain import rating as domain
from assistdesk.domain import sla as domain_sla
from assistdesk.domain.allowances import Bucket
from assistdesk.domain.money import ZERO
from assistdesk.tickets import sla
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import Charge, Intervention, Ticket, TicketRating


@dataclass(frozen=True)
class RatedTicket:
    """A domain rating and the intervention rows its numbers (1 = first) refer to."""

    rating: domain.Rating
    interventions: tuple[Intervention, ...]

    def intervention(self, number: int) -> Intervention:
        return self.interventions[number - 1]


def sla_outcome(results: tuple[domain_sla.TargetResult, ...]) -> domain.SlaOutcome:
    """What the penalties need: only decided targets (`met is False`) count (§2.2)."""
    late_responses = [
        r.late_minutes
        for r in results
        if r.kind is domain_sla.TargetKind.RESPONSE and r.met is False
    ]
    return domain.SlaOutcome(
        is_onsite_late=any(
            r.kind is domain_sla.TargetKind.ONSITE and r.met is False for r in results
        ),
        response_late_minutes=Decimal(max(late_responses, default=0)),
    )


def ordered_interventions(ticket: Ticket) -> tuple[Intervention, ...]:
    """In the rating's numbering order: by start, ties in the order they were logged."""
    return tuple(
        Intervention.objects.filter(ticket=ticket)
        .prefetch_related("parts")
        .order_by("start_at", "id")
    )


def _rate(
    ticket: Ticket,
    *,
    results: tuple[domain_sla.TargetResult, ...],
    buckets: list[Bucket],
    at: datetime,
) -> RatedTicket:
    interventions = ordered_interventions(ticket)
    if ticket.contract is None or ticket.plan is None:
        if interventions:
            raise TicketError(
                "contract",
                f"{ticket.reference} has no contract (none was in force at receipt); "
                "set one before closing",
            )
        empty = domain.Rating(ticket.reference, ticket.customer.currency, (), ZERO, ())
        return RatedTicket(empty, ())
    calendar = sla.domain_calendar(ticket.plan.calendar)
    work = domain.TicketWork(
        key=ticket.reference,
        is_urgent=ticket.is_urgent,
        interventions=tuple(iv.to_domain(list(iv.parts.all())) for iv in interventions),
    )
    rated = domain.rate_ticket(
        work,
        contract_rating_terms(contract=ticket.contract),
        is_in_town=ticket.customer.is_in_town,
        is_working=calendar.is_working,
        sla=sla_outcome(results),
        buckets=buckets,
        closed_at=at,
    )
    return RatedTicket(rated, interventions)


def provisional(ticket: Ticket, *, now: datetime) -> RatedTicket:
    """The rating the ticket would get if it closed at `now`; reads only, writes nothing.

    Allowances as they stand (a month's grant not yet written is not counted).
    """
    rows = list(
        AllowanceBucket.objects.filter(
            customer_id=ticket.customer_id, granted_at__lte=now, expires_at__gt=now
        ).order_by("id")
    )
    return _rate(
        ticket, results=sla.compute(ticket, now), buckets=buckets_with_entries(rows), at=now
    )


def rate_and_store(
    ticket: Ticket,
    *,
    results: tuple[domain_sla.TargetResult, ...],
    actor: str,
    now: datetime,
) -> TicketRating:
    """Rate the ticket at its closing `now`, keep the result and debit the allowances.

    Runs inside the closing transaction, the ticket row locked.
    """
    if TicketRating.objects.filter(ticket=ticket, superseded_at__isnull=True).exists():
        raise TicketError("state", f"{ticket.reference} is rated already")
    # The month's included allowance is granted first; the buckets stay locked until the
    # closing commits, so no other closing can take the same minutes meanwhile.
    buckets = allowance_buckets_locked(customer=ticket.customer, at=now, actor=actor, now=now)
    rated = _rate(ticket, results=results, buckets=buckets, at=now)
    stored = _store(ticket, rated, actor=actor, now=now)
    allowance_record_uses(
        customer=ticket.customer,
        debits=rated.rating.debits,
        at=now,
        ref=ticket.reference,
        actor=actor,
        now=now,
    )
    return stored


def _store(ticket: Ticket, rated: RatedTicket, *, actor: str, now: datetime) -> TicketRating:
    rating = rated.rating
    stored = TicketRating.objects.create(
        ticket=ticket,
        rated_at=now,
        currency=rating.currency,
        total_amount=rating.total_amount,
        labour_amount=rating.amount_of(domain.ChargeKind.LABOUR),
        travel_amount=rating.amount_of(domain.ChargeKind.TRAVEL),
        parts_amount=rating.amount_of(domain.ChargeKind.PART),
        actor=actor,
    )
    Charge.objects.bulk_create(
        charge_row(stored, ordinal, charge, rated)
        for ordinal, charge in enumerate(rating.charges, start=1)
    )
    return stored


def charge_row(
    rating: TicketRating | None, ordinal: int, charge: domain.Charge, rated: RatedTicket
) -> Charge:
    """A charge as a row (unsaved without `rating`: the report shows provisional ones)."""
    row = Charge(
        rating=rating,
        ordinal=ordinal,
        type=str(charge.kind),
        amount=charge.amount,
        explanation=charge.explanation,
    )
    if isinstance(charge, domain.LabourCharge):
        row.intervention = rated.intervention(charge.interventions[0])
        row.intervention_numbers = list(charge.interventions)
        row.rate_key = charge.rate_key
        row.mode = charge.mode
        row.minutes = charge.minutes
        row.billed_minutes = charge.billed_minutes
        row.coefficient = charge.coefficient
        row.coefficient_names = list(charge.coefficient_names)
        row.allowance_minutes = charge.allowance_minutes
        row.debits = [
            {"bucket": d.bucket_key, "minutes": f"{d.minutes.normalize():f}"} for d in charge.debits
        ]
        row.gross_amount = charge.gross_amount
        row.discount = charge.discount
        row.discount_amount = charge.discount_amount
        row.free_reason = ", ".join(charge.free_reasons)
    elif isinstance(charge, domain.TravelCharge):
        row.intervention = rated.intervention(charge.intervention)
        row.intervention_numbers = [charge.intervention]
        row.km = charge.km
        row.is_in_town = charge.is_in_town
        row.free_reason = ", ".join(charge.free_reasons)
    else:
        row.intervention = rated.intervention(charge.intervention)
        row.intervention_numbers = [charge.intervention]
        row.name = charge.name
        row.quantity = charge.quantity
        row.unit_price_amount = charge.unit_price_amount
        if not charge.amount and charge.quantity * charge.unit_price_amount:
            row.free_reason = charge.explanation.rpartition(": ")[2]
    return row


def supersede(ticket: Ticket, *, reason: str, actor: str, now: datetime) -> TicketRating | None:
    """A closed ticket reopened: its rating stops counting, its allowance uses come back."""
    current = TicketRating.objects.filter(ticket=ticket, superseded_at__isnull=True).first()
    if current is None:
        return None
    current.superseded_at = now
    current.superseded_reason = reason[:300]
    current.save(update_fields=["superseded_at", "superseded_reason"])
    allowance_reverse_uses(
        customer=ticket.customer, ref=ticket.reference, at=now, actor=actor, now=now
    )
    return current


def current_rating(ticket: Ticket) -> TicketRating | None:
    return (
        TicketRating.objects.filter(ticket=ticket, superseded_at__isnull=True)
        .prefetch_related("charges")
        .first()
    )
