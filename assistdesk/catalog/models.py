"""The catalog: calendars and plans (what the provider sells), DESIGN.md §2.1 and §2.3.

A plan is data, never code: every knob of FORMAT.md's `plans` is a column here or a child
row (rates, included allowances, coefficients, SLA targets). The rules that check a plan
live in the pure `assistdesk.domain.catalog_spec`; `clean()` turns a plan row into that
spec shape, asks the domain, and reports the error on the model field it concerns.
`to_domain()` / `to_rating_terms()` feed the pure calendar and rating code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from assistdesk.common.models import TimeStampedModel
from assistdesk.domain import catalog_spec, sla
from assistdesk.domain.calendar import Calendar as DomainCalendar
from assistdesk.domain.errors import SpecError
from assistdesk.domain.rating import Penalties, Rate, RatingTerms, Travel


def spec_error_to_validation(error: SpecError, fields: Mapping[str, str]) -> ValidationError:
    """A domain `SpecError` as a Django error on the model field its key names.

    `fields` maps spec keys (`package.hours`) to model fields (`package_hours`); an index
    (`[2]`) or a deeper key falls back to the nearest mapped parent.
    """
    key = error.key
    while key:
        if key in fields:
            name = fields[key]
            deeper = error.key[len(key) :]  # e.g. ".mon[0]" below `week`
            return ValidationError({name: f"{name}{deeper}: {error.message}"})
        key = re.sub(r"(\[\d+\]|\.[^.\[]*)$", "", key) if ("." in key or "[" in key) else ""
    return ValidationError({NON_FIELD_ERRORS: str(error)})


# --- calendars -----------------------------------------------------------------------------


class Calendar(TimeStampedModel):
    """A working-time calendar (§2.1), stored as the FORMAT.md `calendars` entry's parts."""

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, blank=True)
    timezone = models.CharField(max_length=64, help_text="IANA name, e.g. Europe/Rome")
    week = models.JSONField(
        help_text='{"mon": ["09:00-13:00", "14:00-18:00"], ...} (days left out are closed) '
        'or "24x7"'
    )
    holidays_country = models.CharField(max_length=2, blank=True, help_text="e.g. IT, RO, FR")
    holidays_subdivision = models.CharField(max_length=10, blank=True)
    closed_on = models.JSONField(
        default=list, blank=True, help_text='extra closed dates: ["2026-01-09"]'
    )
    open_on = models.JSONField(
        default=list,
        blank=True,
        help_text='extra open dates: ["2026-01-10", {"date": "2026-01-11", "hours": [...]}]',
    )

    FIELD_OF_KEY = {
        "timezone": "timezone",
        "week": "week",
        "holidays": "holidays_country",
        "holidays.country": "holidays_country",
        "holidays.subdivision": "holidays_subdivision",
        "closed": "closed_on",
        "open": "open_on",
    }

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name or self.key

    def to_spec(self) -> dict[str, Any]:
        """The FORMAT.md `calendars` entry of this calendar."""
        spec: dict[str, Any] = {"timezone": self.timezone, "week": self.week}
        if self.holidays_country:
            spec["holidays"] = {"country": self.holidays_country}
            if self.holidays_subdivision:
                spec["holidays"]["subdivision"] = self.holidays_subdivision
        elif self.holidays_subdivision:
            spec["holidays"] = {"subdivision": self.holidays_subdivision}
        if self.closed_on:
            spec["closed"] = self.closed_on
        if self.open_on:
            spec["open"] = self.open_on
        return spec

    def to_domain(self) -> DomainCalendar:
        return DomainCalendar.from_spec(self.to_spec())

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, at: datetime) -> date:
        """The date the calendar's clock shows at instant `at`."""
        return at.astimezone(self.zone()).date()

    def clean(self) -> None:
        try:
            self.to_domain()
        except SpecError as error:
            raise spec_error_to_validation(error, self.FIELD_OF_KEY) from None


# --- plans ---------------------------------------------------------------------------------


class PackageMode(models.TextChoices):
    REMOTE = "remote", "remote"
    ONSITE = "onsite", "on site"


class Activity(models.TextChoices):
    SUPPORT = "support", "support"
    PROGRAMMING = "programming", "programming"
    CHANGE = "change", "change"


class RateMode(models.TextChoices):
    REMOTE = "remote", "remote"
    ONSITE = "onsite", "on site"
    PHONE = "phone", "phone"
    ANY = "any", "any mode"


class TargetKind(models.TextChoices):
    RESPONSE = "response", "response (first written answer)"
    ONSITE = "onsite", "on site (first on-site intervention starts)"
    RESOLUTION = "resolution", "resolution"
    CHANGE = "change", "change (a change ticket resolved)"


class Origin(models.TextChoices):
    EMAIL = "email", "e-mail"
    WEB = "web", "web form"
    PHONE = "phone", "phone"
    MONITORING = "monitoring", "monitoring"
    OTHER = "other", "other"


def all_origins() -> list[str]:
    return list(catalog_spec.ORIGINS)


class Plan(TimeStampedModel):
    """A catalog entry: fees, package, trial, allowances, rates, SLA, channels (§2.3).

    Amounts are in `currency`; a blank fee is "no such fee" (0 is a fee of 0, as seed
    004's Tip 0 states). A plan with a package is bought as a prepaid package; one with a
    trial starts contracts in the trial state.
    """

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="offered for new contracts")
    currency = models.CharField(max_length=3, default="EUR")
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="working time for SLA targets and the out-of-hours coefficient",
    )
    # fees
    monthly_fee_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    annual_fee_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    per_workstation_monthly_fee_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    # prepaid package
    package_mode = models.CharField(max_length=10, choices=PackageMode.choices, blank=True)
    package_hours = models.PositiveIntegerField(null=True, blank=True)
    package_validity_months = models.PositiveSmallIntegerField(null=True, blank=True)
    package_price_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    # term
    trial_days = models.PositiveIntegerField(null=True, blank=True)
    trial_converts_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="trials_converting_here",
        help_text="the plan a trial becomes on its conversion day (a contract may choose another)",
    )
    term_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="length of a contract term; blank: open-ended"
    )
    # rating
    minimum_minutes = models.PositiveIntegerField(default=0, help_text="per request")
    remote_tool_minimum_minutes = models.PositiveIntegerField(
        default=catalog_spec.DEFAULT_REMOTE_TOOL_MINIMUM_MINUTES,
        help_text="labour of an intervention that installs the remote-control tool first",
    )
    travel_in_town_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    travel_out_of_town_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    travel_per_km_amount = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True
    )
    is_parts_covered = models.BooleanField(default=False)
    is_late_onsite_urgent_free = models.BooleanField(
        default=False, help_text="urgent ticket late on site: no labour, no travel"
    )
    late_response_discount_per_hour = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        default=Decimal(0),
        help_text="0.20 = 20 % per started hour late",
    )
    fx_markup = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal(0), help_text="0.02 = +2 %"
    )
    # service
    priority = models.PositiveSmallIntegerField(
        default=catalog_spec.DEFAULT_PRIORITY, help_text="queue rank: 1 is served first"
    )
    authorised_contacts_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="blank: no limit"
    )
    urgent_phone_lines = models.PositiveSmallIntegerField(null=True, blank=True)
    channels = models.JSONField(default=all_origins, help_text="origins accepted")
    is_phone_emergency_only = models.BooleanField(default=False)
    extra_time_calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extra_time_plans",
        help_text="Extra Time: when the after-hours line answers; blank: no Extra Time",
    )
    auto_close_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="a resolved ticket closes after N days without answer"
    )
    low_balance_notice_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="notice when an allowance's balance falls under this"
    )
    expiry_notice_days = models.PositiveSmallIntegerField(
        default=catalog_spec.DEFAULT_EXPIRY_NOTICE_DAYS,
        help_text="notice this many days before a package expires",
    )

    FIELD_OF_KEY = {
        "key": "key",
        "name": "name",
        "description": "description",
        "active": "is_active",
        "currency": "currency",
        "calendar": "calendar",
        "fees.monthly": "monthly_fee_amount",
        "fees.annual": "annual_fee_amount",
        "fees.per_workstation_monthly": "per_workstation_monthly_fee_amount",
        "package": "package_mode",
        "package.mode": "package_mode",
        "package.hours": "package_hours",
        "package.validity_months": "package_validity_months",
        "package.price": "package_price_amount",
        "trial": "trial_days",
        "trial.days": "trial_days",
        "trial.converts_to": "trial_converts_to",
        "term_months": "term_months",
        "minimum_minutes": "minimum_minutes",
        "remote_tool_minimum_minutes": "remote_tool_minimum_minutes",
        "travel": "travel_in_town_amount",
        "travel.in_town": "travel_in_town_amount",
        "travel.out_of_town": "travel_out_of_town_amount",
        "travel.per_km": "travel_per_km_amount",
        "parts_covered": "is_parts_covered",
        "penalties.late_onsite_urgent_free": "is_late_onsite_urgent_free",
        "penalties.late_response_discount_per_hour": "late_response_discount_per_hour",
        "priority": "priority",
        "authorised_contacts": "authorised_contacts_limit",
        "urgent_phone_lines": "urgent_phone_lines",
        "channels.origins": "channels",
        "channels.phone_emergency_only": "is_phone_emergency_only",
        "channels.extra_time": "extra_time_calendar",
        "auto_close_days": "auto_close_days",
        "fx_markup": "fx_markup",
        "notices.low_balance_minutes": "low_balance_notice_minutes",
        "notices.expiry_days": "expiry_notice_days",
    }

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(trial_converts_to=models.F("id")),
                name="plan_trial_not_into_itself",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def is_package(self) -> bool:
        return bool(self.package_mode)

    @property
    def is_trial(self) -> bool:
        return self.trial_days is not None

    # -- spec ---------------------------------------------------------------------------

    def own_spec(self) -> dict[str, Any]:
        """This row's columns in FORMAT.md's plan shape (no child rows)."""
        spec: dict[str, Any] = {
            "key": self.key,
            "name": self.name,
            "currency": self.currency,
            "calendar": self.calendar.key if self.calendar_id else None,
            "minimum_minutes": self.minimum_minutes,
            "remote_tool_minimum_minutes": self.remote_tool_minimum_minutes,
            "parts_covered": self.is_parts_covered,
            "priority": self.priority,
            "fx_markup": self.fx_markup,
        }
        if self.description:
            spec["description"] = self.description
        if not self.is_active:
            spec["active"] = False
        fees = {
            "monthly": self.monthly_fee_amount,
            "annual": self.annual_fee_amount,
            "per_workstation_monthly": self.per_workstation_monthly_fee_amount,
        }
        if any(v is not None for v in fees.values()):
            spec["fees"] = {k: v for k, v in fees.items() if v is not None}
        package = {
            "mode": self.package_mode or None,
            "hours": self.package_hours,
            "validity_months": self.package_validity_months,
            "price": self.package_price_amount,
        }
        if any(v is not None for v in package.values()):
            spec["package"] = {k: v for k, v in package.items() if v is not None}
        if self.trial_days is not None or self.trial_converts_to_id is not None:
            trial: dict[str, Any] = {"days": self.trial_days}
            if self.trial_converts_to_id is not None:
                trial["converts_to"] = (
                    self.trial_converts_to.key if self.trial_converts_to else None
                )
            spec["trial"] = trial
        if self.term_months is not None:
            spec["term_months"] = self.term_months
        travel = {
            "in_town": self.travel_in_town_amount,
            "out_of_town": self.travel_out_of_town_amount,
            "per_km": self.travel_per_km_amount,
        }
        if any(v is not None for v in travel.values()):
            spec["travel"] = {k: v for k, v in travel.items() if v is not None}
        if self.is_late_onsite_urgent_free or self.late_response_discount_per_hour:
            spec["penalties"] = {
                "late_onsite_urgent_free": self.is_late_onsite_urgent_free,
                "late_response_discount_per_hour": self.late_response_discount_per_hour,
            }
        for name, value in (
            ("authorised_contacts", self.authorised_contacts_limit),
            ("urgent_phone_lines", self.urgent_phone_lines),
            ("auto_close_days", self.auto_close_days),
        ):
            if value is not None:
                spec[name] = value
        channels: dict[str, Any] = {
            "origins": list(self.channels) if isinstance(self.channels, list) else self.channels,
            "phone_emergency_only": self.is_phone_emergency_only,
        }
        if self.extra_time_calendar_id is not None and self.extra_time_calendar:
            channels["extra_time"] = self.extra_time_calendar.key
        spec["channels"] = channels
        notices: dict[str, Any] = {"expiry_days": self.expiry_notice_days}
        if self.low_balance_notice_minutes is not None:
            notices["low_balance_minutes"] = self.low_balance_notice_minutes
        spec["notices"] = notices
        return spec

    def to_spec(self) -> dict[str, Any]:
        """The whole plan, child rows included, in FORMAT.md's shape (money as strings)."""
        spec = self.own_spec()
        rates = {r.key: r.to_spec() for r in self.rates.all()}
        if rates:
            spec["rates"] = rates
        allowances = [a.to_spec() for a in self.allowances.all()]
        if allowances:
            spec["allowances"] = allowances
        coefficients = {c.name: _stringify(c.factor) for c in self.coefficients.all()}
        if coefficients:
            spec["coefficients"] = coefficients
        targets = [t.to_spec() for t in self.targets.all()]
        if targets:
            spec["sla"] = targets
        result: dict[str, Any] = _stringify(spec)
        return result

    def to_domain(self) -> catalog_spec.PlanSpec:
        """The checked plan as the pure catalog sees it."""
        return catalog_spec.parse_plan(self.to_spec())

    def clean(self) -> None:
        spec = _stringify(self.own_spec())
        if self.trial_converts_to_id is not None and self.trial_converts_to_id == self.pk:
            raise ValidationError(
                {"trial_converts_to": "trial_converts_to: a trial cannot convert into its own plan"}
            )
        if spec.get("calendar") is None:
            return  # the field's own "required" error says it
        try:
            catalog_spec.parse_plan(spec)
        except SpecError as error:
            raise spec_error_to_validation(error, self.FIELD_OF_KEY) from None

    # -- domain -------------------------------------------------------------------------

    def to_rating_terms(
        self, *, contract_coefficients: Mapping[str, Decimal] | None = None
    ) -> RatingTerms:
        """The terms `domain.rating.rate_ticket` needs, the contract's own coefficients last.

        A contract coefficient with the name of a plan's coefficient replaces it.
        """
        coefficients = {c.name: c.factor for c in self.coefficients.all()}
        coefficients.update(contract_coefficients or {})
        travel = None
        if self.travel_in_town_amount is not None and self.travel_out_of_town_amount is not None:
            travel = Travel(
                in_town_amount=self.travel_in_town_amount,
                out_of_town_amount=self.travel_out_of_town_amount,
                per_km_amount=self.travel_per_km_amount or Decimal(0),
            )
        return RatingTerms(
            currency=self.currency,
            rates=tuple(r.to_domain() for r in self.rates.all()),
            minimum_minutes=self.minimum_minutes,
            coefficients=coefficients,
            travel=travel,
            is_parts_covered=self.is_parts_covered,
            remote_tool_minimum_minutes=self.remote_tool_minimum_minutes,
            penalties=Penalties(
                is_late_onsite_urgent_free=self.is_late_onsite_urgent_free,
                late_response_discount_per_hour=self.late_response_discount_per_hour,
            ),
        )

    def sla_targets(self) -> tuple[sla.Target, ...]:
        """The SLA policy for `domain.sla`: each target with its calendar (default the plan's)."""
        compiled: dict[int, DomainCalendar] = {}

        def calendar_of(calendar: Calendar) -> DomainCalendar:
            if calendar.pk not in compiled:
                compiled[calendar.pk] = calendar.to_domain()
            return compiled[calendar.pk]

        return tuple(
            t.to_domain(calendar=calendar_of(t.calendar or self.calendar))
            for t in self.targets.all()
        )

    def sla_penalties(self) -> sla.Penalties:
        return sla.Penalties(
            late_onsite_urgent_free=self.is_late_onsite_urgent_free,
            late_response_discount_per_hour=self.late_response_discount_per_hour,
        )


def _stringify(value: Any) -> Any:
    """Decimals as strings, recursively: the spec shape carries money as strings."""
    if isinstance(value, Decimal):
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    return value


class PlanRate(models.Model):
    """One line of a plan's rate card: `price_amount` per `per_minutes` of some work."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rates")
    key = models.SlugField(max_length=50, help_text="e.g. remote_support, onsite, programming")
    activity = models.CharField(max_length=20, choices=Activity.choices)
    mode = models.CharField(max_length=10, choices=RateMode.choices)
    price_amount = models.DecimalField(max_digits=12, decimal_places=2)
    per_minutes = models.PositiveIntegerField(help_text="30 for a ticket, 60 for an hour")
    round_to_minutes = models.PositiveIntegerField(
        default=1, help_text="billing unit: 1 = real time, 30 = whole tickets"
    )

    FIELD_OF_KEY = {
        "": "key",
        "activity": "activity",
        "mode": "mode",
        "price": "price_amount",
        "per_minutes": "per_minutes",
        "round_to_minutes": "round_to_minutes",
    }

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="planrate_key_unique_in_plan")
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.price_amount} per {self.per_minutes} min"

    def to_spec(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "mode": self.mode,
            "price": _stringify(self.price_amount),
            "per_minutes": self.per_minutes,
            "round_to_minutes": self.round_to_minutes,
        }

    def to_domain(self) -> Rate:
        return Rate(
            key=self.key,
            activity=self.activity,
            mode=self.mode,
            price_amount=self.price_amount,
            per_minutes=self.per_minutes,
            round_to_minutes=self.round_to_minutes,
        )

    def clean(self) -> None:
        if not self.key or self.price_amount is None:
            return  # the fields' own errors
        fields = dict(self.FIELD_OF_KEY)
        try:
            catalog_spec.parse_rate(self.key, _stringify(self.to_spec()), "")
        except SpecError as error:
            if error.key == "":
                raise ValidationError({"key": f"key: {error.message}"}) from None
            raise spec_error_to_validation(error, fields) from None


class PlanAllowance(models.Model):
    """Minutes included each calendar month, usable by some rates; no roll-over (§2.3)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="allowances")
    minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    rate_keys = models.CharField(
        max_length=200, help_text="the rate keys it covers, separated by commas"
    )

    class Meta:
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return f"{self.minutes} min/month for {self.rate_keys}"

    @property
    def rate_key_list(self) -> list[str]:
        return [k.strip() for k in self.rate_keys.split(",") if k.strip()]

    def to_spec(self) -> dict[str, Any]:
        return {"minutes": self.minutes, "rates": self.rate_key_list}

    def clean(self) -> None:
        if self.minutes is None:
            return
        try:
            catalog_spec.parse_allowance(self.to_spec())
        except SpecError as error:
            field = "minutes" if error.key.startswith("minutes") else "rate_keys"
            raise ValidationError({field: f"{field}: {error.message}"}) from None


class PlanCoefficient(models.Model):
    """A surcharge factor: `out_of_hours` and `urgent` are conditional, others always apply."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="coefficients")
    name = models.SlugField(max_length=50, help_text="out_of_hours, urgent, or a name of yours")
    factor = models.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "name"], name="plancoefficient_once_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.name} x{self.factor}"

    def clean(self) -> None:
        if not self.name or self.factor is None:
            return
        try:
            catalog_spec.parse_coefficient(self.name, str(self.factor), "")
        except SpecError:
            raise ValidationError({"factor": "factor: must be greater than 0"}) from None


class Target(models.Model):
    """One SLA target of a plan (§2.2): kind, which tickets, working hours or days."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    urgent = models.BooleanField(null=True, blank=True, help_text="blank: any ticket")
    severity = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(1, "1 high"), (2, "2 medium"), (3, "3 low")]
    )
    working_hours = models.PositiveIntegerField(null=True, blank=True)
    working_days = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        help_text="blank: the plan's calendar",
    )

    FIELD_OF_KEY = {
        "kind": "kind",
        "urgent": "urgent",
        "severity": "severity",
        "working_hours": "working_hours",
        "working_days": "working_days",
        "calendar": "calendar",
    }

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(working_hours__isnull=True, working_days__isnull=False)
                | models.Q(working_hours__isnull=False, working_days__isnull=True),
                name="target_hours_xor_days",
            )
        ]

    def __str__(self) -> str:
        span = (
            f"{self.working_hours} working hours"
            if self.working_hours is not None
            else f"{self.working_days} working days"
        )
        which = []
        if self.urgent is not None:
            which.append("urgent" if self.urgent else "not urgent")
        if self.severity is not None:
            which.append(f"severity {self.severity}")
        return f"{self.kind} {' '.join(which)} within {span}".replace("  ", " ")

    def to_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"kind": self.kind}
        if self.urgent is not None:
            spec["urgent"] = self.urgent
        if self.severity is not None:
            spec["severity"] = self.severity
        if self.working_hours is not None:
            spec["working_hours"] = self.working_hours
        if self.working_days is not None:
            spec["working_days"] = self.working_days
        if self.calendar_id is not None and self.calendar:
            spec["calendar"] = self.calendar.key
        return spec

    def to_domain(self, *, calendar: DomainCalendar | None = None) -> sla.Target:
        """The target for `domain.sla`, measured in `calendar` (default: compiled here)."""
        return sla.Target(
            kind=sla.TargetKind(self.kind),
            calendar=calendar or self.calendar_or_plans().to_domain(),
            working_minutes=None if self.working_hours is None else self.working_hours * 60,
            working_days=self.working_days,
            urgent=self.urgent,
            severity=self.severity,
        )

    def calendar_or_plans(self) -> Calendar:
        return self.calendar if self.calendar is not None else self.plan.calendar

    def clean(self) -> None:
        try:
            catalog_spec.parse_target(self.to_spec())
        except SpecError as error:
            raise spec_error_to_validation(error, self.FIELD_OF_KEY) from None
