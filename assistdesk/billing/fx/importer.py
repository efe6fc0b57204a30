"""Importing central-bank rates: from a file or an http(s) URL, idempotently.

A quote is identified by (source, published_on, from, to). Importing the same feed twice
changes nothing; a quote that differs from the stored one (a bank's correction) replaces
it and is logged. Issued invoices are not affected: each keeps the rate it used.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from assistdesk.billing.fx.feeds import PARSERS, FeedError, Quote
from assistdesk.billing.models import ExchangeRate, FxSource

log = logging.getLogger(__name__)

# The banks' current publications (no setting: they are the same for every provider).
FEED_URLS = {
    FxSource.BNR: "https://www.bnr.ro/nbrfxrates.xml",
    FxSource.ECB: "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml",
}
TIMEOUT_SECONDS = 30
USER_AGENT = "AssistDesk exchange-rate import"


@dataclass(frozen=True)
class ImportResult:
    source: str
    created: int
    updated: int
    unchanged: int
    first_on: date | None
    last_on: date | None

    def __str__(self) -> str:
        span = f"{self.first_on}..{self.last_on}" if self.first_on else "no dates"
        return (
            f"{self.source}: {self.created} new, {self.updated} corrected, "
            f"{self.unchanged} unchanged ({span})"
        )


def feed_read(location: str) -> bytes:
    """The bytes of a feed at an http(s) URL or in a local file."""
    if location.startswith(("http://", "https://")):
        request = urllib.request.Request(location, headers={"User-Agent": USER_AGENT})  # noqa: S310 - scheme checked
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            data: bytes = response.read()
            return data
    if "://" in location:
        raise FeedError(f"{location}: only http(s) URLs and file paths are read")
    return Path(location).read_bytes()


def fx_rates_import(*, source: str, data: bytes, actor: str, now: datetime) -> ImportResult:
    """Store every quote of a feed of `source` (bnr or ecb); idempotent."""
    if source not in PARSERS:
        raise FeedError(f"source {source!r}: one of {sorted(PARSERS)}")
    quotes = PARSERS[source](data)
    return _store(source, quotes, now=now)


def fx_rates_import_from(*, source: str, location: str, actor: str, now: datetime) -> ImportResult:
    """Read the feed at `location` (file path or URL) and import it."""
    return fx_rates_import(source=source, data=feed_read(location), actor=actor, now=now)


def _store(source: str, quotes: list[Quote], *, now: datetime) -> ImportResult:
    days = sorted({q.published_on for q in quotes})
    with transaction.atomic():
        existing = {
            (r.published_on, r.from_currency, r.to_currency): r
            for r in ExchangeRate.objects.select_for_update().filter(
                source=source, published_on__in=days
            )
        }
        new, changed = [], []
        for quote in quotes:
            row = existing.get((quote.published_on, quote.from_currency, quote.to_currency))
            if row is None:
                new.append(
                    ExchangeRate(
                        source=source,
                        published_on=quote.published_on,
                        from_currency=quote.from_currency,
                        to_currency=quote.to_currency,
                        rate=quote.rate,
                        multiplier=quote.multiplier,
                    )
                )
            elif row.rate != quote.rate or row.multiplier != quote.multiplier:
                log.warning("%s corrected %s: %s -> %s", source, row, row.rate, quote.rate)
                row.rate, row.multiplier, row.updated_at = quote.rate, quote.multiplier, now
                changed.append(row)
        ExchangeRate.objects.bulk_create(new)
        ExchangeRate.objects.bulk_update(changed, ["rate", "multiplier", "updated_at"])
    return ImportResult(
        source=source,
        created=len(new),
        updated=len(changed),
        unchanged=len(quotes) - len(new) - len(changed),
        first_on=days[0] if days else None,
        last_on=days[-1] if days else None,
    )


def fx_rate_record(
    *,
    published_on: date,
    from_currency: str,
    to_currency: str,
    rate: Decimal,
    source: str = FxSource.MANUAL,
    actor: str,
    now: datetime,
) -> ExchangeRate:
    """Record one rate by hand (or from a scenario's `fx_rates`); replaces that day's."""
    quote = Quote(published_on, from_currency, to_currency, rate)
    for code in (from_currency, to_currency):
        if len(code) != 3 or not code.isalpha() or not code.isupper():
            raise FeedError(f"{code!r} is not a currency code")
    if from_currency == to_currency or not rate.is_finite() or rate <= 0:
        raise FeedError(f"not a rate: 1 {from_currency} = {rate} {to_currency}")
    _store(source, [quote], now=now)
    return ExchangeRate.objects.get(
        source=source,
        published_on=published_on,
        from_currency=from_currency,
        to_currency=to_currency,
    )
