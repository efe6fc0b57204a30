"""Customers, their sites and contacts."""

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "assistdesk.customers"
    label = "customers"
    verbose_name = "Customers"

    def ready(self) -> None:
        from assistdesk.common import readcache
        from assistdesk.customers.models import Contact, Customer

        # A batch of mail reads its senders' contacts (and their customers) once.
        readcache.forget_on_change(Customer, Contact)
