"""Issuing drafted invoices: numbers taken and rows written, a batch per transaction.

A batch (up to `BATCH` customers) is issued in one transaction: the series row is
locked, the batch's customers are checked again for an invoice of the period (a racing
run may have issued some meanwhile; they are skipped), consecutive numbers are taken for
the others in customer-key order, and the invoices and all their lines are inserted
with two bulk inserts. The lock is held for the inserts only, never while pricing.

If the database refuses a batch (a source billed by a racing run, say), the batch is
rolled back whole, numbers included, and its drafts are issued one transaction each,
so that only the customer concerned is reported and nothing is skipped or numbered twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, connection, transaction

from assistdesk.billing.fx.rates import CentralRate
from assistdesk.billing.models import BillingPeriod, BillingRun, Invoice, InvoiceKind, InvoiceLine
from assistdesk.billing.services import numbering
from assistdesk.customers.models import Customer
from assistdesk.domain import invoicing
from assistdesk.domain.invoicing import Line

BATCH = 100


@dataclass
class Draft:
    """A customer's invoice before it has a number."""

    customer: Customer
    lines: list[Line]
    totals: invoicing.Totals
    rates: dict[str, CentralRate]  # item currency -> central rate used


@dataclass
class Issued:
    invoices: int = 0
    lines: int = 0
    already_invoiced: int = 0

    def add(self, other: Issued) -> None:
        self.invoices += other.invoices
        self.lines += other.lines
        self.already_invoiced += other.already_invoiced


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


def _invoice_row(
    draft: Draft,
    *,
    sequence: int,
    number: str,
    series: str,
    period: BillingPeriod,
    invoice_on: date,
    run: BillingRun | None,
    actor: str,
    now: datetime,
) -> Invoice:
    customer = draft.customer
    invoice = Invoice(
        kind=InvoiceKind.INVOICE,
        customer=customer,
        period=period,
        run=run,
        series=series,
        year=invoice_on.year,
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
    return invoice


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


def _issue_locked(
    drafts: Sequence[Draft],
    *,
    period: BillingPeriod,
    invoice_on: date,
    run: BillingRun | None,
    actor: str,
    now: datetime,
) -> Issued:
    """Inside the caller's transaction: lock, check, number, insert."""
    series = numbering.series_lock(numbering.INVOICE_SERIES, invoice_on.year)
    invoiced = set(
        Invoice.objects.filter(
            kind=InvoiceKind.INVOICE,
            period=period,
            customer_id__in=[d.customer.pk for d in drafts],
        ).values_list("customer_id", flat=True)
    )
    fresh = [d for d in drafts if d.customer.pk not in invoiced]
    numbers = numbering.series_take_many(series, len(fresh))
    invoices = [
        _invoice_row(
            draft,
            sequence=sequence,
            number=number,
            series=series.code,
            period=period,
            invoice_on=invoice_on,
            run=run,
            actor=actor,
            now=now,
        )
        for draft, (sequence, number) in zip(fresh, numbers, strict=True)
    ]
    if connection.features.can_return_rows_from_bulk_insert:
        Invoice.objects.bulk_create(invoices)
    else:  # an old SQLite: the ids are needed for the lines
        for invoice in invoices:
            invoice.save()
    lines = [
        _line_row(invoice, position, line)
        for invoice, draft in zip(invoices, fresh, strict=True)
        for position, line in enumerate(draft.lines, start=1)
    ]
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    return Issued(len(invoices), len(lines), len(invoiced))


def invoices_issue(
    drafts: Sequence[Draft],
    *,
    period: BillingPeriod,
    invoice_on: date,
    run: BillingRun | None,
    actor: str,
    now: datetime,
    errors: list[str],
) -> Issued:
    """Issue `drafts` (in customer-key order) in batches; refusals go to `errors`."""
    total = Issued()
    numbering.series_ensure(numbering.INVOICE_SERIES, invoice_on.year)

    def issue(batch: Sequence[Draft]) -> None:
        with transaction.atomic():
            issued = _issue_locked(
                batch, period=period, invoice_on=invoice_on, run=run, actor=actor, now=now
            )
        total.add(issued)  # counted once committed

    for start in range(0, len(drafts), BATCH):
        batch = drafts[start : start + BATCH]
        try:
            issue(batch)
            continue
        except IntegrityError:
            pass  # find out whose: one at a time
        for draft in batch:
            try:
                issue([draft])
            except IntegrityError as error:
                errors.append(f"{draft.customer.key}: {error}")
    return total
