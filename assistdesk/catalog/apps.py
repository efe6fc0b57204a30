"""Plans: what the provider sells (fees, allowances, rates, SLA targets)."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "assistdesk.catalog"
    label = "catalog"
    verbose_name = "Catalog"
