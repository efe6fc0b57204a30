"""The central-bank rate that applies on a day (DESIGN.md §2.7).

`rate_on(from, to, on)`: the rate of the latest publication on or before `on`, so an
invoice dated on a Saturday, or on a bank holiday, takes the last working day's rate.

What is supported
- Each bank publishes against its base: BNR gives RON per unit of X, ECB gives X per EUR.
  From one bank and one publication day, AssistDesk derives any pair it quotes:
  direct (EUR->RON from BNR, EUR->USD from ECB: the published number, exact), inverse
  (RON->EUR from BNR: 1 / rate) and crossed through the base (USD->EUR from BNR:
  USD->RON / EUR->RON). Both legs of a cross come from the same publication day.
- Manual rates (typed in, or a scenario's `fx_rates`) are used direct or inverse.
- Which source: the central bank of the pair, BNR when RON is one of the two currencies,
  the ECB otherwise, together with manual rates: the latest publication of the two wins,
  a manual rate on the same day wins (it is an operator's correction). When that bank
  has nothing for the pair, the other bank is asked.
- A derived (inverse or crossed) rate is rounded half-up to 10 decimal places; a
  published rate is used exactly as published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from assistdesk.billing.fx.feeds import BNR_BASE, ECB_BASE
from assistdesk.billing.models import ExchangeRate, FxSource

DERIVED_PLACES = Decimal("1E-10")
BASES: dict[str, str] = {FxSource.BNR: BNR_BASE, FxSource.ECB: ECB_BASE}
# How many older publication days to try when one leg of a cross is missing on a day.
MAX_DAYS_BACK = 10


class RateNotFound(LookupError):
    """No publication on or before the day gives the pair."""


@dataclass(frozen=True)
class CentralRate:
    """`rate` units of `to_currency` per one `from_currency`, and where it comes from."""

    from_currency: str
    to_currency: str
    rate: Decimal
    source: str
    published_on: date
    how: str  # "direct", "inverse" or "cross via RON"


def _derived(value: Decimal) -> Decimal:
    return value.quantize(DERIVED_PLACES, rounding=ROUND_HALF_UP)


def _latest(source: str, from_currency: str, to_currency: str, on: date) -> ExchangeRate | None:
    return (
        ExchangeRate.objects.filter(
            source=source,
            from_currency=from_currency,
            to_currency=to_currency,
            published_on__lte=on,
        )
        .order_by("-published_on")
        .first()
    )


def _manual(from_currency: str, to_currency: str, on: date) -> CentralRate | None:
    direct = _latest(FxSource.MANUAL, from_currency, to_currency, on)
    inverse = _latest(FxSource.MANUAL, to_currency, from_currency, on)
    if direct is not None and (inverse is None or direct.published_on >= inverse.published_on):
        return CentralRate(
            from_currency, to_currency, direct.rate, FxSource.MANUAL, direct.published_on, "direct"
        )
    if inverse is not None:
        return CentralRate(
            from_currency,
            to_currency,
            _derived(1 / inverse.rate),
            FxSource.MANUAL,
            inverse.published_on,
            "inverse",
        )
    return None


def _leg(source: str, currency: str, on: date) -> ExchangeRate | None:
    """The latest row of `source` quoting `currency` against the bank's base."""
    base = BASES[source]
    if source == FxSource.BNR:
        return _latest(source, currency, base, on)
    return _latest(source, base, currency, on)


def _as_fraction(source: str, row: ExchangeRate | None) -> tuple[Decimal, Decimal]:
    """Base units per one currency, as (numerator, denominator): exact until divided."""
    if row is None:  # the base itself
        return Decimal(1), Decimal(1)
    return (row.rate, Decimal(1)) if source == FxSource.BNR else (Decimal(1), row.rate)


def _bank(source: str, from_currency: str, to_currency: str, on: date) -> CentralRate | None:
    base = BASES[source]
    day = on
    for _ in range(MAX_DAYS_BACK):
        legs = {}
        for currency in (from_currency, to_currency):
            if currency != base:
                row = _leg(source, currency, day)
                if row is None:
                    return None
                legs[currency] = row
        days = {row.published_on for row in legs.values()}
        if len(days) > 1:
            day = min(days)  # one leg is missing on the newer day: both from an older one
            continue
        (published_on,) = days
        f_num, f_den = _as_fraction(source, legs.get(from_currency))
        t_num, t_den = _as_fraction(source, legs.get(to_currency))
        numerator, denominator = f_num * t_den, f_den * t_num
        if denominator == 1:
            rate, how = numerator, "direct"
        elif base in (from_currency, to_currency):
            rate, how = _derived(numerator / denominator), "inverse"
        else:
            rate, how = _derived(numerator / denominator), f"cross via {base}"
        return CentralRate(from_currency, to_currency, rate, source, published_on, how)
    return None


def preferred_bank(from_currency: str, to_currency: str) -> str:
    return FxSource.BNR if BNR_BASE in (from_currency, to_currency) else FxSource.ECB


def rate_on(from_currency: str, to_currency: str, on: date) -> CentralRate:
    """The central rate from `from_currency` to `to_currency` that applies on `on`."""
    if from_currency == to_currency:
        raise ValueError(f"no conversion from {from_currency} to itself")
    bank = preferred_bank(from_currency, to_currency)
    other = FxSource.ECB if bank == FxSource.BNR else FxSource.BNR
    candidates = [
        c
        for c in (
            _manual(from_currency, to_currency, on),
            _bank(bank, from_currency, to_currency, on),
        )
        if c is not None
    ]
    if candidates:
        # Latest day first; on the same day the manual rate (listed first) stays first.
        return max(candidates, key=lambda c: (c.published_on, c.source == FxSource.MANUAL))
    fallback = _bank(other, from_currency, to_currency, on)
    if fallback is None:
        raise RateNotFound(f"no {from_currency}->{to_currency} rate published on or before {on}")
    return fallback
