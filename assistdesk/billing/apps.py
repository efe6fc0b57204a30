"""Billing periods, invoices, exchange rates and statements."""

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "assistdesk.billing"
    label = "billing"
    verbose_name = "Billing"
