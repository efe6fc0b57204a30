"""Contracts binding customers to plans, and the allowance ledgers."""

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "assistdesk.contracts"
    label = "contracts"
    verbose_name = "Contracts"
