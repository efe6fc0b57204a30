"""Reads of billing: invoices for accounting (CSV), one customer's monthly statement.

The statement (§2.7) of a customer for a month: the interventions done in it, the hours
or tickets used, left and expiring (the allowance ledgers as they stood at the end of
the month), the tickets still open, and how the SLA targets of the tickets closed in the
month were met. The month is read on the calendar of the customer's current plan (the
time zone its working hours are in), UTC without a contract.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from assistdesk.billing.models import Invoice, InvoiceLine
from assistdesk.contracts.models import Contract
from assistdesk.contracts.selectors import buckets_with_entries, customer_buckets
from assistdesk.customers.models import Customer
from assistdesk.domain.invoicing import month_last_on, period_first_on
from assistdesk.tickets.models import Intervention, Ticket, TicketTarget

# A balance that runs out within this many days after the month is shown as expiring.
EXPIRING_WITHIN_DAYS = 60
MINUTES_PER_TICKET = 30

# --- accounting export -------------------------------------------------------------------

CSV_COLUMNS = [
    "number", "date", "customer", "vat_id", "currency", "net", "vat", "total", "fx_rate",
    "period", "kind", "credited_invoice",
]  # fmt: skip


def invoices_for_export(
    *,
    period: str | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
) -> QuerySet[Invoice]:
    """Invoices and credit notes, by period or issue dates, in number order."""
    invoices = Invoice.objects.select_related("period", "credited_invoice")
    if period is not None:
        invoices = invoices.filter(period__key=period)
    if issued_from is not None:
        invoices = invoices.filter(issued_on__gte=issued_from)
    if issued_to is not None:
        invoices = invoices.filter(issued_on__lte=issued_to)
    return invoices.order_by("series", "year", "sequence")


def invoice_csv_rows(invoices: Iterable[Invoice]) -> Iterator[list[str]]:
    """The header, then one row per invoice: plain ISO dates and dot decimals."""
    yield CSV_COLUMNS
    for invoice in invoices:
        yield [
            invoice.number,
            invoice.issued_on.isoformat(),
            invoice.customer_name,
            invoice.customer_vat_id,
            invoice.currency,
            f"{invoice.net_amount}",
            f"{invoice.vat_amount}",
            f"{invoice.total_amount}",
            "" if invoice.fx_rate is None else _decimal_text(invoice.fx_rate),
            invoice.period.key,
            invoice.kind,
            invoice.credited_invoice.number if invoice.credited_invoice else "",
        ]


def invoices_csv(invoices: Iterable[Invoice]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(invoice_csv_rows(invoices))
    return out.getvalue()


def _decimal_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def invoice_results(*, ticket_names: Mapping[int, str] | None = None) -> list[dict[str, Any]]:
    """Every invoice as FORMAT.md's result lists it (`invoices[]`), in number order.

    Ticket lines are described as "<ticket> <kind>"; `ticket_names` (ticket number ->
    name, e.g. the scenario's keys) replaces the ticket's reference in them.
    """
    names = ticket_names or {}
    invoices = (
        Invoice.objects.select_related("customer", "period")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=InvoiceLine.objects.select_related("rating__ticket").order_by("position"),
            )
        )
        .order_by("series", "year", "sequence")
    )
    results = []
    for invoice in invoices:
        lines = []
        for line in invoice.lines.all():
            description = line.description
            ticket = line.rating.ticket if line.rating is not None else None
            if ticket is not None and ticket.number in names:
                description = description.replace(line.ticket_label, names[ticket.number], 1)
            lines.append(
                {"kind": line.kind, "description": description, "amount": f"{line.amount}"}
            )
        results.append(
            {
                "customer": invoice.customer.key,
                "period": invoice.period.key,
                "number": invoice.number,
                "kind": invoice.kind,
                "date": invoice.issued_on.isoformat(),
                "currency": invoice.currency,
                "fx_rate": None if invoice.fx_rate is None else _decimal_text(invoice.fx_rate),
                "lines": lines,
                "net": f"{invoice.net_amount}",
                "vat": f"{invoice.vat_amount}",
                "total": f"{invoice.total_amount}",
            }
        )
    return results


# --- the monthly statement ---------------------------------------------------------------


@dataclass(frozen=True)
class InterventionRow:
    ticket: str
    subject: str
    start_at: datetime  # local
    mode: str
    activity: str
    minutes: int
    technician: str
    is_resolved: bool


@dataclass(frozen=True)
class AllowanceRow:
    source: str
    granted_minutes: Decimal
    used_minutes: Decimal
    left_minutes: Decimal
    expires_on: date
    is_monthly: bool  # included tickets of the month (1 ticket = 30 min)
    is_expiring: bool


@dataclass(frozen=True)
class OpenTicketRow:
    ticket: str
    subject: str
    state: str
    severity: int
    received_at: datetime  # local


@dataclass(frozen=True)
class SlaRow:
    ticket: str
    kind: str
    due_at: datetime  # local
    actual_at: datetime | None
    met: bool | None
    late_minutes: int


@dataclass(frozen=True)
class StatementData:
    customer: Customer
    period: str
    first_on: date
    last_on: date
    zone: tzinfo
    interventions: list[InterventionRow]
    allowances: list[AllowanceRow]
    open_tickets: list[OpenTicketRow]
    sla: list[SlaRow]
    tickets_opened: int
    tickets_closed: int

    @property
    def minutes_worked(self) -> int:
        return sum(row.minutes for row in self.interventions)

    @property
    def sla_met(self) -> int:
        return sum(1 for row in self.sla if row.met)

    @property
    def minutes_left(self) -> Decimal:
        return sum((row.left_minutes for row in self.allowances), Decimal(0))


def statement_zone(customer: Customer) -> tzinfo:
    contract = (
        Contract.objects.filter(customer=customer)
        .select_related("plan__calendar")
        .order_by("-start_on", "-id")
        .first()
    )
    return ZoneInfo(contract.plan.calendar.timezone) if contract is not None else UTC


def _allowances(customer: Customer, start: datetime, end: datetime) -> list[AllowanceRow]:
    """The ledgers as they stood at `end`: buckets granted before it, alive after `start`."""
    rows = list(
        customer_buckets(customer=customer)
        .filter(granted_at__lt=end, expires_at__gt=start)
        .select_related("plan__calendar")
    )
    result = []
    for row, bucket in zip(rows, buckets_with_entries(rows), strict=True):
        then = replace(bucket, entries=tuple(e for e in bucket.entries if e.at < end))
        expires_on = row.plan.calendar.local_date(row.expires_at)
        result.append(
            AllowanceRow(
                source=then.key,
                granted_minutes=then.granted_minutes,
                used_minutes=then.used_minutes,
                left_minutes=then.balance,
                expires_on=expires_on,
                is_monthly=row.kind == "monthly",
                is_expiring=then.balance > 0
                and row.kind != "monthly"
                and row.expires_at <= end + timedelta(days=EXPIRING_WITHIN_DAYS),
            )
        )
    return result


def statement_data(*, customer: Customer, period: str) -> StatementData:
    first_on = period_first_on(period)
    last_on = month_last_on(first_on)
    zone = statement_zone(customer)
    start = datetime.combine(first_on, time(0), tzinfo=zone)
    end = datetime.combine(last_on + timedelta(days=1), time(0), tzinfo=zone)
    interventions = [
        InterventionRow(
            ticket=iv.ticket.reference,
            subject=iv.ticket.subject,
            start_at=iv.start_at.astimezone(zone),
            mode=iv.mode,
            activity=iv.activity,
            minutes=int((iv.end_at - iv.start_at).total_seconds() // 60),
            technician=iv.technician.get_full_name() or iv.technician.get_username()
            if iv.technician
            else "",
            is_resolved=iv.is_resolved,
        )
        for iv in Intervention.objects.filter(
            ticket__customer=customer, start_at__gte=start, start_at__lt=end
        )
        .select_related("ticket", "technician")
        .order_by("start_at", "id")
    ]
    open_tickets = [
        OpenTicketRow(t.reference, t.subject, t.state, t.severity, t.received_at.astimezone(zone))
        for t in Ticket.objects.filter(customer=customer, received_at__lt=end)
        .exclude(closed_at__lt=end)
        .order_by("received_at", "id")
    ]
    sla = [
        SlaRow(
            ticket=target.ticket.reference,
            kind=target.kind,
            due_at=target.due_at.astimezone(zone),
            actual_at=target.actual_at.astimezone(zone) if target.actual_at else None,
            met=target.met,
            late_minutes=target.late_minutes,
        )
        for target in TicketTarget.objects.filter(
            ticket__customer=customer, ticket__closed_at__gte=start, ticket__closed_at__lt=end
        )
        .select_related("ticket")
        .order_by("ticket__number", "ordinal")
    ]
    tickets = Ticket.objects.filter(customer=customer)
    return StatementData(
        customer=customer,
        period=period,
        first_on=first_on,
        last_on=last_on,
        zone=zone,
        interventions=interventions,
        allowances=_allowances(customer, start, end),
        open_tickets=open_tickets,
        sla=sla,
        tickets_opened=tickets.filter(received_at__gte=start, received_at__lt=end).count(),
        tickets_closed=tickets.filter(closed_at__gte=start, closed_at__lt=end).count(),
    )
