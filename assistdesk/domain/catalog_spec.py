"""Plain data -> a checked plan: a scenario's `plans` entry (scenarios/FORMAT.md).

A plan spec is what a provider writes (YAML, JSON, an admin form turned into a dict):

```yaml
key: expert                       # slug, unique in the catalog
name: Expert                      # optional, defaults to the key
currency: EUR
calendar: office                  # a calendar's name
fees: {monthly: "300", annual: "3000", per_workstation_monthly: "15"}   # each optional
package: {price: "600", mode: remote, hours: 24, validity_months: 12}  # optional
trial: {days: 90, converts_to: scudo360}                               # optional
term_months: 12                   # optional: length of a contract term (renewal)
allowances: [{minutes: 300, rates: [remote_support]}]                   # per month
rates: {remote_support: {activity: support, mode: remote, price: "25",
                         per_minutes: 30, round_to_minutes: 30}}
minimum_minutes: 30               # per request
remote_tool_minimum_minutes: 60   # labour when the remote tool is installed first
coefficients: {out_of_hours: "3", urgent: "2"}
travel: {in_town: "100", out_of_town: "100", per_km: "0.25"}
parts_covered: false
penalties: {late_onsite_urgent_free: true, late_response_discount_per_hour: "0.20"}
sla: [{kind: response, urgent: false, working_hours: 6, calendar: office}]
priority: 1                       # queue rank: 1 first
authorised_contacts: 3            # at most this many authorised contacts
urgent_phone_lines: 3             # dedicated emergency numbers
channels: {origins: [email, web, phone], phone_emergency_only: true, extra_time: always}
auto_close_days: 5                # a resolved ticket closes after N days without answer
fx_markup: "0.02"
notices: {low_balance_minutes: 120, expiry_days: 30}
```

Every error is a `SpecError` whose key is the path inside the entry
(`rates.onsite.per_minutes`); the caller puts it under its own prefix (`plans[0]`).

Units: money is a `Decimal` built from a string or an int (a float is refused: it has
already lost the exact value), at most 2 decimals; `per_km`, coefficients, markup and the
discount at most 4. Durations are whole minutes, hours, days or months as their key says.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from assistdesk.domain.errors import SpecError

ACTIVITIES: Final = ("support", "programming", "change")
RATE_MODES: Final = ("remote", "onsite", "phone", "any")
PACKAGE_MODES: Final = ("remote", "onsite")
TARGET_KINDS: Final = ("response", "onsite", "resolution", "change")
ORIGINS: Final = ("email", "web", "phone", "monitoring", "other")
SEVERITIES: Final = (1, 2, 3)
DEFAULT_PRIORITY: Final = 10
DEFAULT_REMOTE_TOOL_MINIMUM_MINUTES: Final = 60
DEFAULT_EXPIRY_NOTICE_DAYS: Final = 30
MONEY_PLACES: Final = 2
FACTOR_PLACES: Final = 4

PLAN_KEYS: Final = frozenset(
    {
        "key", "name", "description", "active", "currency", "calendar", "fees", "package",
        "trial", "term_months", "allowances", "rates", "minimum_minutes",
        "remote_tool_minimum_minutes", "coefficients", "travel", "parts_covered", "penalties",
        "sla", "priority", "authorised_contacts", "urgent_phone_lines", "channels",
        "auto_close_days", "fx_markup", "notices",
    }
)  # fmt: skip


@dataclass(frozen=True)
class RateSpec:
    key: str
    activity: str
    mode: str
    price_amount: Decimal
    per_minutes: int
    round_to_minutes: int = 1


@dataclass(frozen=True)
class AllowanceSpec:
    minutes: int
    rate_keys: tuple[str, ...]


@dataclass(frozen=True)
class PackageSpec:
    mode: str
    hours: int
    validity_months: int
    price_amount: Decimal


@dataclass(frozen=True)
class TrialSpec:
    days: int
    converts_to: str | None = None


@dataclass(frozen=True)
class TravelSpec:
    in_town_amount: Decimal
    out_of_town_amount: Decimal
    per_km_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class PenaltiesSpec:
    is_late_onsite_urgent_free: bool = False
    late_response_discount_per_hour: Decimal = Decimal(0)


@dataclass(frozen=True)
class TargetSpec:
    """One SLA target: exactly one of `working_hours` and `working_days` is set."""

    kind: str
    urgent: bool | None = None
    severity: int | None = None
    working_hours: int | None = None
    working_days: int | None = None
    calendar: str | None = None  # None: the plan's calendar


@dataclass(frozen=True)
class ChannelsSpec:
    origins: tuple[str, ...] = ORIGINS
    is_phone_emergency_only: bool = False
    extra_time_calendar: str | None = None  # None: no Extra Time


@dataclass(frozen=True)
class PlanSpec:
    key: str
    name: str
    currency: str
    calendar: str
    description: str = ""
    is_active: bool = True
    monthly_fee_amount: Decimal | None = None
    annual_fee_amount: Decimal | None = None
    per_workstation_monthly_fee_amount: Decimal | None = None
    package: PackageSpec | None = None
    trial: TrialSpec | None = None
    term_months: int | None = None
    allowances: tuple[AllowanceSpec, ...] = ()
    rates: tuple[RateSpec, ...] = ()
    minimum_minutes: int = 0
    remote_tool_minimum_minutes: int = DEFAULT_REMOTE_TOOL_MINIMUM_MINUTES
    coefficients: tuple[tuple[str, Decimal], ...] = ()
    travel: TravelSpec | None = None
    is_parts_covered: bool = False
    penalties: PenaltiesSpec = PenaltiesSpec()
    targets: tuple[TargetSpec, ...] = ()
    priority: int = DEFAULT_PRIORITY
    authorised_contacts: int | None = None
    urgent_phone_lines: int | None = None
    channels: ChannelsSpec = ChannelsSpec()
    auto_close_days: int | None = None
    fx_markup: Decimal = Decimal(0)
    low_balance_notice_minutes: int | None = None
    expiry_notice_days: int = DEFAULT_EXPIRY_NOTICE_DAYS

    @property
    def calendar_names(self) -> frozenset[str]:
        """Every calendar the plan names (its own, its targets', Extra Time)."""
        names = {self.calendar, *(t.calendar for t in self.targets if t.calendar)}
        if self.channels.extra_time_calendar:
            names.add(self.channels.extra_time_calendar)
        return frozenset(names)


# --- scalar checks -----------------------------------------------------------------------


def _mapping(value: object, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(key, "expected a mapping")
    return value


def _check_keys(spec: Mapping[str, Any], allowed: Collection[str], prefix: str) -> None:
    unknown = sorted(str(k) for k in spec if k not in allowed)
    if unknown:
        raise SpecError(f"{prefix}{unknown[0]}", "unknown key")


def _required(spec: Mapping[str, Any], name: str, prefix: str) -> Any:
    if spec.get(name) is None:
        raise SpecError(f"{prefix}{name}", "required")
    return spec[name]


def check_slug(value: object, key: str) -> str:
    """A key: ASCII letters, digits, `_` and `-`, starting with a letter or digit."""
    if not isinstance(value, str) or not value:
        raise SpecError(key, "expected a non-empty name")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    if not set(value) <= allowed or value[0] in "_-" or len(value) > 50:
        raise SpecError(key, f"{value!r} is not a key (letters, digits, _ and -, at most 50)")
    return value


def check_int(value: object, key: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(key, f"expected a whole number, got {value!r}")
    if value < minimum:
        raise SpecError(key, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SpecError(key, f"must be at most {maximum}, got {value}")
    return value


def check_bool(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(key, f"expected true or false, got {value!r}")
    return value


def check_decimal(
    value: object,
    key: str,
    *,
    places: int = MONEY_PLACES,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
    positive: bool = False,
) -> Decimal:
    """An exact amount from a string, an int or a Decimal; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise SpecError(key, f'expected a decimal string such as "12.50", got {value!r}')
    try:
        result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise SpecError(key, f"not a number: {value!r}") from None
    if not result.is_finite():
        raise SpecError(key, f"not a finite number: {value!r}")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise SpecError(key, f"at most {places} decimals, got {value!r}")
    if positive and result <= 0:
        raise SpecError(key, f"must be greater than 0, got {value!r}")
    if minimum is not None and result < minimum:
        raise SpecError(key, f"must be at least {minimum}, got {value!r}")
    if maximum is not None and result > maximum:
        raise SpecError(key, f"must be at most {maximum}, got {value!r}")
    return result


def check_choice(value: object, key: str, choices: Sequence[object]) -> Any:
    if value not in choices:
        raise SpecError(key, f"expected one of {', '.join(map(str, choices))}, got {value!r}")
    return value


def check_currency(value: object, key: str) -> str:
    if not (isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper()):
        raise SpecError(key, f"expected an ISO 4217 code such as EUR, got {value!r}")
    return value


def _calendar_ref(value: object, key: str, calendars: Collection[str] | None) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(key, "expected a calendar name")
    if calendars is not None and value not in calendars:
        raise SpecError(key, f"unknown calendar {value!r}")
    return value


def _optional_int(spec: Mapping[str, Any], name: str, prefix: str, minimum: int) -> int | None:
    value = spec.get(name)
    return None if value is None else check_int(value, f"{prefix}{name}", minimum=minimum)


# --- parts of a plan -----------------------------------------------------------------------


def parse_rate(key: str, spec: object, prefix: str = "") -> RateSpec:
    """One rate card line; errors under `prefix` (e.g. `rates.onsite.`)."""
    rate = _mapping(spec, prefix.rstrip("."))
    _check_keys(rate, {"activity", "mode", "price", "per_minutes", "round_to_minutes"}, prefix)
    return RateSpec(
        key=check_slug(key, prefix.rstrip(".")),
        activity=check_choice(_required(rate, "activity", prefix), f"{prefix}activity", ACTIVITIES),
        mode=check_choice(_required(rate, "mode", prefix), f"{prefix}mode", RATE_MODES),
        price_amount=check_decimal(_required(rate, "price", prefix), f"{prefix}price"),
        per_minutes=check_int(
            _required(rate, "per_minutes", prefix), f"{prefix}per_minutes", minimum=1
        ),
        round_to_minutes=check_int(
            rate.get("round_to_minutes", 1), f"{prefix}round_to_minutes", minimum=1
        ),
    )


def parse_target(
    spec: object, prefix: str = "", calendars: Collection[str] | None = None
) -> TargetSpec:
    target = _mapping(spec, prefix.rstrip("."))
    allowed = {"kind", "urgent", "severity", "working_hours", "working_days", "calendar"}
    _check_keys(target, allowed, prefix)
    kind = check_choice(_required(target, "kind", prefix), f"{prefix}kind", TARGET_KINDS)
    urgent = target.get("urgent")
    severity = target.get("severity")
    hours = target.get("working_hours")
    days = target.get("working_days")
    if (hours is None) == (days is None):
        which = "working_hours" if hours is not None else "working_days"
        raise SpecError(f"{prefix}{which}", "give exactly one of working_hours and working_days")
    calendar = target.get("calendar")
    return TargetSpec(
        kind=kind,
        urgent=None if urgent is None else check_bool(urgent, f"{prefix}urgent"),
        severity=None
        if severity is None
        else check_choice(severity, f"{prefix}severity", SEVERITIES),
        working_hours=None
        if hours is None
        else check_int(hours, f"{prefix}working_hours", minimum=1),
        working_days=None if days is None else check_int(days, f"{prefix}working_days", minimum=1),
        calendar=None
        if calendar is None
        else _calendar_ref(calendar, f"{prefix}calendar", calendars),
    )


def parse_allowance(spec: object, prefix: str = "") -> AllowanceSpec:
    allowance = _mapping(spec, prefix.rstrip("."))
    _check_keys(allowance, {"minutes", "rates"}, prefix)
    rates = _required(allowance, "rates", prefix)
    if isinstance(rates, str) or not isinstance(rates, Sequence) or not rates:
        raise SpecError(f"{prefix}rates", "expected a non-empty list of rate keys")
    return AllowanceSpec(
        minutes=check_int(_required(allowance, "minutes", prefix), f"{prefix}minutes", minimum=1),
        rate_keys=tuple(check_slug(r, f"{prefix}rates[{i}]") for i, r in enumerate(rates)),
    )


def parse_package(spec: object, prefix: str = "package.") -> PackageSpec:
    package = _mapping(spec, prefix.rstrip("."))
    _check_keys(package, {"price", "mode", "hours", "validity_months"}, prefix)
    return PackageSpec(
        mode=check_choice(_required(package, "mode", prefix), f"{prefix}mode", PACKAGE_MODES),
        hours=check_int(_required(package, "hours", prefix), f"{prefix}hours", minimum=1),
        validity_months=check_int(
            _required(package, "validity_months", prefix), f"{prefix}validity_months", minimum=1
        ),
        price_amount=check_decimal(_required(package, "price", prefix), f"{prefix}price"),
    )


def parse_travel(spec: object, prefix: str = "travel.") -> TravelSpec:
    travel = _mapping(spec, prefix.rstrip("."))
    _check_keys(travel, {"in_town", "out_of_town", "per_km"}, prefix)
    return TravelSpec(
        in_town_amount=check_decimal(_required(travel, "in_town", prefix), f"{prefix}in_town"),
        out_of_town_amount=check_decimal(
            _required(travel, "out_of_town", prefix), f"{prefix}out_of_town"
        ),
        per_km_amount=check_decimal(
            travel.get("per_km", "0"), f"{prefix}per_km", places=FACTOR_PLACES
        ),
    )


def parse_coefficient(name: object, factor: object, prefix: str = "coefficients.") -> Decimal:
    check_slug(name, f"{prefix}{name}")
    return check_decimal(
        factor, f"{prefix}{name}", places=FACTOR_PLACES, minimum=None, positive=True
    )


def _parse_fees(spec: object) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    fees = _mapping(spec, "fees")
    names = ("monthly", "annual", "per_workstation_monthly")
    _check_keys(fees, names, "fees.")
    monthly, annual, per_ws = (
        None if fees.get(n) is None else check_decimal(fees[n], f"fees.{n}") for n in names
    )
    return monthly, annual, per_ws


def _parse_trial(spec: object, plan_key: str, plans: Collection[str] | None) -> TrialSpec:
    trial = _mapping(spec, "trial")
    _check_keys(trial, {"days", "converts_to"}, "trial.")
    converts_to = trial.get("converts_to")
    if converts_to is not None:
        check_slug(converts_to, "trial.converts_to")
        if converts_to == plan_key:
            raise SpecError("trial.converts_to", "a trial cannot convert into its own plan")
        if plans is not None and converts_to not in plans:
            raise SpecError("trial.converts_to", f"unknown plan {converts_to!r}")
    return TrialSpec(
        days=check_int(_required(trial, "days", "trial."), "trial.days", minimum=1),
        converts_to=converts_to,
    )


def _parse_penalties(spec: object) -> PenaltiesSpec:
    penalties = _mapping(spec, "penalties")
    _check_keys(
        penalties, {"late_onsite_urgent_free", "late_response_discount_per_hour"}, "penalties."
    )
    return PenaltiesSpec(
        is_late_onsite_urgent_free=check_bool(
            penalties.get("late_onsite_urgent_free", False), "penalties.late_onsite_urgent_free"
        ),
        late_response_discount_per_hour=check_decimal(
            penalties.get("late_response_discount_per_hour", "0"),
            "penalties.late_response_discount_per_hour",
            places=FACTOR_PLACES,
            maximum=Decimal(1),
        ),
    )


def _parse_channels(spec: object, calendars: Collection[str] | None) -> ChannelsSpec:
    channels = _mapping(spec, "channels")
    _check_keys(channels, {"origins", "phone_emergency_only", "extra_time"}, "channels.")
    origins_value = channels.get("origins", list(ORIGINS))
    if isinstance(origins_value, str) or not isinstance(origins_value, Sequence):
        raise SpecError("channels.origins", "expected a list of origins")
    origins = tuple(
        check_choice(o, f"channels.origins[{i}]", ORIGINS) for i, o in enumerate(origins_value)
    )
    if not origins:
        raise SpecError("channels.origins", "at least one origin")
    is_emergency_only = check_bool(
        channels.get("phone_emergency_only", False), "channels.phone_emergency_only"
    )
    if is_emergency_only and "phone" not in origins:
        raise SpecError("channels.phone_emergency_only", "phone is not among the origins")
    extra_time = channels.get("extra_time")
    return ChannelsSpec(
        origins=origins,
        is_phone_emergency_only=is_emergency_only,
        extra_time_calendar=None
        if extra_time is None
        else _calendar_ref(extra_time, "channels.extra_time", calendars),
    )


def _parse_notices(spec: object) -> tuple[int | None, int]:
    notices = _mapping(spec, "notices")
    _check_keys(notices, {"low_balance_minutes", "expiry_days"}, "notices.")
    return (
        _optional_int(notices, "low_balance_minutes", "notices.", 1),
        check_int(
            notices.get("expiry_days", DEFAULT_EXPIRY_NOTICE_DAYS), "notices.expiry_days", minimum=0
        ),
    )


def _sequence(value: object, key: str) -> Sequence[object]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SpecError(key, "expected a list")
    return value


def parse_plan(
    spec: object,
    *,
    calendars: Collection[str] | None = None,
    plans: Collection[str] | None = None,
) -> PlanSpec:
    """Check a plan entry; `calendars`/`plans`, when given, are the names it may refer to.

    Cross checks: allowance rate keys are on the rate card; the trial does not convert into
    its own plan; a rate card key is unique (a mapping guarantees it).
    """
    plan = _mapping(spec, "")
    _check_keys(plan, PLAN_KEYS, "")
    key = check_slug(_required(plan, "key", ""), "key")
    name = plan.get("name", key)
    if not isinstance(name, str) or not name.strip():
        raise SpecError("name", "expected a name")
    description = plan.get("description", "")
    if not isinstance(description, str):
        raise SpecError("description", "expected text")
    monthly = annual = per_ws = None
    if plan.get("fees") is not None:
        monthly, annual, per_ws = _parse_fees(plan["fees"])
    rates_spec = _mapping(plan.get("rates") or {}, "rates")
    rates = tuple(parse_rate(k, v, f"rates.{k}.") for k, v in rates_spec.items())
    rate_keys = {r.key for r in rates}
    allowances = tuple(
        parse_allowance(a, f"allowances[{i}].")
        for i, a in enumerate(_sequence(plan.get("allowances") or [], "allowances"))
    )
    for i, allowance in enumerate(allowances):
        for j, rate_key in enumerate(allowance.rate_keys):
            if rate_key not in rate_keys:
                raise SpecError(f"allowances[{i}].rates[{j}]", f"no rate {rate_key!r} on the card")
    coefficients_spec = _mapping(plan.get("coefficients") or {}, "coefficients")
    coefficients = tuple((str(n), parse_coefficient(n, f)) for n, f in coefficients_spec.items())
    targets = tuple(
        parse_target(t, f"sla[{i}].", calendars)
        for i, t in enumerate(_sequence(plan.get("sla") or [], "sla"))
    )
    low_balance, expiry_days = _parse_notices(plan.get("notices") or {})
    return PlanSpec(
        key=key,
        name=name.strip(),
        currency=check_currency(_required(plan, "currency", ""), "currency"),
        calendar=_calendar_ref(_required(plan, "calendar", ""), "calendar", calendars),
        description=description,
        is_active=check_bool(plan.get("active", True), "active"),
        monthly_fee_amount=monthly,
        annual_fee_amount=annual,
        per_workstation_monthly_fee_amount=per_ws,
        package=None if plan.get("package") is None else parse_package(plan["package"]),
        trial=None if plan.get("trial") is None else _parse_trial(plan["trial"], key, plans),
        term_months=_optional_int(plan, "term_months", "", 1),
        allowances=allowances,
        rates=rates,
        minimum_minutes=check_int(plan.get("minimum_minutes", 0), "minimum_minutes"),
        remote_tool_minimum_minutes=check_int(
            plan.get("remote_tool_minimum_minutes", DEFAULT_REMOTE_TOOL_MINIMUM_MINUTES),
            "remote_tool_minimum_minutes",
        ),
        coefficients=coefficients,
        travel=None if plan.get("travel") is None else parse_travel(plan["travel"]),
        is_parts_covered=check_bool(plan.get("parts_covered", False), "parts_covered"),
        penalties=_parse_penalties(plan.get("penalties") or {}),
        targets=targets,
        priority=check_int(plan.get("priority", DEFAULT_PRIORITY), "priority", minimum=1),
        authorised_contacts=_optional_int(plan, "authorised_contacts", "", 1),
        urgent_phone_lines=_optional_int(plan, "urgent_phone_lines", "", 0),
        channels=_parse_channels(plan.get("channels") or {}, calendars),
        auto_close_days=_optional_int(plan, "auto_close_days", "", 1),
        fx_markup=check_decimal(plan.get("fx_markup", "0"), "fx_markup", places=FACTOR_PLACES),
        low_balance_notice_minutes=low_balance,
        expiry_notice_days=expiry_days,
    )
