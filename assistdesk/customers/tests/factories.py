"""Factories of customers and contacts."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from assistdesk.customers.models import Contact, Customer, Site


class CustomerFactory(DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    key = factory.Sequence(lambda n: f"customer-{n}")
    name = factory.Sequence(lambda n: f"Customer {n} S.R.L.")
    country = "RO"
    language = "ro"
    currency = "RON"
    vat_rate = Decimal("21")
    workstations = 4


class SiteFactory(DjangoModelFactory[Site]):
    class Meta:
        model = Site

    customer = factory.SubFactory(CustomerFactory)
    name = "Head office"


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
