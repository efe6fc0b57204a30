"""`assistdesk bill --period 2026-01 --date 2026-01-31`: the invoicing run of a period."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.billing.models import Invoice
from assistdesk.billing.services import billing_run, invoice_send, invoices_to_send
from assistdesk.common import clock
from assistdesk.customers.models import Customer

ACTOR = "command:bill"


class Command(BaseCommand):
    help = (
        "Invoice every customer for a period (idempotent: customers already invoiced for "
        "it are skipped). Exits 1 when a customer could not be billed (e.g. no FX rate)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM")
        parser.add_argument("--date", required=True, help="invoice date, YYYY-MM-DD")
        parser.add_argument("--customer", action="append", help="only this customer (key)")
        parser.add_argument(
            "--send", action="store_true", help="then e-mail the period's unsent invoices"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            invoice_on = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date {options['date']!r}: expected YYYY-MM-DD") from None
        customers = None
        if options["customer"]:
            customers = list(Customer.objects.filter(key__in=options["customer"]))
            unknown = set(options["customer"]) - {c.key for c in customers}
            if unknown:
                raise CommandError(f"--customer: no customer {', '.join(sorted(unknown))}")
        try:
            run = billing_run(
                period=options["period"],
                invoice_on=invoice_on,
                actor=ACTOR,
                now=clock.now(),
                customers=customers,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{run.period}: {run.invoices_issued} invoices issued ({run.lines_issued} lines), "
            f"{run.customers_already_invoiced} customers already invoiced"
        )
        if options["send"]:
            sent = 0
            for invoice_id in invoices_to_send(period=run.period.key):
                document = invoice_send(
                    invoice=Invoice.objects.get(pk=invoice_id), actor=ACTOR, now=clock.now()
                )
                sent += document.sent_at is not None
            self.stdout.write(f"{sent} invoices handed to the outbox")
        if run.errors:
            for message in run.errors:
                self.stderr.write(f"not billed: {message}")
            raise CommandError(f"{len(run.errors)} customers not billed")
