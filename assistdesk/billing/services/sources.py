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
from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Q, Sum

from assistdesk.billing.models import Credit, InvoiceLine, LineSource
from assistdesk.catalog.models import Plan
from assistdesk.contracts.models import Contract, PackagePurchase
from assistdesk.domain.invoicing import (
    ContractFees,
    Item,
    PlanFees,
    Refs,
    fee_items,
    month_last_on,
)
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


def ticket_labeller() -> Callable[[int], str]:
    """How an invoice line names a ticket: its reference, as the tickets app writes it."""
    probe = Ticket()  # unsaved, reused: only its `reference` is wanted

    def label(number: int) -> str:
        probe.number = number
        return probe.reference

    return label


CHARGE_ORDER = {"labour": 0, "travel": 1, "part": 2}


def _local_on(at: datetime, zone: ZoneInfo | None) -> date:
    return at.astimezone(zone or UTC).date()


def ticket_items_by_customer(
    first_on: date, customer_ids: Collection[int] | None = None
) -> ItemsByCustomer:
    # Plain rows, not models: a provider closes tens of thousands of tickets a month.
    start = datetime.combine(first_on, time(0), tzinfo=UTC) - ZONE_MARGIN
    end = datetime.combine(month_last_on(first_on), time(0), tzinfo=UTC) + ZONE_MARGIN * 2
    current = Q(superseded_at__isnull=True, rated_at__gte=start, rated_at__lt=end)
    rows = list(
        TicketRating.objects.filter(current, _only(customer_ids, "ticket__customer_id"))
        .order_by("rated_at", "id")
        .values_list(
            "pk", "rated_at", "currency", "ticket__number", "ticket__customer_id", "ticket__plan_id"
        )
    )
    plans = {
        p.pk: p
        for p in Plan.objects.filter(pk__in={row[5] for row in rows if row[5]}).select_related(
            "calendar"
        )
    }
    zones = {pk: ZoneInfo(p.calendar.timezone) for pk, p in plans.items()}
    last_on = month_last_on(first_on)
    kept = [
        row
        for row in rows
        if first_on <= row[1].astimezone(zones.get(row[5], UTC)).date() <= last_on
    ]
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for charge in (
        Charge.objects.filter(
            _only(customer_ids, "rating__ticket__customer_id"),
            rating__superseded_at__isnull=True,
            rating__rated_at__gte=start,
            rating__rated_at__lt=end,
        )
        .values("rating_id", "type")
        .annotate(total=Sum("amount"))
    ):
        sums[charge["rating_id"]][charge["type"]] = charge["total"]
    items: ItemsByCustomer = defaultdict(list)
    ticket_label = ticket_labeller()
    for rating_id, _, currency, number, customer_id, plan_id in kept:
        plan = plans.get(plan_id)
        label = ticket_label(number)
        for kind, amount in sorted(sums[rating_id].items(), key=lambda kv: CHARGE_ORDER[kv[0]]):
            items[customer_id].append(
                Item(
                    kind=kind,
                    source=LineSource.TICKET,
                    description=f"{label} {kind}",
                    currency=currency,
                    amount=amount,
                    fx_markup=plan.fx_markup if plan is not None else Decimal(0),
                    plan_key=plan.key if plan is not None else "",
                    ticket_label=label,
                    refs=Refs(rating_id=rating_id),
                )
            )
    for customer_id, reversals in _reversal_items(customer_ids).items():
        items[customer_id].extend(reversals)
    return items


def _reversal_items(customer_ids: Collection[int] | None) -> ItemsByCustomer:
    """Billed lines of ratings superseded since: taken back at what is left of them.

    What a credit note already took back of a line is not taken back twice.
    """
    lines = (
        InvoiceLine.objects.filter(
            _only(customer_ids, "invoice__customer_id"),
            source=LineSource.TICKET,
            rating__superseded_at__isnull=False,
        )
        .exclude(corrections__source=LineSource.TICKET_REVERSAL)
        .select_related("invoice")
        .prefetch_related("corrections")
        .order_by("id")
    )
    items: ItemsByCustomer = defaultdict(list)
    for line in lines:
        left = line.amount + sum((c.amount for c in line.corrections.all()), Decimal(0))
        if left <= 0:
            continue
        items[line.invoice.customer_id].append(
            Item(
                kind="credit",
                source=LineSource.TICKET_REVERSAL,
                description=f"{line.description} of {line.invoice.number} taken back (reopened)",
                currency=line.invoice.currency,
                amount=-left,
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
