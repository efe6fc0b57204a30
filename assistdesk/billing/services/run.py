"""The invoicing run of a period (DESIGN.md §2.7): every customer's invoice, once.

`billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=..., now=...)`

1. Everything billable in the month is read for all customers at once (`sources`), and
   the central rates of the invoice date are looked up once per currency pair.
2. Per customer, in customer-key order: the items are priced in the customer's currency
   (`invoicing.price`), pending credits deducted while the invoice stays positive, VAT
   added. No line, no invoice.
3. The drafts are issued in customer-key order, a batch per transaction (`issue`): the
   series row locked, the customers checked again for an invoice of the period (a racing
   run may have issued some meanwhile), consecutive numbers taken, rows inserted.

Idempotent: a customer who has an invoice for the period is skipped (also enforced by a
unique constraint), and each fee, purchase, rating line and credit can be billed once.
A customer that cannot be billed (no exchange rate) is reported in the run's `errors`
and the others are billed; running again after the rate is imported bills it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from assistdesk.billing.fx.rates import CentralRate, RateNotFound, rate_on
from assistdesk.billing.models import (
    BillingPeriod,
    BillingRun,
    Invoice,
    InvoiceKind,
)
from assistdesk.billing.services import sources
from assistdesk.billing.services.issue import Draft, invoices_issue
from assistdesk.customers.models import Customer
from assistdesk.domain import invoicing
from assistdesk.domain.invoicing import Item, Line, month_last_on, period_first_on

log = logging.getLogger(__name__)


def billing_period_get(*, key: str) -> BillingPeriod:
    """The period row of `YYYY-MM`, created on first use."""
    first_on = period_first_on(key)
    period = BillingPeriod.objects.filter(key=key).first()
    if period is not None:
        return period
    try:
        with transaction.atomic():
            return BillingPeriod.objects.create(
                key=key, starts_on=first_on, ends_on=month_last_on(first_on)
            )
    except IntegrityError:
        return BillingPeriod.objects.get(key=key)


class Rates:
    """Central rates on the invoice date, looked up once per pair for the whole run."""

    def __init__(self, on: date) -> None:
        self.on = on
        self.found: dict[tuple[str, str], CentralRate] = {}

    def get(self, from_currency: str, to_currency: str) -> CentralRate:
        key = (from_currency, to_currency)
        if key not in self.found:
            self.found[key] = rate_on(from_currency, to_currency, self.on)
        return self.found[key]


def draft_invoice(
    customer: Customer, items: Sequence[Item], credits: Sequence[Item], rates: Rates
) -> Draft | None:
    """The customer's invoice from its items, or None when no line is left."""
    used: dict[str, CentralRate] = {}

    def central(currency: str) -> Decimal:
        used[currency] = rates.get(currency, customer.currency)
        return used[currency].rate

    lines = invoicing.price(items, currency=customer.currency, central_rate=central)
    if not lines:
        return None
    net = sum((line.amount for line in lines), Decimal(0))
    usable = [(c, -c.amount) for c in credits if c.currency == customer.currency]
    for credit, _ in invoicing.choose_credits(net, usable):
        assert isinstance(credit, Item)
        lines.append(Line(credit, None, credit.amount))
    totals = invoicing.totals(
        (line.amount for line in lines),
        vat_rate=customer.vat_rate,
        is_reverse_charge=customer.is_vat_reverse_charge,
    )
    return Draft(customer, lines, totals, used)


def billing_run(
    *,
    period: str,
    invoice_on: date,
    actor: str,
    now: datetime,
    customers: Collection[Customer] | None = None,
) -> BillingRun:
    """Invoice every customer (or `customers`) for `period`, dated `invoice_on`."""
    period_row = billing_period_get(key=period)
    first_on = period_row.starts_on
    if invoice_on < first_on:
        raise ValueError(f"invoice date {invoice_on} is before the period {period}")
    run = BillingRun.objects.create(
        period=period_row, invoice_on=invoice_on, started_at=now, actor=actor
    )
    ids = None if customers is None else {c.pk for c in customers}
    gathered = [
        sources.fee_items_by_customer(first_on, ids),
        sources.package_items_by_customer(first_on, ids),
        sources.ticket_items_by_customer(first_on, ids),
    ]
    credits = sources.credit_items_by_customer(invoice_on, ids)
    billable = set().union(*gathered)
    invoiced = set(
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, period=period_row).values_list(
            "customer_id", flat=True
        )
    )
    rates = Rates(invoice_on)
    errors: list[str] = []
    drafts: list[Draft] = []
    already = 0
    # Every customer, in key order, filtered here: an IN list of all the billable ids
    # would meet SQLite's limit on query parameters for a big provider.
    for customer in Customer.objects.order_by("key").iterator(chunk_size=2000):
        if customer.pk not in billable:
            continue
        if customer.pk in invoiced:
            already += 1
            continue
        items = [item for found in gathered for item in found.get(customer.pk, ())]
        try:
            draft = draft_invoice(customer, items, credits.get(customer.pk, []), rates)
        except RateNotFound as error:
            errors.append(f"{customer.key}: {error}")
            continue
        if draft is not None:
            drafts.append(draft)
    issued = invoices_issue(
        drafts, period=period_row, invoice_on=invoice_on, run=run, actor=actor, now=now,
        errors=errors,
    )  # fmt: skip
    for message in errors:
        log.warning("billing %s: %s", period, message)
    BillingRun.objects.filter(pk=run.pk).update(
        finished_at=now,
        invoices_issued=issued.invoices,
        lines_issued=issued.lines,
        customers_already_invoiced=already + issued.already_invoiced,
        errors=errors,
    )
    run.refresh_from_db()
    return run
