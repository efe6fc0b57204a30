"""The BNR and ECB feed formats, read from the shared samples (never the network)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from assistdesk.billing.fx.feeds import FeedError, Quote, parse_bnr, parse_ecb

D = Decimal


def sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "samples" / "fx" / name).read_bytes()


def test_bnr_daily_is_ron_per_one_unit_with_the_multiplier_divided_out(shared_dir: Path) -> None:
    quotes = {q.from_currency: q for q in parse_bnr(sample(shared_dir, "bnr-nbrfxrates-daily.xml"))}
    assert len(quotes) == 21
    assert quotes["EUR"] == Quote(date(2026, 11, 27), "EUR", "RON", D("5.0874"), 1)
    # <Rate currency="HUF" multiplier="100">1.3215</Rate>: 1.3215 RON for 100 HUF
    assert quotes["HUF"] == Quote(date(2026, 11, 27), "HUF", "RON", D("0.013215"), 100)
    assert quotes["JPY"].rate == D("0.028904") and quotes["KRW"].rate == D("0.003098")
    assert quotes["XAU"].rate == D("562.3310")
    assert {q.to_currency for q in quotes.values()} == {"RON"}


def test_bnr_multi_day_comes_out_sorted_by_date_whatever_the_file_order(shared_dir: Path) -> None:
    quotes = parse_bnr(sample(shared_dir, "bnr-nbrfxrates-multi-day.xml"))
    days = [q.published_on for q in quotes]
    assert days == sorted(days)
    assert sorted(set(days)) == [date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 2)]
    eur = [(q.published_on, q.rate) for q in quotes if q.from_currency == "EUR"]
    assert eur == [
        (date(2026, 11, 26), D("5.0866")),
        (date(2026, 11, 27), D("5.0874")),
        (date(2026, 12, 2), D("5.0891")),
    ]


def test_ecb_daily_is_units_per_one_euro(shared_dir: Path) -> None:
    quotes = {q.to_currency: q for q in parse_ecb(sample(shared_dir, "ecb-eurofxref-daily.xml"))}
    assert len(quotes) == 16
    assert quotes["RON"] == Quote(date(2026, 11, 27), "EUR", "RON", D("5.0870"), 1)
    assert quotes["JPY"].rate == D("176.02") and quotes["GBP"].rate == D("0.86770")
    assert {q.from_currency for q in quotes.values()} == {"EUR"}


def test_ecb_history_newest_first_is_sorted_and_skips_the_christmas_holidays(
    shared_dir: Path,
) -> None:
    quotes = parse_ecb(sample(shared_dir, "ecb-eurofxref-hist-90d.xml"))
    assert [(q.published_on, q.to_currency, q.rate) for q in quotes] == [
        (date(2026, 12, 24), "RON", D("5.0905")),
        (date(2026, 12, 24), "USD", D("1.1688")),
        (date(2026, 12, 28), "RON", D("5.0911")),
        (date(2026, 12, 28), "USD", D("1.1702")),
    ]


BNR_ENVELOPE = (
    '<?xml version="1.0"?><DataSet xmlns="http://www.bnr.ro/xsd"><Body>{}</Body></DataSet>'
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<Cube date="2026-13-01"><Rate currency="EUR">5</Rate></Cube>', "not a date"),
        ('<Cube date="2026-01-02"><Rate currency="EURO">5</Rate></Cube>', "not a currency"),
        ('<Cube date="2026-01-02"><Rate currency="EUR">five</Rate></Cube>', "not a number"),
        ('<Cube date="2026-01-02"><Rate currency="EUR">-5</Rate></Cube>', "not a positive"),
        (
            '<Cube date="2026-01-02"><Rate currency="HUF" multiplier="x">1</Rate></Cube>',
            "multiplier",
        ),
        ("", "no <Cube date>"),
    ],
)
def test_a_broken_bnr_feed_says_where(body: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_bnr(BNR_ENVELOPE.format(body).encode())


def test_the_wrong_feed_or_a_dtd_is_refused(shared_dir: Path) -> None:
    with pytest.raises(FeedError, match="BNR feed starts with"):
        parse_bnr(sample(shared_dir, "ecb-eurofxref-daily.xml"))
    with pytest.raises(FeedError, match="ECB feed starts with"):
        parse_ecb(sample(shared_dir, "bnr-nbrfxrates-daily.xml"))
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><DataSet>&a;</DataSet>'
    with pytest.raises(FeedError, match="DTD"):
        parse_bnr(bomb)
    with pytest.raises(FeedError, match="not well-formed"):
        parse_ecb(b"<gesmes:Envelope")
