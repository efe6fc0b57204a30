"""Reading a scenario file (`assistdesk-scenario/1`, ../shared/scenarios/FORMAT.md).

This module only checks the shape of the file and the references between its parts
(a contract's plan exists, a ticket's customer exists, an intervention ends after it
starts, ...) and turns times into aware instants. The meaning of a plan or a calendar is
checked by the same catalog services that the admin uses, when the runner creates them;
their errors name the key the same way (`plans[0].rates.onsite.per_minutes`).

Every error is a `SpecError` whose key is the dotted path of the offending value, so the
command can print one line naming it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from assistdesk.domain.errors import SpecError

FORMAT = "assistdesk-scenario/1"
ORIGINS = ("email", "web", "phone", "monitoring", "other")
KINDS = ("support", "change", "development")
EVENT_TYPES = (
    "acknowledgement",
    "response",
    "confirmation",
    "intervention",
    "waiting",
    "customer_reply",
    "resolved",
    "reopened",
    "closed",
)
MODES = ("remote", "onsite", "phone")
LANGUAGES = ("en", "it", "fr", "ro")
CUSTOMER_KEYS = frozenset(
    {"key", "name", "country", "language", "currency", "vat_rate", "reverse_charge",
     "vat_id", "workstations", "in_town", "part_approval"}
)  # fmt: skip
ACTIVITIES = ("support", "programming", "change")


@dataclass(frozen=True)
class PartSpec:
    name: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class EventSpec:
    key: str  # the event's path in the file, for error messages
    type: str
    at: datetime  # for interventions: the start
    end_at: datetime | None = None
    mode: str = ""
    activity: str = ""
    km: Decimal = Decimal(0)
    remote_tool_setup: bool = False
    warranty: bool = False
    follow_up: bool = False
    resolved: bool = False
    parts: tuple[PartSpec, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class TicketSpec:
    key: str
    path: str
    customer: str
    received_at: datetime
    origin: str
    severity: int
    urgent: bool
    kind: str
    subject: str
    events: tuple[EventSpec, ...]


@dataclass(frozen=True)
class CustomerSpec:
    key: str
    path: str
    name: str
    country: str
    language: str
    currency: str
    vat_rate: Decimal | None
    is_vat_reverse_charge: bool
    vat_id: str
    workstations: int
    is_in_town: bool
    is_part_approval_required: bool


@dataclass(frozen=True)
class ContractSpec:
    path: str
    customer: str
    plan: str
    start_on: date
    billing_cycle: str
    workstations: int | None


@dataclass(frozen=True)
class PackageSpec:
    path: str
    customer: str
    plan: str
    purchased_on: date


@dataclass(frozen=True)
class FxRateSpec:
    path: str
    on: date
    from_currency: str
    to_currency: str
    rate: Decimal


@dataclass(frozen=True)
class BillingSpec:
    path: str
    period: str  # YYYY-MM
    invoice_on: date


@dataclass(frozen=True)
class Scenario:
    timezone: ZoneInfo
    calendars: Mapping[str, Mapping[str, Any]]
    plans: Sequence[Mapping[str, Any]]
    customers: tuple[CustomerSpec, ...]
    contracts: tuple[ContractSpec, ...]
    packages: tuple[PackageSpec, ...]
    fx_rates: tuple[FxRateSpec, ...]
    tickets: tuple[TicketSpec, ...]
    billing: tuple[BillingSpec, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)


# --- small typed readers, each naming the key it reads ------------------------------------


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(key, "must be a mapping")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpecError(key, "must be a list")
    return value


def _required(data: Mapping[str, Any], name: str, key: str) -> Any:
    if name not in data or data[name] is None:
        raise SpecError(f"{key}.{name}", "is required")
    return data[name]


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(key, "must be a non-empty string")
    return value


def _choice(value: Any, choices: Sequence[str], key: str) -> str:
    if value not in choices:
        raise SpecError(key, f"must be one of {', '.join(choices)} (got {value!r})")
    return str(value)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(key, "must be true or false")
    return value


def _decimal(value: Any, key: str, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise SpecError(key, 'must be a decimal string such as "12.50"')
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SpecError(key, f"is not a number: {value!r}") from None
    if not number.is_finite() or (minimum is not None and number < minimum):
        raise SpecError(key, f"must be a number >= {minimum}")
    return number


def _date(value: Any, key: str) -> date:
    if isinstance(value, datetime):
        raise SpecError(key, "must be a date (YYYY-MM-DD), not a time")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_str(value, key))
    except ValueError:
        raise SpecError(key, f"is not a date (YYYY-MM-DD): {value!r}") from None


def _instant(value: Any, key: str, tz: tzinfo) -> datetime:
    """An ISO 8601 time; without an offset it is local time in the provider's zone."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(_str(value, key))
        except ValueError:
            raise SpecError(key, f"is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


# --- the file ---------------------------------------------------------------------------------


def load(path: Path) -> Scenario:
    """Read and check a scenario file (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError("", f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        detail = " ".join(str(exc).split())  # one line, as the command prints it
        raise SpecError("", f"{path.name} is not valid {kind}: {detail}") from None
    return parse(data)


def parse(data: Any) -> Scenario:
    root = _mapping(data, "(file)")
    if root.get("format") != FORMAT:
        raise SpecError("format", f"must be {FORMAT!r}")
    provider = _mapping(_required(root, "provider", ""), "provider")
    tz_name = _str(_required(provider, "timezone", "provider"), "provider.timezone")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecError("provider.timezone", f"unknown time zone {tz_name!r}") from None

    calendars = _mapping(root.get("calendars") or {}, "calendars")
    plans = _list(root.get("plans"), "plans")
    plan_keys = _plan_keys(plans, calendars)
    customers = _customers(root.get("customers"))
    customer_keys = {c.key for c in customers}
    contracts = _contracts(root.get("contracts"), customer_keys, plan_keys)
    packages = _packages(root.get("packages"), customer_keys, plan_keys, plans)
    fx_rates = _fx_rates(root.get("fx_rates"))
    tickets = _tickets(root.get("tickets"), customer_keys, tz)
    billing = _billing(root.get("billing"))
    known = {"format", "provider", "calendars", "plans", "customers", "contracts",
             "packages", "fx_rates", "tickets", "billing"}  # fmt: skip
    for name in root:
        if name not in known:
            raise SpecError(str(name), "is not a scenario key")
    return Scenario(
        timezone=tz,
        calendars=calendars,
        plans=plans,
        customers=customers,
        contracts=contracts,
        packages=packages,
        fx_rates=fx_rates,
        tickets=tickets,
        billing=billing,
    )


def _plan_keys(plans: list[Any], calendars: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for i, raw in enumerate(plans):
        plan = _mapping(raw, f"plans[{i}]")
        key = _str(_required(plan, "key", f"plans[{i}]"), f"plans[{i}].key")
        if key in keys:
            raise SpecError(f"plans[{i}].key", f"duplicate plan {key!r}")
        calendar = plan.get("calendar")
        if calendar is not None and calendar not in calendars:
            raise SpecError(f"plans[{i}].calendar", f"unknown calendar {calendar!r}")
        keys.add(key)
    return keys


def _customers(raw: Any) -> tuple[CustomerSpec, ...]:
    result: list[CustomerSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(raw, "customers")):
        path = f"customers[{i}]"
        data = _mapping(item, path)
        key = _str(_required(data, "key", path), f"{path}.key")
        if key in seen:
            raise SpecError(f"{path}.key", f"duplicate customer {key!r}")
        seen.add(key)
        for name in data:
            if name not in CUSTOMER_KEYS:
                raise SpecError(f"{path}.{name}", "is not a customer key")
        vat_rate = data.get("vat_rate")
        workstations = data.get("workstations", 0)
        if isinstance(workstations, bool) or not isinstance(workstations, int) or workstations < 0:
            raise SpecError(f"{path}.workstations", "must be a whole number >= 0")
        result.append(
            CustomerSpec(
                key=key,
                path=path,
                name=str(data.get("name") or key),
                country=_str(_required(data, "country", path), f"{path}.country"),
                language=_choice(data.get("language", "en"), LANGUAGES, f"{path}.language"),
                currency=_currency(_required(data, "currency", path), f"{path}.currency"),
                vat_rate=None if vat_rate is None else _decimal(vat_rate, f"{path}.vat_rate"),
                is_vat_reverse_charge=_bool(
                    data.get("reverse_charge", False), f"{path}.reverse_charge"
                ),
                vat_id=str(data.get("vat_id") or ""),
                workstations=workstations,
                is_in_town=_bool(data.get("in_town", True), f"{path}.in_town"),
                is_part_approval_required=_bool(
                    data.get("part_approval", False), f"{path}.part_approval"
                ),
            )
        )
    return tuple(result)


def _contracts(raw: Any, customers: set[str], plans: set[str]) -> tuple[ContractSpec, ...]:
    result = []
    for i, item in enumerate(_list(raw, "contracts")):
        path = f"contracts[{i}]"
        data = _mapping(item, path)
        customer = _required(data, "customer", path)
        if customer not in customers:
            raise SpecError(f"{path}.customer", f"unknown customer {customer!r}")
        plan = _required(data, "plan", path)
        if plan not in plans:
            raise SpecError(f"{path}.plan", f"unknown plan {plan!r}")
        workstations = data.get("workstations")
        if workstations is not None and (
            isinstance(workstations, bool) or not isinstance(workstations, int) or workstations < 0
        ):
            raise SpecError(f"{path}.workstations", "must be a whole number >= 0")
        result.append(
            ContractSpec(
                path=path,
                customer=customer,
                plan=plan,
                start_on=_date(_required(data, "start", path), f"{path}.start"),
                billing_cycle=_choice(
                    data.get("billing_cycle", "monthly"),
                    ("monthly", "annual"),
                    f"{path}.billing_cycle",
                ),
                workstations=workstations,
            )
        )
    return tuple(result)


def _packages(
    raw: Any, customers: set[str], plans: set[str], plan_specs: list[Any]
) -> tuple[PackageSpec, ...]:
    with_package = {p["key"] for p in plan_specs if isinstance(p, Mapping) and p.get("package")}
    result = []
    for i, item in enumerate(_list(raw, "packages")):
        path = f"packages[{i}]"
        data = _mapping(item, path)
        customer = _required(data, "customer", path)
        if customer not in customers:
            raise SpecError(f"{path}.customer", f"unknown customer {customer!r}")
        plan = _required(data, "plan", path)
        if plan not in plans:
            raise SpecError(f"{path}.plan", f"unknown plan {plan!r}")
        if plan not in with_package:
            raise SpecError(f"{path}.plan", f"plan {plan!r} sells no package")
        result.append(
            PackageSpec(
                path=path,
                customer=customer,
                plan=plan,
                purchased_on=_date(_required(data, "purchased", path), f"{path}.purchased"),
            )
        )
    return tuple(result)


def _fx_rates(raw: Any) -> tuple[FxRateSpec, ...]:
    result = []
    for i, item in enumerate(_list(raw, "fx_rates")):
        path = f"fx_rates[{i}]"
        data = _mapping(item, path)
        rate = _decimal(_required(data, "rate", path), f"{path}.rate")
        if rate == 0:
            raise SpecError(f"{path}.rate", "must be greater than 0")
        result.append(
            FxRateSpec(
                path=path,
                on=_date(_required(data, "date", path), f"{path}.date"),
                from_currency=_currency(_required(data, "from", path), f"{path}.from"),
                to_currency=_currency(_required(data, "to", path), f"{path}.to"),
                rate=rate,
            )
        )
    return tuple(result)


def _currency(value: Any, key: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise SpecError(key, f"must be a three-letter currency code (got {value!r})")
    return value.upper()


def _billing(raw: Any) -> tuple[BillingSpec, ...]:
    result = []
    for i, item in enumerate(_list(raw, "billing")):
        path = f"billing[{i}]"
        data = _mapping(item, path)
        period = str(_required(data, "period", path))
        try:
            date.fromisoformat(f"{period}-01")
        except ValueError:
            raise SpecError(f"{path}.period", f"must be YYYY-MM (got {period!r})") from None
        invoice_on = _date(_required(data, "invoice_date", path), f"{path}.invoice_date")
        result.append(BillingSpec(path=path, period=period, invoice_on=invoice_on))
    return tuple(result)


def _tickets(raw: Any, customers: set[str], tz: tzinfo) -> tuple[TicketSpec, ...]:
    result = []
    seen: set[str] = set()
    for i, item in enumerate(_list(raw, "tickets")):
        path = f"tickets[{i}]"
        data = _mapping(item, path)
        key = _str(_required(data, "key", path), f"{path}.key")
        if key in seen:
            raise SpecError(f"{path}.key", f"duplicate ticket {key!r}")
        seen.add(key)
        customer = _required(data, "customer", path)
        if customer not in customers:
            raise SpecError(f"{path}.customer", f"unknown customer {customer!r}")
        severity = data.get("severity", 3)
        if severity not in (1, 2, 3) or isinstance(severity, bool):
            raise SpecError(f"{path}.severity", "must be 1, 2 or 3")
        urgent = data.get("urgent", severity == 1)
        received_at = _instant(_required(data, "received", path), f"{path}.received", tz)
        events = _events(data.get("events"), f"{path}.events", received_at, tz)
        result.append(
            TicketSpec(
                key=key,
                path=path,
                customer=customer,
                received_at=received_at,
                origin=_choice(data.get("origin", "email"), ORIGINS, f"{path}.origin"),
                severity=severity,
                urgent=_bool(urgent, f"{path}.urgent"),
                kind=_choice(data.get("kind", "support"), KINDS, f"{path}.kind"),
                subject=str(data.get("subject") or f"Request {key}"),
                events=events,
            )
        )
    return tuple(result)


def _events(raw: Any, path: str, received_at: datetime, tz: tzinfo) -> tuple[EventSpec, ...]:
    events = []
    previous = received_at
    for j, item in enumerate(_list(raw, path)):
        key = f"{path}[{j}]"
        data = _mapping(item, key)
        kind = _choice(_required(data, "type", key), EVENT_TYPES, f"{key}.type")
        if kind == "intervention":
            event = _intervention(data, key, tz)
        else:
            event = EventSpec(
                key=key,
                type=kind,
                at=_instant(_required(data, "at", key), f"{key}.at", tz),
                text=str(data.get("text") or ""),
            )
        if event.at < received_at:
            field_name = "start" if kind == "intervention" else "at"
            raise SpecError(f"{key}.{field_name}", "is before the ticket was received")
        if event.at < previous and kind != "intervention":
            raise SpecError(f"{key}.at", "events must be in time order")
        previous = max(previous, event.end_at or event.at)
        events.append(event)
    return tuple(events)


def _intervention(data: Mapping[str, Any], key: str, tz: tzinfo) -> EventSpec:
    start = _instant(_required(data, "start", key), f"{key}.start", tz)
    end = _instant(_required(data, "end", key), f"{key}.end", tz)
    if end <= start:
        raise SpecError(f"{key}.end", "must be after start")
    parts = []
    for p, raw_part in enumerate(_list(data.get("parts"), f"{key}.parts")):
        part_key = f"{key}.parts[{p}]"
        part = _mapping(raw_part, part_key)
        parts.append(
            PartSpec(
                name=_str(_required(part, "name", part_key), f"{part_key}.name"),
                quantity=_decimal(part.get("quantity", 1), f"{part_key}.quantity"),
                unit_price=_decimal(
                    _required(part, "unit_price", part_key), f"{part_key}.unit_price"
                ),
            )
        )
    flags = {
        name: _bool(data.get(name, False), f"{key}.{name}")
        for name in ("remote_tool_setup", "warranty", "follow_up", "resolved")
    }
    return EventSpec(
        key=key,
        type="intervention",
        at=start,
        end_at=end,
        mode=_choice(_required(data, "mode", key), MODES, f"{key}.mode"),
        activity=_choice(data.get("activity", "support"), ACTIVITIES, f"{key}.activity"),
        km=_decimal(data.get("km", 0), f"{key}.km"),
        parts=tuple(parts),
        text=str(data.get("description") or ""),
        **flags,
    )
