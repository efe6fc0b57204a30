"""Factories of contracts."""

from __future__ import annotations

from datetime import date

import factory
from factory.django import DjangoModelFactory

from assistdesk.catalog.tests.factories import PlanFactory
from assistdesk.contracts.models import Contract
from assistdesk.customers.tests.factories import CustomerFactory


class ContractFactory(DjangoModelFactory[Contract]):
    """A contract row as it stands; services build real ones (`contract_create`)."""

    class Meta:
        model = Contract

    customer = factory.SubFactory(CustomerFactory)
    plan = factory.SubFactory(PlanFactory)
    start_on = date(2026, 1, 1)
    workstations = 4
