"""Fixtures of the ticket tests: seed 001's annual contract in Rome, April 2026.

The office calendar works Monday to Friday 09:00-13:00 and 14:00-18:00 with Italian
public holidays (Easter Monday is 6 April 2026).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import LazySettings

from assistdesk.catalog.models import Plan
from assistdesk.contracts.models import Contract
from assistdesk.customers.models import Contact, Customer
from assistdesk.tickets.tests.factories import customer_with_contract, load_catalog, plan_spec

ROME = ZoneInfo("Europe/Rome")


def at(text: str) -> datetime:
    """A local Rome instant from '2026-04-13 09:00'."""
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


@dataclass
class Setup:
    plan: Plan
    customer: Customer
    contract: Contract
    contact: Contact


@pytest.fixture
def annual(db: None) -> Setup:
    """Seed 001's annual contract: urgent on site in 4 h, non-urgent answer in 8 h."""
    plan = load_catalog(plan_spec(), now=at("2026-01-01 00:00"))["annual"]
    customer, contract, contact = customer_with_contract(
        plan, start_on=date(2026, 4, 1), now=at("2026-04-01 00:00"), key="farmacia"
    )
    return Setup(plan, customer, contract, contact)


@pytest.fixture(autouse=True)
def media_root(settings: LazySettings, tmp_path: Path) -> Path:
    """Attachments go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)
