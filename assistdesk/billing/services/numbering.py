"""Invoice numbers: sequential per series and year, without gaps, also under races.

The next number is taken inside the transaction that inserts the invoice, with the
series row locked (`select_for_update`): a second run waits for the first to commit and
then reads its last number; a transaction that rolls back gives its number back with
everything else, so no number is ever skipped. On SQLite every write transaction takes
the database lock at BEGIN (IMMEDIATE), which serialises them the same way.

Series: invoices are numbered `2026-000001` (series code ""), credit notes in their own
series, `CN-2026-000001`, both restarting at 1 each year (the year of the issue date).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from assistdesk.billing.models import InvoiceSeries

INVOICE_SERIES = ""
CREDIT_NOTE_SERIES = "CN"


def format_number(series: str, year: int, sequence: int) -> str:
    number = f"{year}-{sequence:06d}"
    return f"{series}-{number}" if series else number


def series_ensure(series: str, year: int) -> None:
    """The series row of the year exists (created by whichever run comes first)."""
    if InvoiceSeries.objects.filter(code=series, year=year).exists():
        return
    try:
        with transaction.atomic():
            InvoiceSeries.objects.create(code=series, year=year)
    except IntegrityError:
        pass  # a concurrent run created it: that is all we wanted


def series_lock(series: str, year: int) -> InvoiceSeries:
    """The series row, locked until the caller's transaction ends."""
    series_ensure(series, year)
    return InvoiceSeries.objects.select_for_update().get(code=series, year=year)


def series_take(row: InvoiceSeries) -> tuple[int, str]:
    """The next (sequence, number) of a locked series row; saved with the caller's work."""
    (taken,) = series_take_many(row, 1)
    return taken


def series_take_many(row: InvoiceSeries, count: int) -> list[tuple[int, str]]:
    """The next `count` consecutive (sequence, number) pairs of a locked series row."""
    if count == 0:
        return []
    first = row.last_sequence + 1
    row.last_sequence += count
    row.save(update_fields=["last_sequence"])
    return [(n, format_number(row.code, row.year, n)) for n in range(first, first + count)]
