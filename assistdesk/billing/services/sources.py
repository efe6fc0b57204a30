"""What there is to bill in a period, for all customers at once (a handful of queries).

Each function returns `{customer_id: [Item, ...]}` in the items' own currency:
- `fee_items_by_customer`: the contracts covering some day of the month;
- `package_items_by_customer`: packages bought in the month (`purchased_on`);
- `ticket_items_by_customer`: the current ratings of tickets closed in the month, one
  item per ticket and charge type (the sum of its labour, travel or part charges), and a
  negative item for every billed rating line whose rating has since been superseded
  (the ticket was reopened: the old charges are taken back, the new rating is billed in
  the period it closes in);
- `credit_items_by_customer`: pending credits granted on or before the invoice date.

"Closed in the month" is read on the local calendar of the plan the ticket was received
under (the time zone its working hours are in), UTC for a ticket without a plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum

from assistdesk.billing.invoicing import (
    ContractFees,
    Item,
    PlanFees,
    Refs,
    fee_items,
    month_last_on,
)
from assistdesk.billing.models import Credit, InvoiceLine, LineSource
from assistdesk.catalog.models import Plan
from assistdesk.contracts.models import Contract, PackagePurchase
from assistdesk.tickets.models import Charge, Ticket, TicketRating

ItemsByCustomer = dict[int, list[Item]]
# Local midnights lie within this of the UTC ones (UTC-12 .. UTC+14).
ZONE_MARGIN = timedelta(hours=15)


def _only(customer_ids: Collection[int] | None, field: str = "customer_id") -> Q:
    return Q() if customer_ids is None else Q(**{f"{field}__in": list(customer_ids)})


def plan_fees(plan: Plan) -> PlanFees:
    return PlanFees(
        key=plan.key,
        currency=plan.currency,
        monthly_fee_amount=plan.monthly_fee_amount,
        annual_fee_amount=plan.annual_fee_amount,
        per_workstation_monthly_fee_amount=plan.per_workstation_monthly_fee_amount,
        fx_markup=plan.fx_markup,
        is_trial=plan.is_trial,
    )


def contract_fees(contract: Contract) -> ContractFees:
    """The contract's fee terms; its workstations, or else the customer's."""
    return ContractFees(
        contract_id=contract.pk,
        plan=plan_fees(contract.plan),
        start_on=contract.start_on,
        ends_on=contract.ends_on,
        billing_cycle=contract.billing_cycle,
        workstations=contract.workstations or contract.customer.workstations,
    )


def fee_items_by_customer(
    first_on: date, customer_ids: Collection[int] | None = None
) -> ItemsByCustomer:
    contracts = (
        Contract.objects.filter(_only(customer_ids), start_on__lte=month_last_on(first_on))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first_on))
        .filter(plan__trial_days__isnull=True)  # a trial costs nothing
        .select_related("plan", "customer")
        .order_by("start_on", "id")
    )
    items: ItemsByCustomer = defaultdict(list)
    for contract in contracts:
        items[contract.customer_id].extend(fee_items(contract_fees(contract), first_on))
    return items


def package_items_by_customer(
    first_on: date, customer_ids: Collection[int] | None = None
) -> ItemsByCustomer:
    purchases = (
        PackagePurchase.objects.filter(
            _only(customer_ids),
            purchased_on__gte=first_on,
            purchased_on__lte=month_last_on(first_on),
        )
        .select_related("plan")
        .order_by("purchased_on", "id")
    )
    items: ItemsByCustomer = defaultdict(list)
    for purchase in purchases:
        items[purchase.customer_id].append(
            Item(
                kind="package",
                source=LineSource.PACKAGE,
                description=f"package {purchase.plan.key}",
                currency=purchase.currency,
                amount=purchase.price_amount,
                fx_markup=purchase.plan.fx_markup,
                plan_key=purchase.plan.key,
                refs=Refs(purchase_id=purchase.pk),
            )
        )
    return items


def ticket_label(ticket: Ticket) -> str:
    """How an invoice line names a ticket: its reference (AD-000123)."""
    return ticket.reference


def _closed_in(rating: TicketRating, first_on: date) -> bool:
    plan = rating.ticket.plan
    zone = ZoneInfo(plan.calendar.timezone) if plan is not None else UTC
    local = rating.rated_at.astimezone(zone).date()
    return first_on <= local <= month_last_on(first_on)


CHARGE_ORDER = {"labour": 0, "travel": 1, "part": 2}


def ticket_items_by_customer(
    first_on: date, customer_ids: Collection[int] | None = None
) -> ItemsByCustomer:
    start = datetime.combine(first_on, time(0), tzinfo=UTC) - ZONE_MARGIN
    end = datetime.combine(month_last_on(first_on), time(0), tzinfo=UTC) + ZONE_MARGIN * 2
    ratings = [
        r
        for r in TicketRating.objects.filter(
            _only(customer_ids, "ticket__customer_id"),
            superseded_at__isnull=True,
            rated_at__gte=start,
            rated_at__lt=end,
        )
        .select_related("ticket__plan__calendar")
        .order_by("rated_at", "id")
        if _closed_in(r, first_on)
    ]
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        Charge.objects.filter(rating__in=[r.pk for r in ratings])
        .values("rating_id", "type")
        .annotate(total=Sum("amount"))
    ):
        sums[row["rating_id"]][row["type"]] = row["total"]
    items: ItemsByCustomer = defaultdict(list)
    for rating in ratings:
        ticket, plan = rating.ticket, rating.ticket.plan
        label = ticket_label(ticket)
        for kind, amount in sorted(sums[rating.pk].items(), key=lambda kv: CHARGE_ORDER[kv[0]]):
            items[ticket.customer_id].append(
                Item(
                    kind=kind,
                    source=LineSource.TICKET,
                    description=f"{label} {kind}",
                    currency=rating.currency,
                    amount=amount,
                    fx_markup=plan.fx_markup if plan is not None else Decimal(0),
                    plan_key=plan.key if plan is not None else "",
                    ticket_label=label,
                    refs=Refs(rating_id=rating.pk),
                )
            )
    for customer_id, reversals in _reversal_items(customer_ids).items():
        items[customer_id].extend(reversals)
    return items


def _reversal_items(customer_ids: Collection[int] | None) -> ItemsByCustomer:
    """Billed lines of ratings superseded since: taken back at the amount billed."""
    lines = (
        InvoiceLine.objects.filter(
            _only(customer_ids, "invoice__customer_id"),
            source=LineSource.TICKET,
            rating__superseded_at__isnull=False,
        )
        .exclude(corrections__source=LineSource.TICKET_REVERSAL)
        .select_related("invoice")
        .order_by("id")
    )
    items: ItemsByCustomer = defaultdict(list)
    for line in lines:
        items[line.invoice.customer_id].append(
            Item(
                kind="credit",
                source=LineSource.TICKET_REVERSAL,
                description=f"{line.description} of {line.invoice.number} taken back (reopened)",
                currency=line.invoice.currency,
                amount=-line.amount,
                plan_key=line.plan_key,
                ticket_label=line.ticket_label,
                refs=Refs(credited_line_id=line.pk),
            )
        )
    return items


def credit_items_by_customer(
    invoice_on: date, customer_ids: Collection[int] | None = None
) -> ItemsByCustomer:
    """Pending credits (not billed, not cancelled), oldest first, as negative items."""
    credits = (
        Credit.objects.filter(_only(customer_ids), granted_on__lte=invoice_on)
        .filter(cancelled_at__isnull=True)
        .exclude(lines__source=LineSource.CREDIT)
        .order_by("granted_on", "id")
    )
    items: ItemsByCustomer = defaultdict(list)
    for credit in credits:
        items[credit.customer_id].append(
            Item(
                kind="credit",
                source=LineSource.CREDIT,
                description=f"credit: {credit.reason}",
                currency=credit.currency,
                amount=-credit.amount,
                refs=Refs(credit_id=credit.pk),
            )
        )
    return items
