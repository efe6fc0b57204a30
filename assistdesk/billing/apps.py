"""Billing periods, invoices, exchange rates and statements."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "assistdesk.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from assistdesk.common import scheduler

        # UTC: the banks publish between 10:00 and 16:00 UTC on their working days.
        scheduler.register(
            "billing-fx-rates", "5 10-18 * * 1-5", "assistdesk.billing.tasks.import_exchange_rates"
        )
        scheduler.register(
            "billing-month-end", "30 12 * * *", "assistdesk.billing.tasks.bill_previous_month"
        )
