"""Rating: a closed ticket's interventions turned into explained charges (DESIGN.md §2.6).

Terms
- *rate*: a line of the plan's rate card: which work it prices (activity, mode or `any`),
  `price_amount` per `per_minutes`, billed in units of `round_to_minutes`.
- *labour line*: the interventions of a ticket that share rate, mode, coefficients and
  free-or-not, added up. *Free* = warranty, free follow-up, or the urgent-late-on-site
  penalty (§2.2), which makes the whole ticket's labour and travel free.
- *coefficient*: a surcharge factor. The plan's `out_of_hours` applies to an intervention
  that starts outside the plan calendar's working time, `urgent` to an urgent ticket,
  every other named coefficient (the contract's own) always; they multiply.

Units: minutes are `Decimal` (a started minute counts, so real durations are whole;
coefficients can make consumed minutes fractional); money is `Decimal` in the plan's
currency, each line rounded once with `money.round_money`.

Order of the steps, each one visible in a line's explanation: minutes (remote tool: at
least 60) → lines → rounding up to the rate's unit → minimum per request on the first
non-free line → x coefficients → allowances at closing (monthly, then packages
first-expiring-first) → the rest at the rate → late-response discount. Then travel per
on-site intervention, then parts.

Invariants: `Rating.total_amount` is the sum of the charges; every amount is to the cent
and never negative; debits never exceed the buckets' balances unless a bucket allows
overdraft; the function reads no clock and changes none of its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import ClassVar

from assistdesk.domain.allowances import Bucket, Debit, apply_debits, plan_consumption
from assistdesk.domain.errors import DomainError, SpecError
from assistdesk.domain.money import ZERO, round_money

ANY_MODE = "any"
MODES = ("remote", "onsite", "phone")
ONSITE = "onsite"
OUT_OF_HOURS = "out_of_hours"
URGENT = "urgent"
REMOTE_TOOL_MINIMUM_MINUTES = 60
ONE = Decimal(1)
NIL = Decimal(0)  # exact zero for minutes, km, fractions; money.ZERO is 0.00


class ChargeKind(StrEnum):
    LABOUR = "labour"
    TRAVEL = "travel"
    PART = "part"


class FreeReason(StrEnum):
    WARRANTY = "warranty"
    FOLLOW_UP = "free follow-up"
    LATE_ONSITE = "urgent ticket late on site"


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    key: str
    activity: str
    mode: str  # remote | onsite | phone | any
    price_amount: Decimal
    per_minutes: int
    round_to_minutes: int = 1

    def __post_init__(self) -> None:
        if self.per_minutes <= 0 or self.round_to_minutes <= 0:
            raise SpecError(self.key, "per_minutes and round_to_minutes must be positive")
        if self.price_amount < 0:
            raise SpecError(self.key, "a price cannot be negative")


@dataclass(frozen=True)
class Travel:
    in_town_amount: Decimal
    out_of_town_amount: Decimal
    per_km_amount: Decimal = ZERO

    def amount(self, *, is_in_town: bool, km: Decimal) -> Decimal:
        if is_in_town:
            return round_money(self.in_town_amount)
        return round_money(self.out_of_town_amount + self.per_km_amount * km)


@dataclass(frozen=True)
class Penalties:
    is_late_onsite_urgent_free: bool = False
    late_response_discount_per_hour: Decimal = NIL


@dataclass(frozen=True)
class RatingTerms:
    """The plan's (and contract's) terms that rating needs, in the plan's currency."""

    currency: str
    rates: tuple[Rate, ...]
    minimum_minutes: int = 0
    # Plan's `out_of_hours` and `urgent` (conditional) plus the contract's own (always).
    coefficients: Mapping[str, Decimal] = field(default_factory=dict)
    travel: Travel | None = None
    is_parts_covered: bool = False
    penalties: Penalties = Penalties()

    def __post_init__(self) -> None:
        for name, factor in self.coefficients.items():
            if factor <= 0:
                raise SpecError(name, "a coefficient must be positive")

    def rate_for(self, activity: str, mode: str) -> Rate:
        """The rate of the card pricing this work: an exact mode beats `any`, then card order."""
        exact = [r for r in self.rates if r.activity == activity and r.mode == mode]
        loose = [r for r in self.rates if r.activity == activity and r.mode == ANY_MODE]
        if not exact + loose:
            raise SpecError("rates", f"no matching rate for activity {activity!r}, mode {mode!r}")
        return (exact + loose)[0]


@dataclass(frozen=True)
class Part:
    name: str
    quantity: Decimal
    unit_price_amount: Decimal
    is_approved: bool = True  # False: the customer asked to be told and did not agree

    def __post_init__(self) -> None:
        if self.quantity < 0 or self.unit_price_amount < 0:
            raise SpecError("parts", f"negative quantity or price for part {self.name!r}")


@dataclass(frozen=True)
class Intervention:
    start_at: datetime
    end_at: datetime
    mode: str  # remote | onsite | phone
    activity: str
    km: Decimal = NIL
    has_remote_tool_setup: bool = False
    is_warranty: bool = False
    is_follow_up: bool = False
    is_resolved: bool = True
    parts: tuple[Part, ...] = ()

    def __post_init__(self) -> None:
        if self.start_at.tzinfo is None or self.end_at.tzinfo is None:
            raise DomainError("intervention instants must be aware")
        if self.end_at < self.start_at:
            raise SpecError("end", "an intervention cannot end before it starts")
        if self.mode not in MODES:
            raise SpecError("mode", f"unknown intervention mode {self.mode!r}")
        if self.km < 0:
            raise SpecError("km", "distance cannot be negative")

    @property
    def minutes(self) -> Decimal:
        """Real duration, a started minute counting whole; at least 60 with remote tool setup."""
        delta = self.end_at - self.start_at
        microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        whole = -(-microseconds // 60_000_000)
        if self.has_remote_tool_setup:
            whole = max(whole, REMOTE_TOOL_MINIMUM_MINUTES)
        return Decimal(whole)


@dataclass(frozen=True)
class TicketWork:
    key: str
    is_urgent: bool
    interventions: tuple[Intervention, ...]


@dataclass(frozen=True)
class SlaOutcome:
    """What the SLA engine found, as far as penalties go."""

    is_onsite_late: bool = False
    response_late_minutes: Decimal = NIL  # working minutes


def late_response_discount(late_minutes: Decimal, per_hour: Decimal) -> Decimal:
    """The labour discount: `per_hour` for each started hour of lateness, at most 100 %."""
    if late_minutes <= 0 or per_hour <= 0:
        return NIL
    started_hours = (late_minutes / 60).to_integral_value(rounding=ROUND_CEILING)
    return min(ONE, started_hours * per_hour)


# --- output ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabourCharge:
    kind: ClassVar[ChargeKind] = ChargeKind.LABOUR
    rate_key: str
    mode: str
    interventions: tuple[int, ...]  # numbers from 1, in time order
    minutes: Decimal
    billed_minutes: Decimal
    coefficient: Decimal
    coefficient_names: tuple[str, ...]
    allowance_minutes: Decimal  # billed x coefficient, taken from allowances
    debits: tuple[Debit, ...]
    free_reasons: tuple[FreeReason, ...]
    gross_amount: Decimal  # before the discount
    discount: Decimal  # fraction, 0..1
    discount_amount: Decimal
    amount: Decimal
    explanation: str

    @property
    def is_free(self) -> bool:
        return bool(self.free_reasons)


@dataclass(frozen=True)
class TravelCharge:
    kind: ClassVar[ChargeKind] = ChargeKind.TRAVEL
    intervention: int
    km: Decimal
    is_in_town: bool
    free_reasons: tuple[FreeReason, ...]
    amount: Decimal
    explanation: str


@dataclass(frozen=True)
class PartCharge:
    kind: ClassVar[ChargeKind] = ChargeKind.PART
    intervention: int
    name: str
    quantity: Decimal
    unit_price_amount: Decimal
    amount: Decimal
    explanation: str


Charge = LabourCharge | TravelCharge | PartCharge


@dataclass(frozen=True)
class Rating:
    ticket_key: str
    currency: str
    charges: tuple[Charge, ...]  # labour lines, then travel, then parts
    total_amount: Decimal
    debits: tuple[Debit, ...]  # per bucket, to write as `use` entries

    def amount_of(self, kind: ChargeKind) -> Decimal:
        return sum((c.amount for c in self.charges if c.kind is kind), ZERO)


# --- the function ------------------------------------------------------------------------


def _fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _round_up(minutes: Decimal, unit: int) -> Decimal:
    # Not `-(-m // unit)`: Decimal's `//` truncates toward zero instead of flooring.
    return (minutes / unit).to_integral_value(rounding=ROUND_CEILING) * unit


def _numbered(ticket: TicketWork) -> list[tuple[int, Intervention]]:
    """Interventions in time order, numbered from 1 as the reports number them."""
    return list(enumerate(sorted(ticket.interventions, key=lambda iv: iv.start_at), 1))


def _free_reasons(iv: Intervention, is_ticket_late_free: bool) -> tuple[FreeReason, ...]:
    flags = (
        (iv.is_warranty, FreeReason.WARRANTY),
        (iv.is_follow_up, FreeReason.FOLLOW_UP),
        (is_ticket_late_free, FreeReason.LATE_ONSITE),
    )
    return tuple(reason for is_set, reason in flags if is_set)


def _coefficient_names(
    iv: Intervention, terms: RatingTerms, *, is_urgent: bool, is_working: Callable[[datetime], bool]
) -> tuple[str, ...]:
    def applies(name: str) -> bool:
        if name == OUT_OF_HOURS:
            return not is_working(iv.start_at)
        if name == URGENT:
            return is_urgent
        return True

    return tuple(name for name in terms.coefficients if applies(name))


@dataclass
class _Line:
    rate: Rate
    mode: str
    coefficient_names: tuple[str, ...]
    interventions: list[int] = field(default_factory=list)
    minutes: Decimal = NIL
    free_reasons: list[FreeReason] = field(default_factory=list)
    billed_minutes: Decimal = NIL
    is_raised_to_minimum: bool = False
    coefficient: Decimal = ONE


def _group(
    ticket: TicketWork,
    terms: RatingTerms,
    is_working: Callable[[datetime], bool],
    is_ticket_late_free: bool,
) -> list[_Line]:
    lines: dict[tuple[str, str, tuple[str, ...], bool], _Line] = {}
    for number, iv in _numbered(ticket):
        rate = terms.rate_for(iv.activity, iv.mode)
        names = _coefficient_names(iv, terms, is_urgent=ticket.is_urgent, is_working=is_working)
        reasons = _free_reasons(iv, is_ticket_late_free)
        line = lines.setdefault(
            (rate.key, iv.mode, names, bool(reasons)), _Line(rate, iv.mode, names)
        )
        line.interventions.append(number)
        line.minutes += iv.minutes
        line.free_reasons += [r for r in reasons if r not in line.free_reasons]
    result = list(lines.values())
    for line in result:
        line.billed_minutes = _round_up(line.minutes, line.rate.round_to_minutes)
        for name in line.coefficient_names:
            line.coefficient *= terms.coefficients[name]
    paying = [line for line in result if not line.free_reasons]
    if paying and sum(line.billed_minutes for line in paying) < terms.minimum_minutes:
        paying[0].billed_minutes = Decimal(terms.minimum_minutes)
        paying[0].is_raised_to_minimum = True
    return result


def _labour(
    line: _Line, terms: RatingTerms, debits: tuple[Debit, ...], discount: Decimal
) -> LabourCharge:
    rate = line.rate
    coefficient = line.coefficient
    needed = line.billed_minutes * coefficient
    numbers = " ".join(f"#{n}" for n in line.interventions)
    unit = (
        "minimum per request" if line.is_raised_to_minimum else f"units of {rate.round_to_minutes}"
    )
    parts = [
        f"{rate.key} ({line.mode}), intervention {numbers}: {_fmt(line.minutes)} min, "
        f"billed {_fmt(line.billed_minutes)} min ({unit})"
    ]
    if line.coefficient_names:
        factors = " x ".join(f"{n} {_fmt(terms.coefficients[n])}" for n in line.coefficient_names)
        parts.append(f"x {_fmt(coefficient)} ({factors}) = {_fmt(needed)} min")
    if line.free_reasons:
        parts.append("free: " + ", ".join(line.free_reasons))
        gross = discount_amount = ZERO
        discount = NIL
        debits = ()
    else:
        parts += [f"{_fmt(d.minutes)} min from {d.bucket_key}" for d in debits]
        left = needed - sum((d.minutes for d in debits), NIL)
        gross = round_money(left * rate.price_amount / rate.per_minutes)
        parts.append(
            f"{_fmt(left)} min at {_fmt(rate.price_amount)} per {rate.per_minutes} min = {gross}"
        )
        discount_amount = round_money(gross * discount) if gross else ZERO
        if discount_amount:
            parts.append(
                f"less {_fmt(discount * 100)} % late-response discount {discount_amount}"
                f" = {gross - discount_amount}"
            )
    allowance = sum((d.minutes for d in debits), NIL)
    return LabourCharge(
        rate_key=rate.key,
        mode=line.mode,
        interventions=tuple(line.interventions),
        minutes=line.minutes,
        billed_minutes=line.billed_minutes,
        coefficient=coefficient,
        coefficient_names=line.coefficient_names,
        allowance_minutes=allowance,
        debits=debits,
        free_reasons=tuple(line.free_reasons),
        gross_amount=gross,
        discount=discount,
        discount_amount=discount_amount,
        amount=gross - discount_amount,
        explanation="; ".join(parts),
    )


def _travel(
    number: int,
    iv: Intervention,
    terms: RatingTerms,
    travel: Travel,
    reasons: tuple[FreeReason, ...],
    *,
    is_in_town: bool,
) -> TravelCharge:
    where = "in town" if is_in_town else f"out of town, {_fmt(iv.km)} km"
    if reasons:
        amount, why = ZERO, "free: " + ", ".join(reasons)
    else:
        amount = travel.amount(is_in_town=is_in_town, km=iv.km)
        why = (
            f"{_fmt(travel.in_town_amount)} flat"
            if is_in_town
            else f"{_fmt(travel.out_of_town_amount)} + {_fmt(travel.per_km_amount)}"
            f" x {_fmt(iv.km)} km"
        ) + f" = {amount}"
    return TravelCharge(
        intervention=number,
        km=iv.km,
        is_in_town=is_in_town,
        free_reasons=reasons,
        amount=amount,
        explanation=f"travel for intervention #{number} ({where}): {why}",
    )


def _part(number: int, iv: Intervention, part: Part, terms: RatingTerms) -> PartCharge:
    listed = round_money(part.quantity * part.unit_price_amount)
    if terms.is_parts_covered:
        amount, why = ZERO, "covered by the plan"
    elif iv.is_warranty:
        amount, why = ZERO, "under warranty"
    elif not part.is_approved:
        amount, why = ZERO, "not approved by the customer"
    else:
        amount, why = listed, f"{_fmt(part.quantity)} x {_fmt(part.unit_price_amount)}"
    return PartCharge(
        intervention=number,
        name=part.name,
        quantity=part.quantity,
        unit_price_amount=part.unit_price_amount,
        amount=amount,
        explanation=f"{part.name}, intervention #{number}: {why} = {amount}",
    )


def rate_ticket(
    ticket: TicketWork,
    terms: RatingTerms,
    *,
    is_in_town: bool,
    is_working: Callable[[datetime], bool],
    sla: SlaOutcome,
    buckets: Sequence[Bucket],
    closed_at: datetime,
) -> Rating:
    """Rate a closed ticket: charges in the plan's currency and the allowance debits.

    `is_working` answers whether an instant is working time in the plan's calendar (for
    the out-of-hours coefficient); `buckets` are the customer's allowances with their
    ledgers as they stand before this ticket, used if valid at `closed_at`.
    """
    penalties = terms.penalties
    is_late_free = ticket.is_urgent and sla.is_onsite_late and penalties.is_late_onsite_urgent_free
    discount = NIL
    if not ticket.is_urgent:
        discount = late_response_discount(
            sla.response_late_minutes, penalties.late_response_discount_per_hour
        )
    charges: list[Charge] = []
    current = tuple(buckets)
    for line in _group(ticket, terms, is_working, is_late_free):
        debits: tuple[Debit, ...] = ()
        if not line.free_reasons:
            needed = line.billed_minutes * line.coefficient
            plan = plan_consumption(
                current, minutes=needed, rate_key=line.rate.key, mode=line.mode, at=closed_at
            )
            debits = plan.debits
            # Later lines of the same ticket see what earlier lines took.
            current = apply_debits(current, debits, at=closed_at, ref=ticket.key)
        charges.append(_labour(line, terms, debits, discount))
    numbered = _numbered(ticket)
    if terms.travel is not None:
        for number, iv in numbered:
            if iv.mode == ONSITE:
                reasons = _free_reasons(iv, is_late_free)
                charges.append(
                    _travel(number, iv, terms, terms.travel, reasons, is_in_town=is_in_town)
                )
    for number, iv in numbered:
        charges += [_part(number, iv, part, terms) for part in iv.parts]
    totals: dict[str, Decimal] = {}
    for charge in charges:
        if isinstance(charge, LabourCharge):
            for debit in charge.debits:
                totals[debit.bucket_key] = totals.get(debit.bucket_key, NIL) + debit.minutes
    return Rating(
        ticket_key=ticket.key,
        currency=terms.currency,
        charges=tuple(charges),
        total_amount=sum((c.amount for c in charges), ZERO),
        debits=tuple(Debit(key, minutes) for key, minutes in totals.items()),
    )
