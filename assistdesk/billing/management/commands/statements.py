"""`assistdesk statements --period 2026-01`: every customer's monthly statement, e-mailed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.billing.services import statement_customers, statement_issue
from assistdesk.common import clock
from assistdesk.customers.models import Customer
from assistdesk.domain.invoicing import period_first_on


class Command(BaseCommand):
    help = "Render and e-mail the statements of a period (each customer's once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        try:
            period_first_on(period)
        except ValueError as error:
            raise CommandError(str(error)) from None
        issued = sent = 0
        for customer in Customer.objects.filter(pk__in=statement_customers(period=period)):
            statement = statement_issue(
                customer=customer, period=period, actor="command:statements", now=clock.now()
            )
            issued += 1
            sent += statement.sent_at is not None
        self.stdout.write(f"{period}: {issued} statements, {sent} sent")
