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

Where §2 is silent (each a decision, kept here so the reports can say why):
- warranty covers the parts used in that intervention; a free follow-up or the urgent-late
  penalty does not (seed 001: "no call-out fee or labour"); a part the customer did not
  approve is listed at 0; a plan that covers parts prices them all at 0;
- the minimum per request sets the first paying line (in time order) to the minimum;
- a late-response discount is rounded on its own: amount = gross - round(gross x rate);
- a plan without travel terms produces no travel lines; phone work never travels;
- a rate of the intervention's own mode beats an `any` rate; then the card's order wins;
- packages are matched on the intervention's mode only (a phone call uses no remote hours).

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
    per_km_amount: Decimal = NIL


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
    # Labour of an intervention during which the remote tool had to be installed (seed 003).
    remote_tool_minimum_minutes: int = REMOTE_TOOL_MINIMUM_MINUTES

    def __post_init__(self) -> None:
        if self.remote_tool_minimum_minutes < 0:
            raise SpecError("remote_tool_minimum_minutes", "cannot be negative")
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
        """Labour minutes under the default remote-tool minimum (see `labour_minutes`)."""
        return self.labour_minutes(REMOTE_TOOL_MINIMUM_MINUTES)

    def labour_minutes(self, remote_tool_minimum: int) -> Decimal:
        """Real duration, a started minute counting whole; at least `remote_tool_minimum`
        when the remote tool had to be installed during it (§2.6 step 1)."""
        delta = self.end_at - self.start_at
        microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        whole = -(-microseconds // 60_000_000)
        if self.has_remote_tool_setup:
            whole = max(whole, remote_tool_minimum)
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
    """A figure as people write it: 250, 67.5, 0.25 (no trailing zeros, no exponent)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _round_up(minutes: Decimal, unit: int) -> Decimal:
    # Not `-(-m // unit)`: Decimal's `//` truncates toward zero instead of flooring.
    return (minutes / unit).to_integral_value(rounding=ROUND_CEILING) * unit


def _free_reasons(iv: Intervention, is_late_free: bool) -> tuple[FreeReason, ...]:
    flags = (iv.is_warranty, iv.is_follow_up, is_late_free)  # in FreeReason's order
    return tuple(reason for reason, is_set in zip(FreeReason, flags, strict=True) if is_set)


@dataclass
class _Line:
    """A labour line being built: what groups it, then what it adds up to."""

    rate: Rate
    mode: str
    factors: tuple[tuple[str, Decimal], ...]  # the coefficients that apply, by name
    free_reasons: list[FreeReason] = field(default_factory=list)
    interventions: list[int] = field(default_factory=list)
    minutes: Decimal = NIL
    has_remote_tool: bool = False
    remote_tool_minimum: int = REMOTE_TOOL_MINIMUM_MINUTES
    billed_minutes: Decimal = NIL
    note: str = ""  # why billed_minutes is what it is

    @property
    def coefficient(self) -> Decimal:
        product = ONE
        for _, factor in self.factors:
            product *= factor
        return product


def _lines(
    numbered: list[tuple[int, Intervention]],
    terms: RatingTerms,
    *,
    is_urgent: bool,
    is_late_free: bool,
    is_working: Callable[[datetime], bool],
) -> list[_Line]:
    """Steps 1-4: minutes per intervention, lines, units, minimum per request."""

    def applies(name: str, iv: Intervention) -> bool:
        if name == OUT_OF_HOURS:
            return not is_working(iv.start_at)
        return is_urgent if name == URGENT else True

    lines: dict[tuple[str, str, tuple[tuple[str, Decimal], ...], bool], _Line] = {}
    for number, iv in numbered:
        rate = terms.rate_for(iv.activity, iv.mode)
        factors = tuple((n, c) for n, c in terms.coefficients.items() if applies(n, iv))
        reasons = _free_reasons(iv, is_late_free)
        line = lines.setdefault(
            (rate.key, iv.mode, factors, bool(reasons)), _Line(rate, iv.mode, factors)
        )
        line.interventions.append(number)
        line.minutes += iv.labour_minutes(terms.remote_tool_minimum_minutes)
        line.has_remote_tool |= iv.has_remote_tool_setup
        line.remote_tool_minimum = terms.remote_tool_minimum_minutes
        line.free_reasons += [r for r in reasons if r not in line.free_reasons]
    for line in lines.values():
        line.billed_minutes = _round_up(line.minutes, line.rate.round_to_minutes)
        line.note = f"units of {line.rate.round_to_minutes} min"
    paying = [line for line in lines.values() if not line.free_reasons]
    if paying and sum(line.billed_minutes for line in paying) < terms.minimum_minutes:
        paying[0].billed_minutes = Decimal(terms.minimum_minutes)
        paying[0].note = "minimum per request"
    return list(lines.values())


def _labour(line: _Line, debits: tuple[Debit, ...], discount: Decimal) -> LabourCharge:
    """Steps 5-7 for one line, given its allowance debits."""
    rate, coefficient = line.rate, line.coefficient
    plural = "s" if len(line.interventions) > 1 else ""
    numbers = f"intervention{plural} " + ", ".join(f"#{n}" for n in line.interventions)
    tool = (
        f" (remote tool set up: at least {line.remote_tool_minimum})"
        if line.has_remote_tool
        else ""
    )
    say = [
        f"{rate.key} ({line.mode}), {numbers}: {_fmt(line.minutes)} min{tool}, "
        f"billed {_fmt(line.billed_minutes)} min ({line.note})"
    ]
    if line.factors:
        factors = " x ".join(f"{name} {_fmt(factor)}" for name, factor in line.factors)
        say.append(f"x {_fmt(coefficient)} ({factors})")
    gross = discount_amount = ZERO
    if line.free_reasons:
        say.append("free: " + ", ".join(line.free_reasons))
        discount = NIL
    else:
        say += [f"{_fmt(d.minutes)} min from {d.bucket_key}" for d in debits]
        left = line.billed_minutes * coefficient - sum((d.minutes for d in debits), NIL)
        gross = round_money(left * rate.price_amount / rate.per_minutes)
        price = f"{_fmt(rate.price_amount)} per {rate.per_minutes} min"
        say.append(f"{_fmt(left)} min at {price} = {gross}" if left else "nothing left to bill")
        discount_amount = round_money(gross * discount)
        if discount_amount:
            net = gross - discount_amount
            say.append(
                f"less {_fmt(discount * 100)} % for the late response {discount_amount} = {net}"
            )
    return LabourCharge(
        rate_key=rate.key,
        mode=line.mode,
        interventions=tuple(line.interventions),
        minutes=line.minutes,
        billed_minutes=line.billed_minutes,
        coefficient=coefficient,
        coefficient_names=tuple(name for name, _ in line.factors),
        allowance_minutes=sum((d.minutes for d in debits), NIL),
        debits=debits,
        free_reasons=tuple(line.free_reasons),
        gross_amount=gross,
        discount=discount,
        discount_amount=discount_amount,
        amount=gross - discount_amount,
        explanation="; ".join(say),
    )


def _travel(
    number: int, iv: Intervention, travel: Travel, is_late_free: bool, *, is_in_town: bool
) -> TravelCharge:
    """Step 8: the trip of an on-site intervention; free with the intervention's labour."""
    reasons = _free_reasons(iv, is_late_free)
    if reasons:
        amount, why = ZERO, "free: " + ", ".join(reasons)
    elif is_in_town:
        amount = round_money(travel.in_town_amount)
        why = f"in town, {_fmt(travel.in_town_amount)} flat = {amount}"
    else:
        amount = round_money(travel.out_of_town_amount + travel.per_km_amount * iv.km)
        why = (
            f"out of town, {_fmt(travel.out_of_town_amount)} + {_fmt(travel.per_km_amount)}"
            f" x {_fmt(iv.km)} km = {amount}"
        )
    return TravelCharge(
        number, iv.km, is_in_town, reasons, amount, f"travel, intervention #{number}: {why}"
    )


def _part(number: int, iv: Intervention, part: Part, *, is_covered: bool) -> PartCharge:
    """Step 9; warranty covers the parts of the intervention it covers (decision)."""
    if is_covered:
        amount, why = ZERO, "covered by the plan"
    elif iv.is_warranty:
        amount, why = ZERO, "under warranty"
    elif not part.is_approved:
        amount, why = ZERO, "not approved by the customer"
    else:
        amount = round_money(part.quantity * part.unit_price_amount)
        why = f"{_fmt(part.quantity)} x {_fmt(part.unit_price_amount)} = {amount}"
    explanation = f"{part.name}, intervention #{number}: {why}"
    return PartCharge(number, part.name, part.quantity, part.unit_price_amount, amount, explanation)


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
    ledgers as they stand before this ticket, drawn on if valid at `closed_at`.
    """
    penalties = terms.penalties
    is_late_free = ticket.is_urgent and sla.is_onsite_late and penalties.is_late_onsite_urgent_free
    discount = NIL
    if not ticket.is_urgent:
        per_hour = penalties.late_response_discount_per_hour
        discount = late_response_discount(sla.response_late_minutes, per_hour)
    numbered = list(enumerate(sorted(ticket.interventions, key=lambda iv: iv.start_at), 1))
    lines = _lines(
        numbered,
        terms,
        is_urgent=ticket.is_urgent,
        is_late_free=is_late_free,
        is_working=is_working,
    )
    charges: list[Charge] = []
    debited: dict[str, Decimal] = {}
    current = tuple(buckets)
    for line in lines:
        debits: tuple[Debit, ...] = ()
        if not line.free_reasons:
            needed = line.billed_minutes * line.coefficient
            plan = plan_consumption(
                current, minutes=needed, rate_key=line.rate.key, mode=line.mode, at=closed_at
            )
            debits = plan.debits
            # Later lines of the same ticket see what earlier lines took.
            current = apply_debits(current, debits, at=closed_at, ref=ticket.key)
            for debit in debits:
                debited[debit.bucket_key] = debited.get(debit.bucket_key, NIL) + debit.minutes
        charges.append(_labour(line, debits, discount))
    if terms.travel is not None:
        charges += [
            _travel(number, iv, terms.travel, is_late_free, is_in_town=is_in_town)
            for number, iv in numbered
            if iv.mode == ONSITE
        ]
    for number, iv in numbered:
        charges += [_part(number, iv, p, is_covered=terms.is_parts_covered) for p in iv.parts]
    return Rating(
        ticket_key=ticket.key,
        currency=terms.currency,
        charges=tuple(charges),
        total_amount=sum((c.amount for c in charges), ZERO),
        debits=tuple(Debit(key, minutes) for key, minutes in debited.items()),
    )
