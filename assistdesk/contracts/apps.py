"""Contracts binding customers to plans, and the allowance ledgers."""

from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "assistdesk.contracts"
    label = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from assistdesk.common import readcache, scheduler
        from assistdesk.contracts.models import Contract

        # The contracts in force are read once per customer in an intake batch.
        readcache.forget_on_change(Contract)

        jobs = [
            ("contracts-trial-conversion", "2 * * * *", "convert_due_trials"),
            ("contracts-renewal", "4 * * * *", "renew_due_contracts"),
            ("allowances-monthly-grants", "6 * * * *", "grant_monthly_allowances"),
            ("allowances-expiry", "8 * * * *", "expire_allowances"),
            ("allowances-notices", "10 * * * *", "allowance_notices"),
        ]
        for name, cron, task_name in jobs:
            scheduler.register(name, cron, f"assistdesk.contracts.tasks.{task_name}")
