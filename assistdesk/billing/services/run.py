"""The invoicing run of a period (DESIGN.md §2.7): every customer's invoice, once.

`billing_run(period="2026-01", invoice_on=date(2026, 1, 31), actor=..., now=...)`

1. Everything billable in the month is read for all customers at once (`sources`), and
   the central rates of the invoice date are looked up once per currency pair.
2. Per customer, in customer-key order: the items are priced in the customer's currency
   (`invoicing.price`), pending credits deducted while the invoice stays positive, VAT
   added. No line, no invoice.
3. Each invoice is issued in a transaction of its own: the series row is locked, the
   customer is checked again for an invoice of the period (a racing run may have issued
   it meanwhile), the next number taken, the invoice and its lines inserted.

Idempotent: a customer who has an invoice for the period is skipped (also enforced by a
unique constraint), and each fee, purchase, rating line and credit can be billed once.
A customer that cannot be billed (no exchange rate) is reported in the run's `errors`
and the others are billed; running again after the rate is imported bills it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from assistdesk.billing import invoicing
from assistdesk.billing.fx.rates import CentralRate, RateNotFound, rate_on
from assistdesk.billing.invoicing import Item, Line, month_last_on, period_first_on
from assistdesk.billing.models import (
    BillingPeriod,
    BillingRun,
    Invoice,
    InvoiceKind,
    InvoiceLine,
)
from assistdesk.billing.services import numbering, sources
from assistdesk.customers.models import Customer

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


@dataclass
class Draft:
    """A customer's invoice before it has a number."""

    customer: Customer
    lines: list[Line]
    totals: invoicing.Totals
    rates: dict[str, CentralRate]


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


def _fx_fields(draft: Draft) -> dict[str, object]:
    """The conversion as the invoice shows it: the rate when all lines share one."""
    converted = [line for line in draft.lines if line.fx_rate is not None]
    if not converted:
        return {}
    first = converted[0]
    central = draft.rates[first.item.currency]
    uniform = all(
        line.fx_rate == first.fx_rate and line.item.currency == first.item.currency
        for line in converted
    )
    return {
        "fx_rate": first.fx_rate if uniform else None,
        "fx_central_rate": central.rate,
        "fx_markup": first.item.fx_markup if uniform else None,
        "fx_from_currency": first.item.currency,
        "fx_source": central.source,
        "fx_published_on": central.published_on,
    }


def _line_row(invoice: Invoice, position: int, line: Line) -> InvoiceLine:
    item = line.item
    refs = item.refs
    return InvoiceLine(
        invoice=invoice,
        position=position,
        kind=item.kind,
        source=item.source,
        description=item.description[:300],
        plan_key=item.plan_key,
        ticket_label=item.ticket_label,
        quantity=item.quantity,
        source_currency=item.currency,
        source_unit_amount=item.unit,
        source_amount=item.amount,
        fx_rate=line.fx_rate,
        amount=line.amount,
        contract_id=refs.contract_id,
        month_on=refs.month_on,
        purchase_id=refs.purchase_id,
        rating_id=refs.rating_id,
        credit_id=refs.credit_id,
        credited_line_id=refs.credited_line_id,
    )


def invoice_issue(
    draft: Draft,
    *,
    period: BillingPeriod,
    invoice_on: date,
    run: BillingRun | None,
    actor: str,
    now: datetime,
) -> tuple[Invoice, int] | None:
    """Number and store a draft; None when the customer has been invoiced meanwhile."""
    customer = draft.customer
    with transaction.atomic():
        series = numbering.series_lock(numbering.INVOICE_SERIES, invoice_on.year)
        if Invoice.objects.filter(
            kind=InvoiceKind.INVOICE, customer=customer, period=period
        ).exists():
            return None
        sequence, number = numbering.series_take(series)
        invoice = Invoice(
            kind=InvoiceKind.INVOICE,
            customer=customer,
            period=period,
            run=run,
            series=series.code,
            year=series.year,
            sequence=sequence,
            number=number,
            issued_on=invoice_on,
            issued_at=now,
            actor=actor,
            customer_name=customer.name,
            customer_vat_id=customer.vat_id,
            customer_country=customer.country,
            language=customer.language,
            currency=customer.currency,
            net_amount=draft.totals.net_amount,
            vat_amount=draft.totals.vat_amount,
            total_amount=draft.totals.total_amount,
            vat_rate=None if customer.is_vat_reverse_charge else customer.vat_rate,
            is_reverse_charge=customer.is_vat_reverse_charge,
        )
        for name, value in _fx_fields(draft).items():
            setattr(invoice, name, value)
        invoice.save()
        rows = [_line_row(invoice, i, line) for i, line in enumerate(draft.lines, start=1)]
        InvoiceLine.objects.bulk_create(rows)
    return invoice, len(rows)


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
    numbering.series_ensure(numbering.INVOICE_SERIES, invoice_on.year)
    rates = Rates(invoice_on)
    errors: list[str] = []
    issued = lines = already = 0
    for customer in Customer.objects.filter(pk__in=billable).order_by("key"):
        if customer.pk in invoiced:
            already += 1
            continue
        items = [item for found in gathered for item in found.get(customer.pk, ())]
        try:
            draft = draft_invoice(customer, items, credits.get(customer.pk, []), rates)
        except RateNotFound as error:
            errors.append(f"{customer.key}: {error}")
            continue
        if draft is None:
            continue
        try:
            done = invoice_issue(
                draft, period=period_row, invoice_on=invoice_on, run=run, actor=actor, now=now
            )
        except IntegrityError as error:  # something of it was billed by a racing run
            errors.append(f"{customer.key}: {error}")
            continue
        if done is None:
            already += 1
            continue
        issued += 1
        lines += done[1]
    for message in errors:
        log.warning("billing %s: %s", period, message)
    BillingRun.objects.filter(pk=run.pk).update(
        finished_at=now,
        invoices_issued=issued,
        lines_issued=lines,
        customers_already_invoiced=already,
        errors=errors,
    )
    run.refresh_from_db()
    return run
