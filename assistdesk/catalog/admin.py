"""Admin of the catalog: calendars and plans, with the plan's child rows inline.

Validation lives in the models' `clean()` (which asks the pure `domain.catalog_spec`), so
the admin, the loader and the API refuse the same things, each error on its field. The
only check made here is the one that spans two inlines: an included allowance names
rates of the rate card submitted with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from assistdesk.catalog.models import (
    Calendar,
    Origin,
    Plan,
    PlanAllowance,
    PlanCoefficient,
    PlanRate,
    Target,
    all_origins,
)

RATES_PREFIX = "rates"  # the inline formset prefix: the related name of PlanRate.plan


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin[Calendar]):
    list_display = ["key", "name", "timezone", "holidays_country", "holidays_subdivision"]
    search_fields = ["key", "name"]
    fieldsets = [
        (None, {"fields": ["key", "name", "timezone"]}),
        ("Working week", {"fields": ["week"]}),
        (
            "Holidays and exceptions",
            {"fields": ["holidays_country", "holidays_subdivision", "closed_on", "open_on"]},
        ),
    ]


def submitted_rate_keys(data: Mapping[str, Any]) -> set[str] | None:
    """The rate keys of the rates inline in a submitted plan form (None: not submitted)."""
    total = data.get(f"{RATES_PREFIX}-TOTAL_FORMS")
    if total is None:
        return None
    keys = set()
    for index in range(int(total)):
        if data.get(f"{RATES_PREFIX}-{index}-DELETE"):
            continue
        key = str(data.get(f"{RATES_PREFIX}-{index}-key") or "").strip()
        if key:
            keys.add(key)
    return keys


class PlanAllowanceFormSet(BaseInlineFormSet[PlanAllowance, Plan, forms.ModelForm[PlanAllowance]]):
    def clean(self) -> None:
        super().clean()
        rate_keys = submitted_rate_keys(self.data)
        if rate_keys is None:
            rate_keys = set(self.instance.rates.values_list("key", flat=True))
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            listed = [k.strip() for k in str(data.get("rate_keys") or "").split(",") if k.strip()]
            unknown = [k for k in listed if k not in rate_keys]
            if unknown:
                form.add_error(
                    "rate_keys",
                    f"rate_keys: no rate {unknown[0]!r} on this plan's rate card "
                    f"({', '.join(sorted(rate_keys)) or 'empty'})",
                )


class PlanRateInline(admin.TabularInline[PlanRate, Plan]):
    model = PlanRate
    extra = 0
    fields = ["key", "activity", "mode", "price_amount", "per_minutes", "round_to_minutes"]


class PlanAllowanceInline(admin.TabularInline[PlanAllowance, Plan]):
    model = PlanAllowance
    formset = PlanAllowanceFormSet
    extra = 0
    verbose_name = "included monthly allowance"


class PlanCoefficientInline(admin.TabularInline[PlanCoefficient, Plan]):
    model = PlanCoefficient
    extra = 0


class TargetInline(admin.TabularInline[Target, Plan]):
    model = Target
    extra = 0
    verbose_name = "SLA target"
    fields = ["kind", "urgent", "severity", "working_hours", "working_days", "calendar"]


class PlanAdminForm(forms.ModelForm[Plan]):
    channels = forms.MultipleChoiceField(
        choices=Origin.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=all_origins,
        help_text="how requests may reach the provider under this plan",
    )

    class Meta:
        model = Plan
        fields = ["channels"]  # the admin passes the fields of its fieldsets


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    form = PlanAdminForm
    list_display = ["key", "name", "currency", "monthly_fee_amount", "annual_fee_amount",
                    "package_hours", "trial_days", "priority", "is_active"]  # fmt: skip
    list_filter = ["is_active", "currency", "package_mode"]
    search_fields = ["key", "name"]
    inlines = [PlanRateInline, PlanAllowanceInline, PlanCoefficientInline, TargetInline]
    fieldsets = [
        (None, {"fields": ["key", "name", "description", "is_active", "currency", "calendar"]}),
        (
            "Fees",
            {
                "fields": [
                    "monthly_fee_amount",
                    "annual_fee_amount",
                    "per_workstation_monthly_fee_amount",
                ]
            },
        ),
        (
            "Prepaid package",
            {
                "fields": [
                    "package_mode",
                    "package_hours",
                    "package_validity_months",
                    "package_price_amount",
                ]
            },
        ),
        ("Term", {"fields": ["trial_days", "trial_converts_to", "term_months"]}),
        (
            "Rating",
            {
                "fields": [
                    "minimum_minutes",
                    "remote_tool_minimum_minutes",
                    "travel_in_town_amount",
                    "travel_out_of_town_amount",
                    "travel_per_km_amount",
                    "is_parts_covered",
                    "is_late_onsite_urgent_free",
                    "late_response_discount_per_hour",
                    "fx_markup",
                ]
            },
        ),
        (
            "Service",
            {
                "fields": [
                    "priority",
                    "authorised_contacts_limit",
                    "urgent_phone_lines",
                    "channels",
                    "is_phone_emergency_only",
                    "extra_time_calendar",
                    "auto_close_days",
                ]
            },
        ),
        ("Notices", {"fields": ["low_balance_notice_minutes", "expiry_notice_days"]}),
    ]
