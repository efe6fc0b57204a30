"""Write operations of the catalog: calendars and plans from FORMAT.md-shaped data.

The scenario simulator and the demo build their catalog with exactly these services, so
they accept FORMAT.md's keys and raise the domain `SpecError` naming the offending key
(`rates.onsite.per_minutes` for one plan; `plans[0].rates.onsite.per_minutes` from
`catalog_load_from_spec`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction

from assistdesk.catalog.models import (
    Calendar,
    Plan,
    PlanAllowance,
    PlanCoefficient,
    PlanRate,
    Target,
)
from assistdesk.domain import catalog_spec
from assistdesk.domain.calendar import Calendar as DomainCalendar
from assistdesk.domain.errors import SpecError


def _json_dates(value: Any) -> Any:
    """Dates as ISO strings (YAML reads an unquoted 2026-01-09 as a date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _json_dates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_dates(v) for v in value]
    return value


def calendar_create_from_spec(
    *, key: str, spec: Mapping[str, Any], name: str = "", actor: str, now: datetime
) -> Calendar:
    """A calendar from a FORMAT.md `calendars` entry; errors name the key inside it."""
    catalog_spec.check_slug(key, "")
    DomainCalendar.from_spec(spec)  # every rule of the entry, errors keyed inside it
    if Calendar.objects.filter(key=key).exists():
        raise SpecError("", f"a calendar {key!r} exists already")
    holidays = spec.get("holidays") or {}
    calendar = Calendar(
        key=key,
        name=name,
        timezone=spec["timezone"],
        week=_json_dates(spec["week"]),
        holidays_country=str(holidays.get("country") or ""),
        holidays_subdivision=str(holidays.get("subdivision") or ""),
        closed_on=_json_dates(list(spec.get("closed") or [])),
        open_on=_json_dates(list(spec.get("open") or [])),
    )
    with transaction.atomic():
        calendar.save()
    return calendar


def plan_create_from_spec(
    *,
    spec: Mapping[str, Any],
    calendars: Mapping[str, Calendar],
    plans: Mapping[str, Plan] | None = None,
    actor: str,
    now: datetime,
) -> Plan:
    """A plan and its child rows from a FORMAT.md `plans` entry.

    `calendars` are the calendars it may name; `plans` the plans a trial may convert into
    (besides those already in the catalog). Errors are `SpecError`s keyed inside the entry.
    """
    known_plans = dict(plans or {})
    converts_to_key = (
        (spec.get("trial") or {}).get("converts_to")
        if isinstance(spec.get("trial"), Mapping)
        else None
    )
    if isinstance(converts_to_key, str) and converts_to_key not in known_plans:
        found = Plan.objects.filter(key=converts_to_key).first()
        if found is not None:
            known_plans[converts_to_key] = found
    parsed = catalog_spec.parse_plan(spec, calendars=calendars.keys(), plans=known_plans.keys())
    if Plan.objects.filter(key=parsed.key).exists():
        raise SpecError("key", f"a plan {parsed.key!r} exists already")
    with transaction.atomic():
        return _plan_save(parsed, calendars=calendars, plans=known_plans)


def _plan_save(
    parsed: catalog_spec.PlanSpec, *, calendars: Mapping[str, Calendar], plans: Mapping[str, Plan]
) -> Plan:
    package, trial, travel = parsed.package, parsed.trial, parsed.travel
    plan = Plan(
        key=parsed.key,
        name=parsed.name,
        description=parsed.description,
        is_active=parsed.is_active,
        currency=parsed.currency,
        calendar=calendars[parsed.calendar],
        monthly_fee_amount=parsed.monthly_fee_amount,
        annual_fee_amount=parsed.annual_fee_amount,
        per_workstation_monthly_fee_amount=parsed.per_workstation_monthly_fee_amount,
        package_mode=package.mode if package else "",
        package_hours=package.hours if package else None,
        package_validity_months=package.validity_months if package else None,
        package_price_amount=package.price_amount if package else None,
        trial_days=trial.days if trial else None,
        trial_converts_to=plans[trial.converts_to] if trial and trial.converts_to else None,
        term_months=parsed.term_months,
        minimum_minutes=parsed.minimum_minutes,
        remote_tool_minimum_minutes=parsed.remote_tool_minimum_minutes,
        travel_in_town_amount=travel.in_town_amount if travel else None,
        travel_out_of_town_amount=travel.out_of_town_amount if travel else None,
        travel_per_km_amount=travel.per_km_amount if travel else None,
        is_parts_covered=parsed.is_parts_covered,
        is_late_onsite_urgent_free=parsed.penalties.is_late_onsite_urgent_free,
        late_response_discount_per_hour=parsed.penalties.late_response_discount_per_hour,
        fx_markup=parsed.fx_markup,
        priority=parsed.priority,
        authorised_contacts_limit=parsed.authorised_contacts,
        urgent_phone_lines=parsed.urgent_phone_lines,
        channels=list(parsed.channels.origins),
        is_phone_emergency_only=parsed.channels.is_phone_emergency_only,
        extra_time_calendar=calendars[parsed.channels.extra_time_calendar]
        if parsed.channels.extra_time_calendar
        else None,
        auto_close_days=parsed.auto_close_days,
        low_balance_notice_minutes=parsed.low_balance_notice_minutes,
        expiry_notice_days=parsed.expiry_notice_days,
    )
    plan.save()
    PlanRate.objects.bulk_create(
        PlanRate(
            plan=plan,
            key=r.key,
            activity=r.activity,
            mode=r.mode,
            price_amount=r.price_amount,
            per_minutes=r.per_minutes,
            round_to_minutes=r.round_to_minutes,
        )
        for r in parsed.rates
    )
    PlanAllowance.objects.bulk_create(
        PlanAllowance(plan=plan, minutes=a.minutes, rate_keys=", ".join(a.rate_keys))
        for a in parsed.allowances
    )
    PlanCoefficient.objects.bulk_create(
        PlanCoefficient(plan=plan, name=name, factor=factor) for name, factor in parsed.coefficients
    )
    Target.objects.bulk_create(
        Target(
            plan=plan,
            kind=t.kind,
            urgent=t.urgent,
            severity=t.severity,
            working_hours=t.working_hours,
            working_days=t.working_days,
            calendar=calendars[t.calendar] if t.calendar else None,
        )
        for t in parsed.targets
    )
    return plan


def catalog_load_from_spec(
    *, spec: Mapping[str, Any], actor: str, now: datetime
) -> tuple[dict[str, Calendar], dict[str, Plan]]:
    """The `calendars` (name -> entry) and `plans` (list) of a scenario or catalog file.

    All or nothing, in one transaction. Plans may name calendars of the file or of the
    catalog, and a trial may convert into a plan listed after it. Errors are keyed from
    the top: `calendars.office.week.mon[0]`, `plans[2].sla[0].working_hours`.
    """
    calendar_specs = spec.get("calendars") or {}
    if not isinstance(calendar_specs, Mapping):
        raise SpecError("calendars", "expected a mapping of name -> calendar")
    plan_specs = spec.get("plans") or []
    if isinstance(plan_specs, str) or not isinstance(plan_specs, list):
        raise SpecError("plans", "expected a list of plans")
    existing_plans = set(Plan.objects.values_list("key", flat=True))
    listed: dict[str, int] = {}
    for index, plan_spec in enumerate(plan_specs):
        key = plan_spec.get("key") if isinstance(plan_spec, Mapping) else None
        if isinstance(key, str):
            if key in listed or key in existing_plans:
                raise SpecError(f"plans[{index}].key", f"plan {key!r} is defined twice")
            listed[key] = index
    with transaction.atomic():
        calendars = {c.key: c for c in Calendar.objects.all()}
        for name, calendar_spec in calendar_specs.items():
            try:
                if not isinstance(calendar_spec, Mapping):
                    raise SpecError("", "a calendar is a mapping")
                calendars[name] = calendar_create_from_spec(
                    key=name, spec=calendar_spec, actor=actor, now=now
                )
            except SpecError as error:
                raise error.under(f"calendars.{name}") from None
        parsed: list[catalog_spec.PlanSpec] = []
        plan_keys = existing_plans | set(listed)
        for index, plan_spec in enumerate(plan_specs):
            try:
                parsed.append(
                    catalog_spec.parse_plan(plan_spec, calendars=calendars.keys(), plans=plan_keys)
                )
            except SpecError as error:
                raise error.under(f"plans[{index}]") from None
        plans = {p.key: p for p in Plan.objects.all()}
        # A trial's target first, so that it can be referred to.
        remaining = list(parsed)
        while remaining:
            ready = [
                p
                for p in remaining
                if p.trial is None or p.trial.converts_to is None or p.trial.converts_to in plans
            ]
            if not ready:
                index = listed[remaining[0].key]
                raise SpecError(f"plans[{index}].trial.converts_to", "trials convert in a circle")
            for p in ready:
                plans[p.key] = _plan_save(p, calendars=calendars, plans=plans)
                remaining.remove(p)
    return calendars, {key: plans[key] for key in listed}
