"""Plans: what the provider sells (fees, allowances, rates, SLA targets)."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "assistdesk.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from assistdesk.catalog.models import Calendar, Plan, Target
        from assistdesk.common import readcache

        # Plans, their calendars and SLA targets are read once per intake batch.
        readcache.forget_on_change(Plan, Calendar, Target)
