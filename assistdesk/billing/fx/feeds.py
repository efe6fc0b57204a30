"""The two central-bank feed formats, parsed into quotes (pure: bytes in, quotes out).

BNR (`nbrfxrates.xml`, `nbrfxrates10days.xml`, the yearly files): `<Cube date="...">`
blocks of `<Rate currency="X" [multiplier="100"]>v</Rate>`, meaning `v` RON for
`multiplier` units of X (multiplier absent = 1). A quote is stored per ONE unit, so
`v / multiplier`; the division by a power of ten is exact.

ECB (`eurofxref-daily.xml`, `eurofxref-hist-90d.xml`, `eurofxref-hist.xml`): nested
`<Cube time="...">` blocks of `<Cube currency="X" rate="v"/>`, meaning `v` X per 1 EUR.

Both feeds may list days newest first or in any order: quotes come out sorted by
(date, currency). Elements are matched by local name, so the namespaces (which the banks
have changed before) do not matter.

A feed is bytes from a bank's server; it never carries a DTD, so a document that declares
one is refused before parsing (no entity expansion of any kind reaches the parser).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

BNR_BASE = "RON"
ECB_BASE = "EUR"
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class FeedError(ValueError):
    """A feed that is not what it claims to be; the message says where."""


@dataclass(frozen=True, order=True)
class Quote:
    """`rate` units of `to_currency` for one unit of `from_currency` on `published_on`."""

    published_on: date
    from_currency: str
    to_currency: str
    rate: Decimal
    multiplier: int = 1


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _root(data: bytes) -> ET.Element:
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise FeedError("the feed declares a DTD; central-bank feeds never do")
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD (checked above)
    except ET.ParseError as error:
        raise FeedError(f"not well-formed XML: {error}") from None


def _date(text: str | None, where: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise FeedError(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None


def _currency(text: str | None, where: str) -> str:
    code = (text or "").strip()
    if not _CURRENCY.match(code):
        raise FeedError(f"{where}: {text!r} is not a currency code")
    return code


def _positive(text: str | None, where: str) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise FeedError(f"{where}: {text!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise FeedError(f"{where}: {text!r} is not a positive rate")
    return value


def parse_bnr(data: bytes) -> list[Quote]:
    """Quotes X -> RON per one X, every `Cube` of a BNR daily or multi-day feed."""
    root = _root(data)
    if _local(root.tag) != "DataSet":
        raise FeedError(f"a BNR feed starts with <DataSet>, not <{_local(root.tag)}>")
    quotes = []
    for cube in (e for e in root.iter() if _local(e.tag) == "Cube"):
        on = _date(cube.get("date"), "Cube date")
        for rate in (e for e in cube if _local(e.tag) == "Rate"):
            where = f"Cube {on} Rate {rate.get('currency')}"
            currency = _currency(rate.get("currency"), where)
            multiplier_text = rate.get("multiplier", "1").strip()
            if not multiplier_text.isdigit() or int(multiplier_text) == 0:
                raise FeedError(f"{where}: multiplier {multiplier_text!r} is not a whole number")
            multiplier = int(multiplier_text)
            value = _positive(rate.text, where)
            quotes.append(Quote(on, currency, BNR_BASE, value / multiplier, multiplier))
    if not quotes:
        raise FeedError("no <Cube date> with rates in the BNR feed")
    return sorted(quotes)


def parse_ecb(data: bytes) -> list[Quote]:
    """Quotes EUR -> X per one EUR, every `Cube time` of an ECB daily or history feed."""
    root = _root(data)
    if _local(root.tag) != "Envelope":
        raise FeedError(f"an ECB feed starts with <gesmes:Envelope>, not <{_local(root.tag)}>")
    quotes = []
    for day in (e for e in root.iter() if _local(e.tag) == "Cube" and e.get("time")):
        on = _date(day.get("time"), "Cube time")
        for cube in (e for e in day if _local(e.tag) == "Cube"):
            where = f"Cube {on} currency {cube.get('currency')}"
            currency = _currency(cube.get("currency"), where)
            quotes.append(Quote(on, ECB_BASE, currency, _positive(cube.get("rate"), where)))
    if not quotes:
        raise FeedError("no <Cube time> with rates in the ECB feed")
    return sorted(quotes)


PARSERS = {"bnr": parse_bnr, "ecb": parse_ecb}
