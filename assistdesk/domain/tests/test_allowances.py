"""Allowance ledgers: grants, uses, expiries and reversals; consumption order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistdesk.domain.allowances import (
    Bucket,
    BucketKind,
    Debit,
    Entry,
    EntryKind,
    add_months,
    apply_debits,
    expiry_write_off,
    monthly_bucket,
    package_bucket,
    plan_consumption,
    reversal_of,
)

D = Decimal
ROME = ZoneInfo("Europe/Rome")
BUCHAREST = ZoneInfo("Europe/Bucharest")


def at(text: str, tz: ZoneInfo = ROME) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


def remote(hours: int, purchased_on: str, validity_months: int = 12) -> Bucket:
    return package_bucket(
        f"remote{hours}",
        mode="remote",
        hours=hours,
        purchased_on=date.fromisoformat(purchased_on),
        validity_months=validity_months,
        tz=ROME,
    )


def test_a_package_ledger_story_buy_use_expire_buy_again() -> None:
    # Seed 000: 12 h bought, 3 h 20 min used, the rest expires after 12 months,
    # then a 24 h package (any size may follow).
    first = remote(12, "2025-03-10")
    assert first.granted_minutes == 720 and first.balance == 720

    plan = plan_consumption(
        [first], minutes=D(200), rate_key="remote", mode="remote", at=at("2025-06-02T11:00")
    )
    assert plan.debits == (Debit("package remote12 2025-03-10", D(200)),)
    (first,) = apply_debits([first], plan.debits, at=at("2025-06-02T11:00"), ref="A1")
    assert (first.used_minutes, first.balance) == (200, 520)

    assert expiry_write_off(first, now=at("2026-03-09T23:59")) is None  # still valid
    write_off = expiry_write_off(first, now=at("2026-03-12T08:00"))  # job ran late
    assert write_off == Entry(
        EntryKind.EXPIRY, D(-520), at("2026-03-10T00:00"), ref="package remote12 2025-03-10"
    )
    first = first.with_entries(write_off)
    assert (first.balance, first.expired_minutes, first.used_minutes) == (0, 520, 200)
    assert expiry_write_off(first, now=at("2026-04-01T00:00")) is None  # written off once

    second = remote(24, "2026-03-12")
    plan = plan_consumption(
        [first, second], minutes=D(45), rate_key="remote", mode="remote", at=at("2026-03-13T10:00")
    )
    assert plan.debits == (Debit("package remote24 2026-03-12", D(45)),)
    assert plan.remainder_minutes == 0


def test_the_month_allowance_comes_first_then_packages_first_expiring_first() -> None:
    month = monthly_bucket(date(2026, 2, 17), minutes=60, rate_keys={"remote"}, tz=ROME)
    newer = remote(12, "2026-02-16")  # expires 2027-02-16
    older = remote(12, "2025-03-10")  # expires 2026-03-10: drawn on before the newer one
    older = older.with_entries(Entry(EntryKind.USE, D(-690), at("2025-12-01T10:00")))

    plan = plan_consumption(
        [newer, older, month],
        minutes=D(135),
        rate_key="remote",
        mode="remote",
        at=at("2026-02-20T09:00"),
    )
    assert plan.debits == (
        Debit("monthly 2026-02", D(60)),
        Debit("package remote12 2025-03-10", D(30)),
        Debit("package remote12 2026-02-16", D(45)),
    )
    assert plan.consumed_minutes == 135 and plan.remainder_minutes == 0


def test_what_no_allowance_covers_is_left_to_bill() -> None:
    month = monthly_bucket(
        date(2026, 1, 5), minutes=300, rate_keys={"remote_support"}, tz=BUCHAREST
    )
    month = month.with_entries(Entry(EntryKind.USE, D(-60), at("2026-01-09T10:00", BUCHAREST)))
    plan = plan_consumption(
        [month],
        minutes=D(270),
        rate_key="remote_support",
        mode="remote",
        at=at("2026-01-14T09:00", BUCHAREST),
    )
    assert plan.debits == (Debit("monthly 2026-01", D(240)),)
    assert plan.remainder_minutes == 30


def test_the_month_allowance_serves_only_its_rates_and_packages_only_their_mode() -> None:
    month = monthly_bucket(
        date(2026, 1, 1), minutes=300, rate_keys={"remote_support"}, tz=BUCHAREST
    )
    onsite = package_bucket(
        "onsite24",
        mode="onsite",
        hours=24,
        purchased_on=date(2026, 1, 2),
        validity_months=12,
        tz=BUCHAREST,
    )
    when = at("2026-01-20T14:00", BUCHAREST)
    programming = plan_consumption(
        [month, onsite], minutes=D(45), rate_key="programming", mode="remote", at=when
    )
    assert programming.debits == () and programming.remainder_minutes == 45
    visit = plan_consumption(
        [month, onsite], minutes=D(90), rate_key="onsite", mode="onsite", at=when
    )
    assert visit.debits == (Debit("package onsite24 2026-01-02", D(90)),)


def test_a_package_is_usable_only_between_purchase_and_expiry() -> None:
    package = remote(12, "2026-02-16")
    assert package.expires_at == at("2027-02-16T00:00")
    for when, usable in [
        ("2026-02-15T23:59", False),  # not bought yet
        ("2026-02-16T00:00", True),
        ("2027-02-15T23:59", True),
        ("2027-02-16T00:00", False),  # expired: validity is half-open
    ]:
        plan = plan_consumption(
            [package], minutes=D(30), rate_key="remote", mode="remote", at=at(when)
        )
        assert (plan.remainder_minutes == 0) is usable, when


def test_the_month_allowance_is_valid_for_its_local_calendar_month() -> None:
    month = monthly_bucket(date(2026, 1, 20), minutes=300, rate_keys={"r"}, tz=BUCHAREST)
    assert month.key == "monthly 2026-01"
    assert month.granted_at == datetime(2025, 12, 31, 22, 0, tzinfo=UTC)
    assert month.expires_at == datetime(2026, 1, 31, 22, 0, tzinfo=UTC)
    assert month.is_valid_at(datetime(2026, 1, 31, 21, 59, tzinfo=UTC))
    assert not month.is_valid_at(datetime(2026, 1, 31, 22, 0, tzinfo=UTC))  # 1 Feb local
    second = monthly_bucket(
        date(2026, 1, 1), minutes=60, rate_keys={"p"}, tz=BUCHAREST, label="programming"
    )
    assert second.key == "monthly programming 2026-01"


def test_no_roll_over_the_unused_month_is_written_off_at_month_end() -> None:
    month = monthly_bucket(date(2026, 1, 1), minutes=300, rate_keys={"r"}, tz=BUCHAREST)
    month = month.with_entries(Entry(EntryKind.USE, D(-120), at("2026-01-14T09:00", BUCHAREST)))
    write_off = expiry_write_off(month, now=at("2026-02-01T00:00", BUCHAREST))
    assert write_off is not None and write_off.minutes == -180
    assert write_off.at == at("2026-02-01T00:00", BUCHAREST)


def test_a_reversal_gives_the_minutes_back_and_keeps_the_history() -> None:
    package = remote(12, "2026-01-05")
    use = Entry(EntryKind.USE, D(-90), at("2026-01-20T09:00"), ref="T7")
    package = package.with_entries(use)
    package = package.with_entries(reversal_of(use, at=at("2026-01-22T09:00")))
    assert package.balance == 720 and package.used_minutes == 0
    assert [e.kind for e in package.entries] == ["grant", "use", "reversal"]
    assert package.entries[-1].ref == "T7"
    with pytest.raises(ValueError):
        reversal_of(package.entries[-1], at=at("2026-01-23T09:00"))


def test_fractional_minutes_from_coefficients_are_debited_exactly() -> None:
    package = remote(12, "2026-01-05")
    plan = plan_consumption(
        [package],
        minutes=D(45) * D("1.5"),
        rate_key="remote",
        mode="remote",
        at=at("2026-01-06T10:00"),
    )
    assert plan.debits == (Debit("package remote12 2026-01-05", D("67.5")),)


def test_never_below_zero_unless_the_bucket_allows_overdraft() -> None:
    package = remote(12, "2026-01-05")
    when = at("2026-01-06T10:00")
    assert (
        plan_consumption(
            [package], minutes=D(800), rate_key="r", mode="remote", at=when
        ).remainder_minutes
        == 80
    )
    lenient = Bucket(
        package.key,
        BucketKind.PACKAGE,
        package.granted_at,
        package.expires_at,
        mode="remote",
        entries=package.entries,
        allows_overdraft=True,
    )
    plan = plan_consumption([lenient], minutes=D(800), rate_key="r", mode="remote", at=when)
    assert plan.remainder_minutes == 0
    (lenient,) = apply_debits([lenient], plan.debits, at=when)
    assert lenient.balance == -80
    assert expiry_write_off(lenient, now=lenient.expires_at) is None  # owed, not expired


@pytest.mark.parametrize(
    ("kind", "minutes"),
    [(EntryKind.GRANT, D(-1)), (EntryKind.USE, D(1)), (EntryKind.EXPIRY, D(5))],
)
def test_entries_carry_the_sign_of_their_kind(kind: EntryKind, minutes: Decimal) -> None:
    with pytest.raises(ValueError):
        Entry(kind, minutes, at("2026-01-01T00:00"))


def test_entries_and_buckets_refuse_naive_instants() -> None:
    with pytest.raises(ValueError):
        Entry(EntryKind.GRANT, D(1), datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        Bucket(
            "x", BucketKind.PACKAGE, at("2026-01-01T00:00"), at("2025-01-01T00:00"), mode="remote"
        )


@pytest.mark.parametrize(
    ("on", "months", "expected"),
    [
        (date(2025, 3, 10), 12, date(2026, 3, 10)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
    ],
)
def test_add_months(on: date, months: int, expected: date) -> None:
    assert add_months(on, months) == expected


# --- properties -------------------------------------------------------------------------

START = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def bucket_sets(draw: st.DrawFn) -> list[Bucket]:
    buckets = []
    for index in range(draw(st.integers(0, 5))):
        granted_at = START + timedelta(days=draw(st.integers(0, 60)))
        balance = D(draw(st.integers(0, 2000)))
        used = D(draw(st.integers(0, 2000)))
        entries = (
            Entry(EntryKind.GRANT, balance + used, granted_at),
            Entry(EntryKind.USE, -used, granted_at),
        )
        buckets.append(
            Bucket(
                f"b{index}",
                draw(st.sampled_from(list(BucketKind))),
                granted_at,
                granted_at + timedelta(days=draw(st.integers(1, 400))),
                rate_keys=frozenset(draw(st.sets(st.sampled_from(["r1", "r2"])))),
                mode=draw(st.sampled_from(["remote", "onsite"])),
                entries=entries,
            )
        )
    return buckets


@given(
    bucket_sets(),
    st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False),
    st.sampled_from(["r1", "r2"]),
    st.sampled_from(["remote", "onsite"]),
    st.integers(0, 120),
)
def test_consumption_laws(
    buckets: list[Bucket], minutes: Decimal, rate_key: str, mode: str, day: int
) -> None:
    when = START + timedelta(days=day)
    plan = plan_consumption(buckets, minutes=minutes, rate_key=rate_key, mode=mode, at=when)
    assert plan.consumed_minutes + plan.remainder_minutes == minutes
    assert plan.remainder_minutes >= 0
    by_key = {b.key: b for b in buckets}
    for debit in plan.debits:
        bucket = by_key[debit.bucket_key]
        assert 0 < debit.minutes <= bucket.balance
        assert bucket.is_valid_at(when) and bucket.covers(rate_key, mode)
    usable = sum(
        (b.balance for b in buckets if b.is_valid_at(when) and b.covers(rate_key, mode)), D(0)
    )
    assert plan.consumed_minutes == min(minutes, usable)  # nothing usable is left unused
    after = apply_debits(buckets, plan.debits, at=when)
    assert all(b.balance >= 0 for b in after)
    assert sum(b.balance for b in buckets) - sum(b.balance for b in after) == plan.consumed_minutes
