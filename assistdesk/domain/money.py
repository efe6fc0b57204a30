"""Money: exact decimal amounts, one rounding rule, currency conversion and VAT.

Terms
- *amount*: a `Decimal` in some currency (the currency travels next to it, or inside a
  `Money`). Built from strings or integers, never from floats: `Decimal(0.1)` is not 0.1.
- *cent*: the smallest unit an invoice shows, `0.01`. Every currency AssistDesk bills in
  (EUR, RON, ...) has two decimals.
- *rate*: an FX rate, "units of the target currency per unit of the source currency",
  already including the plan's markup (see `rate_with_markup`).

Invariants
- `round_money` is the only place in the project that rounds money: half-up to the cent
  (DESIGN.md §2.6 "rounded half-up to the cent per line"). Intermediate products (minutes
  x price, rate x markup) stay exact and are rounded once, where a line is produced.
- A conversion converts and rounds each line (§2.7), so a converted total is the sum of
  its converted lines, not the conversion of the original total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from assistdesk.domain.errors import DomainError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_decimal(value: str | int | Decimal) -> Decimal:
    """An exact `Decimal` from a string, an int or a Decimal; floats are refused.

    Strings are how money arrives (YAML, forms, the API); a float has already lost the
    exact value, so accepting one would hide a bug upstream.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(f"money must be built from str, int or Decimal, not {type(value).__name__}")
    result = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    if not result.is_finite():
        raise DomainError(f"not a finite amount: {value!r}")
    return result


def round_money(amount: Decimal) -> Decimal:
    """`amount` rounded half-up to the cent: the one money rounding of the project."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_with_markup(central_rate: Decimal, markup: Decimal) -> Decimal:
    """The conversion rate actually applied: the central bank's rate plus the plan's markup.

    Left exact (5.0876 x 1.02 = 5.189352): the rate is shown on the invoice as computed,
    and only converted amounts are rounded.
    """
    return central_rate * (Decimal(1) + markup)


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """One line's amount in the invoice currency, rounded to the cent (§2.7)."""
    return round_money(amount * rate)


def vat_amount(net_amount: Decimal, rate_percent: Decimal) -> Decimal:
    """VAT on a net amount at `rate_percent` (e.g. `Decimal("21")` for 21 %), to the cent."""
    return round_money(net_amount * rate_percent / HUNDRED)


def vat_by_rate(lines: Iterable[tuple[Decimal, Decimal]]) -> dict[Decimal, Decimal]:
    """VAT per rate for `(net_amount, rate_percent)` lines: nets summed per rate, then taxed.

    Summing before taxing is what §2.7 means by "VAT on the converted net per rate": the
    tax of an invoice does not depend on how its lines happen to be split.
    """
    nets: dict[Decimal, Decimal] = {}
    for net_amount, rate_percent in lines:
        nets[rate_percent] = nets.get(rate_percent, ZERO) + net_amount
    return {rate: vat_amount(net, rate) for rate, net in nets.items()}


@dataclass(frozen=True)
class Money:
    """An amount together with its ISO 4217 currency code.

    Adding or comparing amounts of different currencies is a bug, so it raises rather
    than silently mixing them; conversion is explicit (`converted`).
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise DomainError(f"not an ISO 4217 currency code: {self.currency!r}")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(ZERO, currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise DomainError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def rounded(self) -> Money:
        return Money(round_money(self.amount), self.currency)

    def converted(self, rate: Decimal, currency: str) -> Money:
        """This amount in `currency` at `rate` (markup included), rounded to the cent."""
        return Money(convert(self.amount, rate), currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
