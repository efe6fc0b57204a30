"""A provider creates a plan like seed 004's "Expert" from scratch in the admin.

Browser-free: the Django test client posts the add form with its inlines (management
form data included), as the browser would.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from assistdesk.catalog.models import Calendar, Plan
from assistdesk.catalog.tests.factories import CalendarFactory

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/catalog/plan/add/"


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> None:
    """Render admin pages without a collected static manifest."""
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }


def inline(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def expert_form(calendar: Calendar) -> dict[str, Any]:
    """Seed 004's Expert plan as a provider types it into the admin."""
    data: dict[str, Any] = {
        "key": "expert",
        "name": "Expert",
        "description": "Ticket plan: 10 tickets a month included",
        "is_active": "on",
        "currency": "EUR",
        "calendar": str(calendar.pk),
        "monthly_fee_amount": "300",
        "annual_fee_amount": "3000",
        "per_workstation_monthly_fee_amount": "15",
        "package_mode": "",
        "package_hours": "",
        "package_validity_months": "",
        "package_price_amount": "",
        "trial_days": "",
        "trial_converts_to": "",
        "term_months": "",
        "minimum_minutes": "30",
        "remote_tool_minimum_minutes": "60",
        "travel_in_town_amount": "100",
        "travel_out_of_town_amount": "100",
        "travel_per_km_amount": "0.25",
        "late_response_discount_per_hour": "0",
        "fx_markup": "0.02",
        "priority": "1",
        "authorised_contacts_limit": "3",
        "urgent_phone_lines": "3",
        "channels": ["email", "web", "phone"],
        "is_phone_emergency_only": "on",
        "extra_time_calendar": "",
        "auto_close_days": "",
        "low_balance_notice_minutes": "",
        "expiry_notice_days": "30",
    }
    rate = {"activity": "support", "mode": "remote", "round_to_minutes": "30"}
    data |= inline(
        "rates",
        [
            rate | {"key": "remote_support", "price_amount": "25", "per_minutes": "30"},
            rate | {"key": "change", "activity": "change", "mode": "any", "price_amount": "25",
                    "per_minutes": "30"},
            {"key": "programming", "activity": "programming", "mode": "any",
             "price_amount": "60", "per_minutes": "60", "round_to_minutes": "15"},
            rate | {"key": "onsite", "mode": "onsite", "price_amount": "40", "per_minutes": "60"},
        ],
    )  # fmt: skip
    data |= inline("allowances", [{"minutes": "300", "rate_keys": "remote_support"}])
    data |= inline("coefficients", [])
    target = {"severity": "", "working_hours": "", "working_days": "", "calendar": ""}
    data |= inline(
        "targets",
        [
            target | {"kind": "response", "urgent": "true", "working_hours": "2"},
            target | {"kind": "response", "urgent": "false", "working_hours": "6"},
            target | {"kind": "change", "urgent": "unknown", "working_hours": "48"},
            target | {"kind": "onsite", "urgent": "unknown", "working_hours": "48"},
        ],
    )
    return data


def errors_of(response: Any) -> dict[str, list[str]]:
    """Every error on the page, as {"field" or "prefix-index-field": messages}."""
    found: dict[str, list[str]] = {}
    form = response.context["adminform"].form
    for name, messages in form.errors.items():
        found[name] = list(messages)
    for inline_formset in response.context["inline_admin_formsets"]:
        formset = inline_formset.formset
        for index, form_errors in enumerate(formset.errors):
            for name, messages in form_errors.items():
                found[f"{formset.prefix}-{index}-{name}"] = list(messages)
    return found


def test_a_provider_creates_expert_from_scratch(admin_client: Client) -> None:
    calendar = CalendarFactory()
    response = admin_client.post(ADD_URL, expert_form(calendar))

    assert response.status_code == 302, errors_of(response)
    plan = Plan.objects.get(key="expert")
    assert (plan.monthly_fee_amount, plan.annual_fee_amount) == (Decimal(300), Decimal(3000))
    assert plan.per_workstation_monthly_fee_amount == Decimal(15)
    assert plan.travel_per_km_amount == Decimal("0.25") and plan.fx_markup == Decimal("0.02")
    assert plan.channels == ["email", "web", "phone"] and plan.is_phone_emergency_only
    assert [r.key for r in plan.rates.all()] == [
        "remote_support",
        "change",
        "programming",
        "onsite",
    ]
    assert [(a.minutes, a.rate_key_list) for a in plan.allowances.all()] == [
        (300, ["remote_support"])
    ]
    assert [(t.kind, t.urgent, t.working_hours) for t in plan.targets.all()] == [
        ("response", True, 2),
        ("response", False, 6),
        ("change", None, 48),
        ("onsite", None, 48),
    ]
    terms = plan.to_rating_terms()
    assert terms.rate_for("support", "onsite").price_amount == Decimal(40)
    assert plan.to_domain().authorised_contacts == 3


@pytest.mark.parametrize(
    ("field", "value", "where", "message"),
    [
        ("targets-3-working_days", "2", "targets-3-working_hours",
         "working_hours: give exactly one of working_hours and working_days"),
        ("rates-3-per_minutes", "0", "rates-3-per_minutes", "per_minutes: must be at least 1"),
        ("allowances-0-rate_keys", "remote", "allowances-0-rate_keys",
         "rate_keys: no rate 'remote' on this plan's rate card"),
        ("package_mode", "remote", "package_hours", "package_hours: required"),
        ("travel_out_of_town_amount", "", "travel_out_of_town_amount",
         "travel_out_of_town_amount: required"),
        ("late_response_discount_per_hour", "1.5", "late_response_discount_per_hour",
         "late_response_discount_per_hour: must be at most 1"),
        ("trial_converts_to", "self", "trial_days", "trial_days: required"),
    ],
)  # fmt: skip
def test_an_invalid_input_is_refused_with_an_error_naming_its_field(
    admin_client: Client, field: str, value: str, where: str, message: str
) -> None:
    calendar = CalendarFactory()
    data = expert_form(calendar)
    if value == "self":  # a trial converting into another plan needs its days
        other = Plan.objects.create(key="other", name="Other", calendar=calendar)
        value = str(other.pk)
    data[field] = value

    response = admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    errors = errors_of(response)
    assert where in errors, errors
    assert any(m.startswith(message) for m in errors[where]), errors[where]
    assert message.split(":")[0] in response.content.decode()
    assert not Plan.objects.filter(key="expert").exists()


def test_a_trial_cannot_convert_into_itself(admin_client: Client) -> None:
    calendar = CalendarFactory()
    admin_client.post(ADD_URL, expert_form(calendar))
    plan = Plan.objects.get(key="expert")
    data = expert_form(calendar) | {"trial_days": "90", "trial_converts_to": str(plan.pk)}
    data |= inline("rates", []) | inline("allowances", []) | inline("targets", [])

    response = admin_client.post(f"/admin/catalog/plan/{plan.pk}/change/", data)

    assert response.status_code == 200
    assert errors_of(response)["trial_converts_to"] == [
        "trial_converts_to: a trial cannot convert into its own plan"
    ]


def test_calendar_admin_names_the_wrong_field(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/catalog/calendar/add/",
        {
            "key": "office",
            "name": "Office",
            "timezone": "Europe/Rome",
            "week": '{"mon": ["09:00-13:00", "12:00-18:00"]}',
            "holidays_country": "IT",
            "holidays_subdivision": "",
            "closed_on": "[]",
            "open_on": "[]",
        },
    )
    assert response.status_code == 200
    assert errors_of(response)["week"] == ["week.mon: intervals overlap"]
    assert not Calendar.objects.exists()


def test_admin_pages_of_the_demo_catalog_render(admin_client: Client) -> None:
    from datetime import UTC, datetime

    from assistdesk.catalog import demo

    demo.load(now=datetime(2026, 1, 1, tzinfo=UTC))
    for url in ("/admin/catalog/plan/", "/admin/catalog/calendar/"):
        assert admin_client.get(url).status_code == 200
    for plan in Plan.objects.all()[:3]:
        assert admin_client.get(f"/admin/catalog/plan/{plan.pk}/change/").status_code == 200
