"""`assistdesk invoices_csv [--period 2026-01 | --from D --to D] [-o FILE]`: for accounting."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.billing.selectors import invoices_csv, invoices_for_export


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{name} {text!r}: expected YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Invoices and credit notes as CSV: number, date, customer, vat_id, currency, net, "
        "vat, total, fx_rate, period, kind, credited_invoice (ISO dates, dot decimals)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", help="YYYY-MM")
        parser.add_argument("--from", dest="issued_from", help="issued on or after, YYYY-MM-DD")
        parser.add_argument("--to", dest="issued_to", help="issued on or before, YYYY-MM-DD")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        invoices = invoices_for_export(
            period=options["period"],
            issued_from=_date(options["issued_from"], "--from"),
            issued_to=_date(options["issued_to"], "--to"),
        )
        text = invoices_csv(invoices)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
