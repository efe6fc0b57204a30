"""Plans and calendars from FORMAT.md-shaped data: what loads, and errors that name the key."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import yaml
from django.core.exceptions import ValidationError

from assistdesk.catalog.models import Calendar, Plan, PlanRate, Target
from assistdesk.catalog.services import (
    calendar_create_from_spec,
    catalog_load_from_spec,
    plan_create_from_spec,
)
from assistdesk.domain import sla
from assistdesk.domain.errors import SpecError
from assistdesk.domain.rating import Rate

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal

# Example 01 of ../shared/scenarios, as a provider would write it.
CATALOG = yaml.safe_load(
    """
calendars:
  office:
    timezone: Europe/Bucharest
    week: {mon: ["08:30-16:30"], tue: ["08:30-16:30"], wed: ["08:30-16:30"],
           thu: ["08:30-16:30"], fri: ["08:30-16:30"]}
    holidays: {country: RO}
    closed: [2026-01-09]
  always: {timezone: Europe/Rome, week: 24x7}
plans:
  - key: trial
    currency: EUR
    calendar: office
    trial: {days: 90, converts_to: expert}
  - key: expert
    currency: EUR
    calendar: office
    fees: {monthly: "300", annual: "3000", per_workstation_monthly: "15"}
    allowances:
      - {minutes: 300, rates: [remote_support]}
    rates:
      remote_support: {activity: support, mode: remote, price: "25", per_minutes: 30,
                       round_to_minutes: 30}
      onsite: {activity: support, mode: onsite, price: "40", per_minutes: 60,
               round_to_minutes: 30}
      programming: {activity: programming, mode: any, price: "60", per_minutes: 60,
                    round_to_minutes: 15}
    minimum_minutes: 30
    coefficients: {out_of_hours: "3", urgent: "2"}
    travel: {in_town: "100", out_of_town: "100", per_km: "0.25"}
    parts_covered: false
    penalties: {late_onsite_urgent_free: true, late_response_discount_per_hour: "0.20"}
    sla:
      - {kind: response, urgent: false, working_hours: 6}
      - {kind: response, urgent: true, working_hours: 2}
      - {kind: resolution, severity: 1, working_hours: 4, calendar: always}
      - {kind: onsite, working_hours: 48}
      - {kind: change, working_days: 30}
    fx_markup: "0.02"
    priority: 1
"""
)


def load(spec: dict[str, Any]) -> dict[str, Plan]:
    _, plans = catalog_load_from_spec(spec=spec, actor="test", now=NOW)
    return plans


def exact(value: Any) -> Any:
    """Money strings as Decimals, so that "0.20" and "0.2" compare equal."""
    if isinstance(value, str):
        try:
            return D(value)
        except ArithmeticError:
            return value
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return value


def broken(path: str, value: Any) -> dict[str, Any]:
    """CATALOG with the value at a dotted path replaced (a `None` value deletes the key)."""
    spec = copy.deepcopy(CATALOG)
    node: Any = spec
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is None:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return spec


def test_a_catalog_loads_and_reads_back_as_it_was_written() -> None:
    plans = load(CATALOG)
    expert = plans["expert"]
    spec = expert.to_spec()
    written = CATALOG["plans"][1]
    for key in ("fees", "allowances", "rates", "coefficients", "travel", "penalties", "sla"):
        assert exact(spec[key]) == exact(written[key]), key
    assert (spec["minimum_minutes"], spec["fx_markup"], spec["priority"]) == (30, "0.02", 1)
    assert spec["rates"]["onsite"]["price"] == "40"
    assert plans["trial"].trial_converts_to == expert  # named before it was defined
    office = Calendar.objects.get(key="office")
    assert office.closed_on == ["2026-01-09"]
    assert office.to_domain() == Calendar.objects.get(key="office").to_domain()


def test_plan_maps_to_the_rating_terms_of_the_domain() -> None:
    expert = load(CATALOG)["expert"]
    terms = expert.to_rating_terms(contract_coefficients={"remote_site": D("1.25")})
    assert terms.currency == "EUR" and terms.minimum_minutes == 30
    assert terms.rates[0] == Rate("remote_support", "support", "remote", D("25"), 30, 30)
    assert terms.rate_for("programming", "onsite").key == "programming"
    assert dict(terms.coefficients) == {"out_of_hours": 3, "urgent": 2, "remote_site": D("1.25")}
    assert terms.travel is not None and terms.travel.per_km_amount == D("0.25")
    assert terms.penalties.is_late_onsite_urgent_free is True
    assert terms.penalties.late_response_discount_per_hour == D("0.20")


def test_plan_maps_to_the_sla_targets_of_the_domain() -> None:
    expert = load(CATALOG)["expert"]
    targets = expert.sla_targets()
    assert [(t.kind, t.urgent, t.severity, t.working_minutes, t.working_days) for t in targets] == [
        (sla.TargetKind.RESPONSE, False, None, 360, None),
        (sla.TargetKind.RESPONSE, True, None, 120, None),
        (sla.TargetKind.RESOLUTION, None, 1, 240, None),
        (sla.TargetKind.ONSITE, None, None, 2880, None),
        (sla.TargetKind.CHANGE, None, None, None, 30),
    ]
    assert targets[0].calendar == Calendar.objects.get(key="office").to_domain()
    assert targets[2].calendar.is_24x7
    # Monday 15:00 + 6 working hours, over Epiphany (6-7 Jan) and a closed 9 Jan: Thu 13:00
    received = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    due = targets[0].calendar.add(received, timedelta(minutes=targets[0].working_minutes or 0))
    assert due == datetime(2026, 1, 8, 11, 0, tzinfo=UTC)
    assert expert.sla_penalties() == sla.Penalties(True, D("0.20"))


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        ("plans.1.rates.onsite.per_minutes", 0, "plans[1].rates.onsite.per_minutes"),
        ("plans.1.rates.onsite.price", 40.5, "plans[1].rates.onsite.price"),
        ("plans.1.rates.onsite.mode", "teleport", "plans[1].rates.onsite.mode"),
        ("plans.1.rates.onsite.colour", "red", "plans[1].rates.onsite.colour"),
        ("plans.1.allowances.0.rates", ["remote"], "plans[1].allowances[0].rates[0]"),
        ("plans.1.sla.3.working_days", 2, "plans[1].sla[3].working_hours"),
        ("plans.1.sla.4.working_days", None, "plans[1].sla[4].working_days"),
        ("plans.1.sla.2.calendar", "nowhere", "plans[1].sla[2].calendar"),
        ("plans.1.sla.0.severity", 4, "plans[1].sla[0].severity"),
        ("plans.1.calendar", "nowhere", "plans[1].calendar"),
        ("plans.1.currency", "euro", "plans[1].currency"),
        ("plans.1.fees.monthly", "3OO", "plans[1].fees.monthly"),
        ("plans.1.fees.monthly", "300.001", "plans[1].fees.monthly"),
        ("plans.1.travel.per_km", "-0.25", "plans[1].travel.per_km"),
        ("plans.1.coefficients.urgent", "0", "plans[1].coefficients.urgent"),
        ("plans.1.penalties.late_response_discount_per_hour", "1.5",
         "plans[1].penalties.late_response_discount_per_hour"),
        ("plans.1.package", {"mode": "remote", "validity_months": 12, "price": "540"},
         "plans[1].package.hours"),
        ("plans.1.package", {"mode": "remote", "hours": 0, "validity_months": 12, "price": "1"},
         "plans[1].package.hours"),
        ("plans.0.trial.converts_to", "trial", "plans[0].trial.converts_to"),
        ("plans.0.trial.converts_to", "platinum", "plans[0].trial.converts_to"),
        ("plans.1.key", "trial", "plans[1].key"),
        ("plans.0.key", "Trial Plan", "plans[0].key"),
        ("plans.1.channels", {"origins": ["email", "fax"]}, "plans[1].channels.origins[1]"),
        ("plans.1.minimum_minutes", True, "plans[1].minimum_minutes"),
        ("plans.1.colour", "red", "plans[1].colour"),
        ("calendars.office.week.mon", ["16:30-08:30"], "calendars.office.week.mon[0]"),
        ("calendars.office.timezone", "Europe/Atlantis", "calendars.office.timezone"),
        ("calendars.office.holidays", {"country": "XX"}, "calendars.office.holidays.country"),
    ],
)  # fmt: skip
def test_a_wrong_value_is_refused_naming_its_key(path: str, value: Any, key: str) -> None:
    with pytest.raises(SpecError) as raised:
        load(broken(path, value))
    assert raised.value.key == key
    assert str(raised.value).startswith(f"{key}: ")
    assert not Plan.objects.exists() and not Calendar.objects.exists()  # all or nothing


def test_one_plan_from_its_spec_with_the_calendars_it_names() -> None:
    office = calendar_create_from_spec(
        key="office", spec=CATALOG["calendars"]["office"], actor="test", now=NOW
    )
    spec = copy.deepcopy(CATALOG["plans"][1])
    plan = plan_create_from_spec(spec=spec, calendars={"office": office, "always": office},
                                 actor="test", now=NOW)  # fmt: skip
    assert plan.rates.count() == 3 and plan.targets.count() == 5
    calendars = {"office": office, "always": office}
    with pytest.raises(SpecError, match=r"^key: a plan 'expert' exists already"):
        plan_create_from_spec(spec=spec, calendars=calendars, actor="test", now=NOW)
    spec["key"] = "expert-2"
    spec["rates"]["onsite"]["per_minutes"] = 0
    with pytest.raises(SpecError) as raised:
        plan_create_from_spec(spec=spec, calendars=calendars, actor="test", now=NOW)
    assert raised.value.key == "rates.onsite.per_minutes"


def test_model_validation_names_the_wrong_field() -> None:
    plan = load(CATALOG)["expert"]

    def errors(obj: Any) -> dict[str, list[str]]:
        with pytest.raises(ValidationError) as raised:
            obj.full_clean()
        return raised.value.message_dict

    target = Target(plan=plan, kind="response", working_hours=6, working_days=1)
    assert errors(target)["working_hours"] == [
        "working_hours: give exactly one of working_hours and working_days"
    ]
    rate = PlanRate(plan=plan, key="x", activity="support", mode="remote",
                    price_amount=D("1"), per_minutes=0)  # fmt: skip
    assert errors(rate)["per_minutes"] == ["per_minutes: must be at least 1, got 0"]
    plan.package_mode = "remote"
    assert errors(plan)["package_hours"] == ["package_hours: required"]
    plan.package_mode = ""
    plan.trial_days = 30
    plan.trial_converts_to = plan
    assert "trial_converts_to" in errors(plan)
    plan.trial_days = plan.trial_converts_to = None
    plan.travel_per_km_amount = None
    plan.travel_out_of_town_amount = None
    assert errors(plan)["travel_out_of_town_amount"] == ["travel_out_of_town_amount: required"]
    calendar = Calendar(key="bad", timezone="Europe/Rome", week={"mon": ["9-13"]})
    assert errors(calendar)["week"][0].startswith("week.mon[0]: expected HH:MM-HH:MM")
    calendar = Calendar(key="bad", timezone="Mars/Olympus", week="24x7")
    assert errors(calendar)["timezone"] == ["timezone: unknown time zone 'Mars/Olympus'"]
