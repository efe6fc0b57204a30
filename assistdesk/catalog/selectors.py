"""Reads of the catalog."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from assistdesk.catalog.models import Calendar, Plan

PLAN_CHILDREN = ("rates", "allowances", "coefficients", "targets", "targets__calendar")


def plan_list(*, is_active: bool | None = True) -> QuerySet[Plan]:
    """Plans with their child rows prefetched (rates, allowances, coefficients, targets)."""
    plans = Plan.objects.select_related(
        "calendar", "extra_time_calendar", "trial_converts_to"
    ).prefetch_related(*PLAN_CHILDREN)
    return plans if is_active is None else plans.filter(is_active=is_active)


def plan_get(*, key: str) -> Plan:
    return plan_list(is_active=None).get(key=key)


def plan_spec(*, plan: Plan) -> dict[str, Any]:
    """The plan in FORMAT.md's shape, child rows included (money as strings)."""
    return plan.to_spec()


def calendar_get(*, key: str) -> Calendar:
    return Calendar.objects.get(key=key)
