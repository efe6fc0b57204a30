"""Corrections: credit notes for issued invoices, credits deducted from coming ones.

An issued invoice never changes (§2.7). To take back all or part of it, a *credit note*
is issued: a negative invoice that names the invoice it corrects, with one line per line
it takes back (same kind, description and VAT treatment, negative amounts), numbered in
its own series (`CN-2026-000001`). A line can be credited at most up to its amount over
all the credit notes of the invoice. Taking back every line reverses the VAT exactly
(half-up rounding is symmetric around zero).

A *credit* is an amount owed to the customer that is not tied to one invoice line (a
goodwill gesture, an SLA penalty agreed by hand): it is deducted as a line of the
customer's next invoice dated on or after it (`sources.credit_items_by_customer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from assistdesk.billing.models import Credit, Invoice, InvoiceKind, InvoiceLine, LineSource
from assistdesk.billing.services import numbering
from assistdesk.customers.models import Customer
from assistdesk.domain import invoicing
from assistdesk.domain.money import ZERO, round_money


def credit_grant(
    *,
    customer: Customer,
    amount: Decimal,
    reason: str,
    granted_on: date,
    actor: str,
    now: datetime,
) -> Credit:
    """Owe `amount` (in the customer's currency) to the customer, deducted next invoice."""
    if amount <= 0 or round_money(amount) != amount:
        raise ValidationError({"amount": "amount: a positive amount in cents"})
    if not reason.strip():
        raise ValidationError({"reason": "reason: say why the customer is credited"})
    with transaction.atomic():
        return Credit.objects.create(
            customer=customer,
            currency=customer.currency,
            amount=amount,
            reason=reason.strip(),
            granted_on=granted_on,
            actor=actor,
        )


def credit_cancel(*, credit: Credit, actor: str, now: datetime) -> Credit:
    """Withdraw a credit that no invoice has deducted yet."""
    with transaction.atomic():
        locked = Credit.objects.select_for_update().get(pk=credit.pk)
        if locked.lines.exists():
            raise ValidationError({"credit": "credit: already deducted on an invoice"})
        if locked.cancelled_at is None:
            locked.cancelled_at = now
            locked.save(update_fields=["cancelled_at", "updated_at"])
    return locked


def creditable_amounts(invoice: Invoice) -> dict[int, Decimal]:
    """Line id -> what credit notes may still take back of it (positive lines only)."""
    # Credit notes and the take-backs of reopened tickets both count.
    taken = dict(
        InvoiceLine.objects.filter(credited_line__invoice=invoice)
        .values_list("credited_line_id")
        .annotate(total=Sum("amount"))
    )
    return {
        line.pk: line.amount + taken.get(line.pk, ZERO)
        for line in invoice.lines.all()
        if line.amount > 0
    }


def credit_note_issue(
    *,
    invoice: Invoice,
    reason: str,
    issued_on: date,
    amounts: Mapping[int, Decimal] | None = None,
    actor: str,
    now: datetime,
) -> Invoice:
    """A credit note taking back `amounts` (line id -> amount) of `invoice`, or all of it."""
    if not reason.strip():
        raise ValidationError({"reason": "reason: say what is corrected"})
    with transaction.atomic():
        original = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if original.kind != InvoiceKind.INVOICE:
            raise ValidationError({"invoice": "invoice: a credit note is not credited"})
        if issued_on < original.issued_on:
            raise ValidationError({"issued_on": "issued_on: before the invoice it corrects"})
        left = creditable_amounts(original)
        wanted = dict(amounts) if amounts is not None else {k: v for k, v in left.items() if v}
        lines = {line.pk: line for line in original.lines.all()}
        rows = []
        for position, (line_id, amount) in enumerate(sorted(wanted.items()), start=1):
            if line_id not in left:
                raise ValidationError({"amounts": f"amounts: line {line_id} is not creditable"})
            if amount <= 0 or round_money(amount) != amount or amount > left[line_id]:
                raise ValidationError(
                    {"amounts": f"amounts: line {line_id} takes 0.01 to {left[line_id]}"}
                )
            rows.append(_correction(lines[line_id], amount, position))
        if not rows:
            raise ValidationError({"amounts": "amounts: nothing left to credit"})
        totals = invoicing.totals(
            (row.amount for row in rows),
            vat_rate=original.vat_rate,
            is_reverse_charge=original.is_reverse_charge,
        )
        series = numbering.series_lock(numbering.CREDIT_NOTE_SERIES, issued_on.year)
        sequence, number = numbering.series_take(series)
        note = Invoice.objects.create(
            kind=InvoiceKind.CREDIT_NOTE,
            customer_id=original.customer_id,
            period_id=original.period_id,
            series=series.code,
            year=series.year,
            sequence=sequence,
            number=number,
            issued_on=issued_on,
            issued_at=now,
            actor=actor,
            customer_name=original.customer_name,
            customer_vat_id=original.customer_vat_id,
            customer_country=original.customer_country,
            language=original.language,
            currency=original.currency,
            net_amount=totals.net_amount,
            vat_amount=totals.vat_amount,
            total_amount=totals.total_amount,
            vat_rate=original.vat_rate,
            is_reverse_charge=original.is_reverse_charge,
            fx_rate=original.fx_rate,
            fx_central_rate=original.fx_central_rate,
            fx_markup=original.fx_markup,
            fx_from_currency=original.fx_from_currency,
            fx_source=original.fx_source,
            fx_published_on=original.fx_published_on,
            credited_invoice=original,
            reason=reason.strip()[:300],
        )
        for row in rows:
            row.invoice = note
        InvoiceLine.objects.bulk_create(rows)
    return note


def _correction(line: InvoiceLine, amount: Decimal, position: int) -> InvoiceLine:
    """The negative line taking back `amount` of `line`; in the plan currency when whole."""
    whole = amount == line.amount
    return InvoiceLine(
        position=position,
        kind=line.kind,
        source=LineSource.CORRECTION,
        description=line.description,
        plan_key=line.plan_key,
        ticket_label=line.ticket_label,
        quantity=line.quantity if whole else Decimal(1),
        source_currency=line.source_currency if whole else line.invoice.currency,
        source_unit_amount=-line.source_unit_amount if whole else -amount,
        source_amount=-line.source_amount if whole else -amount,
        fx_rate=line.fx_rate if whole else None,
        amount=-amount,
        credited_line=line,
    )
