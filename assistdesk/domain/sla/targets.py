"""SLA targets: what a plan promises, and which tickets each promise applies to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from assistdesk.domain.calendar import Calendar
from assistdesk.domain.errors import SpecError
from assistdesk.domain.sla.facts import TicketFacts, TicketKind

MINUTE = timedelta(minutes=1)


class TargetKind(StrEnum):
    RESPONSE = "response"  # first written answer to the customer
    ONSITE = "onsite"  # start of the first on-site intervention
    RESOLUTION = "resolution"  # ticket resolved
    CHANGE = "change"  # a ticket of kind change resolved


PAUSING_KINDS = frozenset({TargetKind.RESOLUTION, TargetKind.CHANGE})


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    calendar: Calendar
    working_minutes: int | None = None
    working_days: int | None = None
    urgent: bool | None = None  # None: urgent and non-urgent tickets alike
    severity: int | None = None  # None: every severity

    def __post_init__(self) -> None:
        if (self.working_minutes is None) == (self.working_days is None):
            raise SpecError("working_hours", "give exactly one of working hours/minutes/days")
        amount = self.working_minutes if self.working_days is None else self.working_days
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise SpecError("working_hours", "a target's duration must be a positive integer")
        if self.severity is not None and self.severity not in (1, 2, 3):
            raise SpecError("severity", "severity is 1, 2 or 3")

    def applies_to(self, facts: TicketFacts) -> bool:
        """Whether the target applies to a ticket, given what has happened to it so far."""
        if self.urgent is not None and self.urgent != facts.is_urgent:
            return False
        if self.severity is not None and self.severity != facts.severity:
            return False
        if self.kind is TargetKind.CHANGE:
            return facts.kind is TicketKind.CHANGE
        if self.kind is TargetKind.ONSITE:
            return facts.first_onsite_at is not None
        return True

    def working_time(self, received_at: datetime) -> timedelta:
        """How much working time, from receipt, the clock may run."""
        if self.working_minutes is not None:
            return self.working_minutes * MINUTE
        assert self.working_days is not None
        due = self.calendar.add_working_days(received_at, self.working_days)
        return self.calendar.between(received_at, due)

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], calendars: Mapping[str, Calendar], default: Calendar
    ) -> Target:
        """A target from a plan's `sla` entry, e.g. `{kind: response, urgent: false,
        working_hours: 6}`; `calendar` names one of `calendars`, else `default`."""
        if not isinstance(spec, Mapping):
            raise SpecError("", "a target is a mapping")
        allowed = {"kind", "urgent", "severity", "calendar"} | _DURATION_KEYS
        unknown = sorted(str(key) for key in spec if key not in allowed)
        if unknown:
            raise SpecError(unknown[0], "unknown key")
        try:
            kind = TargetKind(str(spec.get("kind")))
        except ValueError:
            raise SpecError("kind", f"expected one of {', '.join(TargetKind)}") from None
        urgent = spec.get("urgent")
        if urgent is not None and not isinstance(urgent, bool):
            raise SpecError("urgent", "expected true or false")
        severity = spec.get("severity")
        if severity is not None and (isinstance(severity, bool) or severity not in (1, 2, 3)):
            raise SpecError("severity", "expected 1, 2 or 3")
        calendar = default
        if "calendar" in spec:
            if spec["calendar"] not in calendars:
                raise SpecError("calendar", f"no calendar named {spec['calendar']!r}")
            calendar = calendars[spec["calendar"]]
        given = [key for key in _DURATION_KEYS if key in spec]
        if len(given) != 1:
            raise SpecError(
                "working_hours", "give one of working_hours, working_minutes, working_days"
            )
        key = given[0]
        amount = _decimal(spec[key], key)
        if key == "working_hours":
            amount *= 60
        if amount != amount.to_integral_value() or amount <= 0:
            raise SpecError(key, "must be a positive whole number of minutes or days")
        days = key == "working_days"
        return cls(
            kind=kind,
            calendar=calendar,
            working_minutes=None if days else int(amount),
            working_days=int(amount) if days else None,
            urgent=urgent,
            severity=severity,
        )


_DURATION_KEYS = frozenset({"working_hours", "working_minutes", "working_days"})


def _decimal(value: object, key: str) -> Decimal:
    # Durations may come as YAML numbers; a float is read through its shortest repr.
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise SpecError(key, f"expected a number, got {value!r}")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise SpecError(key, f"expected a number, got {value!r}") from None


def targets_from_spec(
    items: object, calendars: Mapping[str, Calendar], default: Calendar
) -> tuple[Target, ...]:
    """A plan's `sla` list; error keys read `sla[2].working_hours`."""
    if items is None:
        return ()
    if isinstance(items, str | Mapping) or not isinstance(items, Sequence):
        raise SpecError("sla", "expected a list of targets")
    targets = []
    for index, item in enumerate(items):
        try:
            targets.append(Target.from_spec(item, calendars, default))
        except SpecError as exc:
            raise exc.under(f"sla[{index}]") from None
    return tuple(targets)
