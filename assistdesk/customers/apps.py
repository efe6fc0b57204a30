"""Customers, their sites and contacts."""

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "assistdesk.customers"
    label = "customers"
    verbose_name = "Customers"
