"""Factories of the catalog: calendars and plans."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from assistdesk.catalog.models import Calendar, Plan, PlanAllowance, PlanRate, Target

WEEKDAYS_0830_1630 = {day: ["08:30-16:30"] for day in ("mon", "tue", "wed", "thu", "fri")}


class CalendarFactory(DjangoModelFactory[Calendar]):
    class Meta:
        model = Calendar
        django_get_or_create = ("key",)

    key = "ro-office"
    name = "Office (Bucharest)"
    timezone = "Europe/Bucharest"
    week = factory.LazyFunction(lambda: dict(WEEKDAYS_0830_1630))
    holidays_country = "RO"


class PlanFactory(DjangoModelFactory[Plan]):
    class Meta:
        model = Plan

    key = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: o.key.title())
    currency = "EUR"
    calendar = factory.SubFactory(CalendarFactory)
    minimum_minutes = 30


class PlanRateFactory(DjangoModelFactory[PlanRate]):
    class Meta:
        model = PlanRate

    plan = factory.SubFactory(PlanFactory)
    key = "remote_support"
    activity = "support"
    mode = "remote"
    price_amount = Decimal("25")
    per_minutes = 30
    round_to_minutes = 30


class PlanAllowanceFactory(DjangoModelFactory[PlanAllowance]):
    class Meta:
        model = PlanAllowance

    plan = factory.SubFactory(PlanFactory)
    minutes = 300
    rate_keys = "remote_support"


class TargetFactory(DjangoModelFactory[Target]):
    class Meta:
        model = Target

    plan = factory.SubFactory(PlanFactory)
    kind = "response"
    working_hours = 6


def ticket_plan(**kwargs: Any) -> Plan:
    """An "Expert"-like plan: 300 included minutes a month on remote support."""
    plan = PlanFactory(
        monthly_fee_amount=Decimal("300"),
        authorised_contacts_limit=kwargs.pop("authorised_contacts_limit", 3),
        **kwargs,
    )
    PlanRateFactory(plan=plan)
    PlanRateFactory(
        plan=plan, key="onsite", mode="onsite", price_amount=Decimal("40"), per_minutes=60
    )
    PlanAllowanceFactory(plan=plan)
    return plan


def package_plan(
    key: str = "remote12", *, mode: str = "remote", hours: int = 12, **kwargs: Any
) -> Plan:
    calendar = CalendarFactory(
        key="it-office",
        name="Office (Rome)",
        timezone="Europe/Rome",
        week={d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        holidays_country="IT",
    )
    return PlanFactory(
        key=key,
        calendar=calendar,
        package_mode=mode,
        package_hours=hours,
        package_validity_months=12,
        package_price_amount=Decimal(45 * hours),
        minimum_minutes=15,
        **kwargs,
    )
