"""Lateness penalties of seed 001 as data, and what they mean for the rating."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assistdesk.domain.errors import SpecError
from assistdesk.domain.sla.clock import TargetResult
from assistdesk.domain.sla.targets import TargetKind

ONE = Decimal(1)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Penalties:
    """Seed 001's penalties; both off unless a plan says so."""

    late_onsite_urgent_free: bool = False  # urgent and late on site: no labour, no travel
    late_response_discount_per_hour: Decimal = ZERO  # non-urgent, per started hour late

    def __post_init__(self) -> None:
        rate = self.late_response_discount_per_hour
        if not isinstance(rate, Decimal) or not ZERO <= rate <= ONE:
            raise SpecError("late_response_discount_per_hour", "a Decimal fraction 0..1")

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> Penalties:
        if spec is None:
            return cls()
        if not isinstance(spec, Mapping):
            raise SpecError("", "penalties are a mapping")
        known = {"late_onsite_urgent_free", "late_response_discount_per_hour"}
        unknown = sorted(str(key) for key in spec if key not in known)
        if unknown:
            raise SpecError(unknown[0], "unknown key")
        free = spec.get("late_onsite_urgent_free", False)
        if not isinstance(free, bool):
            raise SpecError("late_onsite_urgent_free", "expected true or false")
        rate = spec.get("late_response_discount_per_hour", "0")
        if not isinstance(rate, str | int | Decimal) or isinstance(rate, bool):
            raise SpecError("late_response_discount_per_hour", 'a decimal string, e.g. "0.20"')
        try:
            fraction = Decimal(rate)
        except ArithmeticError:
            raise SpecError("late_response_discount_per_hour", f"not a number: {rate!r}") from None
        return cls(late_onsite_urgent_free=free, late_response_discount_per_hour=fraction)


@dataclass(frozen=True)
class PenaltyOutcome:
    is_free: bool  # urgent ticket late on site: labour and travel cost nothing
    discount: Decimal  # fraction of the labour left to bill, 0..1
    late_response_hours: int  # started hours of response lateness behind `discount`


def penalty_outcome(
    penalties: Penalties, results: Iterable[TargetResult], *, is_urgent: bool
) -> PenaltyOutcome:
    """What the rating must apply for a ticket's SLA results (only decided targets count)."""
    results = tuple(results)
    is_free = (
        penalties.late_onsite_urgent_free
        and is_urgent
        and any(r.kind is TargetKind.ONSITE and r.met is False for r in results)
    )
    hours = 0
    if not is_urgent and penalties.late_response_discount_per_hour:
        late = [r.late_minutes for r in results if r.kind is TargetKind.RESPONSE and r.met is False]
        hours = -(-max(late, default=0) // 60)
    discount = min(ONE, penalties.late_response_discount_per_hour * hours)
    return PenaltyOutcome(is_free=is_free, discount=discount, late_response_hours=hours)
