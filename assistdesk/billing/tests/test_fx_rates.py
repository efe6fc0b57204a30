"""Importing the feeds (idempotent) and the rate that applies on a day."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.error import URLError

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assistdesk.billing import tasks
from assistdesk.billing.fx import importer
from assistdesk.billing.fx.importer import fx_rate_record, fx_rates_import, fx_rates_import_from
from assistdesk.billing.fx.rates import RateNotFound, rate_on
from assistdesk.billing.models import ExchangeRate
from assistdesk.common import clock

pytestmark = pytest.mark.django_db
D = Decimal
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def fx(shared_dir: Path, name: str) -> str:
    return str(shared_dir / "samples" / "fx" / name)


@pytest.fixture
def bnr(shared_dir: Path) -> None:
    fx_rates_import_from(
        source="bnr", location=fx(shared_dir, "bnr-nbrfxrates-multi-day.xml"), actor="t", now=NOW
    )


def test_importing_twice_changes_nothing_and_a_correction_replaces_the_day(
    shared_dir: Path,
) -> None:
    path = fx(shared_dir, "bnr-nbrfxrates-multi-day.xml")
    first = fx_rates_import_from(source="bnr", location=path, actor="t", now=NOW)
    assert (first.created, first.updated, first.unchanged) == (9, 0, 0)
    assert (first.first_on, first.last_on) == (date(2026, 11, 26), date(2026, 12, 2))
    again = fx_rates_import_from(source="bnr", location=path, actor="t", now=NOW)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
    assert ExchangeRate.objects.count() == 9

    # The daily file of 27 Nov overlaps (same values) and adds the other currencies.
    daily = fx_rates_import_from(
        source="bnr", location=fx(shared_dir, "bnr-nbrfxrates-daily.xml"), actor="t", now=NOW
    )
    assert (daily.created, daily.updated, daily.unchanged) == (18, 0, 3)
    huf = ExchangeRate.objects.get(
        source="bnr", published_on=date(2026, 11, 27), from_currency="HUF"
    )
    assert (huf.rate, huf.multiplier, huf.to_currency) == (D("0.013215"), 100, "RON")

    corrected = Path(path).read_bytes().replace(b">5.0874<", b">5.0875<")
    result = fx_rates_import(source="bnr", data=corrected, actor="t", now=NOW)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 8)
    assert rate_on("EUR", "RON", date(2026, 11, 27)).rate == D("5.0875")


def test_the_rate_of_a_weekend_or_holiday_is_the_last_one_published_before(bnr: None) -> None:
    friday = rate_on("EUR", "RON", date(2026, 11, 27))
    assert (friday.rate, friday.source, friday.published_on, friday.how) == (
        D("5.0874"), "bnr", date(2026, 11, 27), "direct",
    )  # fmt: skip
    # Saturday, Sunday, St Andrew (Mon 30 Nov) and National Day (Tue 1 Dec): Friday's rate
    for day in (28, 29, 30):
        assert rate_on("EUR", "RON", date(2026, 11, day)).published_on == date(2026, 11, 27)
    assert rate_on("EUR", "RON", date(2026, 12, 1)).rate == D("5.0874")
    assert rate_on("EUR", "RON", date(2026, 12, 2)).rate == D("5.0891")
    with pytest.raises(RateNotFound, match="EUR->RON"):
        rate_on("EUR", "RON", date(2026, 11, 25))


def test_inverse_and_cross_rates_come_from_one_publication(bnr: None) -> None:
    inverse = rate_on("RON", "EUR", date(2026, 11, 28))
    assert (inverse.rate, inverse.how) == (D("0.1965640602"), "inverse")  # 1 / 5.0874
    # USD -> HUF through RON: 4.3717 / 0.013215, both of 27 Nov
    cross = rate_on("USD", "HUF", date(2026, 11, 29))
    assert (cross.rate, cross.how, cross.source) == (D("330.8134695422"), "cross via RON", "bnr")
    with pytest.raises(RateNotFound):
        rate_on("EUR", "CHF", date(2026, 11, 29))  # CHF is only in the daily file


def test_the_ecb_serves_pairs_without_ron_and_stands_in_for_bnr(shared_dir: Path) -> None:
    fx_rates_import_from(
        source="ecb", location=fx(shared_dir, "ecb-eurofxref-hist-90d.xml"), actor="t", now=NOW
    )
    # Christmas: no publication on 25 and 26 Dec, the 24th applies
    usd = rate_on("EUR", "USD", date(2026, 12, 26))
    assert (usd.rate, usd.source, usd.published_on, usd.how) == (
        D("1.1688"), "ecb", date(2026, 12, 24), "direct",
    )  # fmt: skip
    assert rate_on("USD", "EUR", date(2026, 12, 28)).rate == D("0.8545547770")  # 1 / 1.1702
    assert rate_on("USD", "RON", date(2026, 12, 28)).how == "cross via EUR"
    # No BNR rate at all: EUR -> RON falls back to the ECB's
    assert rate_on("EUR", "RON", date(2026, 12, 31)).rate == D("5.0911")


def test_bnr_is_preferred_for_ron_and_a_manual_rate_of_the_day_overrides(
    shared_dir: Path, bnr: None
) -> None:
    fx_rates_import_from(
        source="ecb", location=fx(shared_dir, "ecb-eurofxref-daily.xml"), actor="t", now=NOW
    )
    assert rate_on("EUR", "RON", date(2026, 11, 27)).source == "bnr"  # ECB says 5.0870
    fx_rate_record(
        published_on=date(2026, 11, 27),
        from_currency="EUR",
        to_currency="RON",
        rate=D("5.1000"),
        actor="accountant",
        now=NOW,
    )
    assert rate_on("EUR", "RON", date(2026, 11, 28)).rate == D("5.1000")
    assert rate_on("EUR", "RON", date(2026, 12, 2)).rate == D("5.0891")  # BNR is newer again


def test_the_command_imports_a_file_and_names_a_bad_one(
    shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("fxrates", "--source", "ecb", fx(shared_dir, "ecb-eurofxref-daily.xml"))
    assert (
        "ecb: 16 new, 0 corrected, 0 unchanged (2026-11-27..2026-11-27)" in capsys.readouterr().out
    )
    with pytest.raises(CommandError, match="BNR feed starts with"):
        call_command("fxrates", "--source", "bnr", fx(shared_dir, "ecb-eurofxref-daily.xml"))
    with pytest.raises(CommandError, match="only http"):
        call_command("fxrates", "--source", "bnr", "ftp://example.com/x.xml")


def test_the_daily_job_offline_logs_and_does_not_fail(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, shared_dir: Path
) -> None:
    def offline(location: str) -> bytes:
        raise URLError("no network in tests")

    monkeypatch.setattr(importer, "feed_read", offline)
    with caplog.at_level(logging.WARNING), clock.frozen_at(NOW):
        assert tasks.import_exchange_rates.call() == []
    assert caplog.text.count("next run retries") == 2
    assert not ExchangeRate.objects.exists()

    # Back online (the samples standing in for the banks): both imported, then skipped.
    samples = {
        "https://www.bnr.ro/nbrfxrates.xml": "bnr-nbrfxrates-daily.xml",
        importer.FEED_URLS["ecb"]: "ecb-eurofxref-daily.xml",
    }
    monkeypatch.setattr(
        importer, "feed_read", lambda location: Path(fx(shared_dir, samples[location])).read_bytes()
    )
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    with clock.frozen_at(friday):
        assert len(tasks.import_exchange_rates.call()) == 2
        assert tasks.import_exchange_rates.call() == []
