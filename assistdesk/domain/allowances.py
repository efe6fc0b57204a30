"""Allowances as ledgers: prepaid packages and included monthly minutes (DESIGN.md §2.3).

Terms
- *bucket*: one source of prepaid time and its ledger. Either the month's included
  allowance ("monthly 2026-01", valid for that calendar month, usable by the plan's
  listed rate keys) or a prepaid package of one mode ("remote" or "onsite") valid from its
  purchase until its expiry instant.
- *entry*: one signed movement on a bucket: `grant` (+), `use` (-), `expiry` (-, the
  write-off of what was left when the bucket expired) and `reversal` (the opposite of an
  earlier entry, e.g. when a rated ticket is reopened and rated again).
- *debit*: minutes that a consumption plan takes from one bucket; written as a `use`.

Units: minutes as `Decimal`, because consumption counts minutes x coefficients (45 min at
x1.5 uses 67.5 min). Instants are aware datetimes (`*_at`); validity is the half-open
interval `granted_at <= at < expires_at`.

Invariants
- Ledgers are append-only; a balance is the sum of the entries, never a stored counter.
- Without `allows_overdraft` a bucket is never taken below zero.
- A plan's debits plus its remainder equal the minutes asked for.
- Order of consumption (§2.3, §2.6 step 6): the month's included allowance whose rate keys
  include the line's rate, then packages of the intervention's mode, first-expiring-first.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from enum import StrEnum

from assistdesk.domain.errors import DomainError

ZERO = Decimal(0)
MINUTES_PER_HOUR = 60


class EntryKind(StrEnum):
    GRANT = "grant"  # minutes credited: a package bought, a month's allowance opened
    USE = "use"  # minutes consumed by a rated ticket
    EXPIRY = "expiry"  # what was left, written off when the bucket expired
    REVERSAL = "reversal"  # cancels an earlier entry; the ledger itself is never edited


class BucketKind(StrEnum):
    MONTHLY = "monthly"  # included in the plan, each calendar month, no roll-over
    PACKAGE = "package"  # prepaid hours of one mode, valid for some months


# The sign each kind must carry, so that a balance is a plain sum.
_SIGN = {EntryKind.GRANT: 1, EntryKind.USE: -1, EntryKind.EXPIRY: -1}


@dataclass(frozen=True)
class Entry:
    """One ledger movement. `minutes` is signed: grants positive, uses and expiries negative.

    `reverses` names the kind of entry a reversal cancels, so that "used" and "granted"
    figures stay right after corrections; `ref` says what caused it (a ticket key).
    """

    kind: EntryKind
    minutes: Decimal
    at: datetime
    ref: str = ""
    reverses: EntryKind | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise DomainError("ledger entries need an aware instant")
        if self.kind is EntryKind.REVERSAL:
            if self.reverses is None or self.reverses is EntryKind.REVERSAL:
                raise DomainError("a reversal names the kind it reverses (not a reversal)")
            if self.minutes * _SIGN[self.reverses] > 0:
                raise DomainError("a reversal has the opposite sign of what it reverses")
        elif self.reverses is not None:
            raise DomainError("only a reversal reverses")
        elif self.minutes * _SIGN[self.kind] < 0:
            raise DomainError(f"a {self.kind} entry cannot have {self.minutes} minutes")


def reversal_of(entry: Entry, *, at: datetime, ref: str = "") -> Entry:
    """The entry that cancels `entry` (same minutes, opposite sign)."""
    if entry.kind is EntryKind.REVERSAL:
        raise DomainError("reverse the original entry, not a reversal")
    return Entry(EntryKind.REVERSAL, -entry.minutes, at, ref or entry.ref, reverses=entry.kind)


@dataclass(frozen=True)
class Bucket:
    """A source of prepaid minutes and its ledger.

    `key` is the human label used in statements ("monthly 2026-01", "package remote12
    2025-03-10"); it must be unique among a customer's buckets. `rate_keys` limits a
    monthly allowance to some rates; `mode` limits a package to one intervention mode.
    """

    key: str
    kind: BucketKind
    granted_at: datetime
    expires_at: datetime
    rate_keys: frozenset[str] = frozenset()
    mode: str | None = None
    entries: tuple[Entry, ...] = ()
    allows_overdraft: bool = False

    def __post_init__(self) -> None:
        if self.granted_at.tzinfo is None or self.expires_at.tzinfo is None:
            raise DomainError("bucket instants must be aware")
        if self.expires_at <= self.granted_at:
            raise DomainError(f"bucket {self.key} expires before it is granted")
        if self.kind is BucketKind.PACKAGE and not self.mode:
            raise DomainError(f"package {self.key} needs a mode")

    @property
    def balance(self) -> Decimal:
        return sum((e.minutes for e in self.entries), ZERO)

    def _net(self, kind: EntryKind) -> Decimal:
        """Minutes of one kind, net of their reversals, as a positive figure."""
        total = sum(
            (e.minutes for e in self.entries if kind in (e.kind, e.reverses)),
            ZERO,
        )
        return total * _SIGN[kind]

    @property
    def granted_minutes(self) -> Decimal:
        return self._net(EntryKind.GRANT)

    @property
    def used_minutes(self) -> Decimal:
        return self._net(EntryKind.USE)

    @property
    def expired_minutes(self) -> Decimal:
        return self._net(EntryKind.EXPIRY)

    def is_valid_at(self, at: datetime) -> bool:
        return self.granted_at <= at < self.expires_at

    def covers(self, rate_key: str, mode: str) -> bool:
        """Whether a labour line of this rate and intervention mode may draw on this bucket."""
        if self.kind is BucketKind.MONTHLY:
            return rate_key in self.rate_keys
        return mode == self.mode

    def with_entries(self, *entries: Entry) -> Bucket:
        return replace(self, entries=self.entries + entries)


def _local_midnight(on: date, tz: tzinfo) -> datetime:
    return datetime.combine(on, time(0), tzinfo=tz)


def add_months(on: date, months: int) -> date:
    """`on` plus whole calendar months, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    index = on.year * 12 + on.month - 1 + months
    year, month = divmod(index, 12)
    last_day = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(on.day, last_day))


def monthly_bucket(
    month_on: date,
    *,
    minutes: int | Decimal,
    rate_keys: Iterable[str],
    tz: tzinfo,
    label: str = "",
) -> Bucket:
    """The included allowance of the calendar month containing `month_on`, in zone `tz`.

    Valid from the first local midnight of the month to the first of the next one; its
    grant is dated at the start of the month. Its key is "monthly 2026-01"; a plan with
    several included allowances gives each a `label` ("monthly programming 2026-01").
    """
    first_on = month_on.replace(day=1)
    granted_at = _local_midnight(first_on, tz)
    return Bucket(
        key=" ".join(part for part in ("monthly", label, f"{first_on:%Y-%m}") if part),
        kind=BucketKind.MONTHLY,
        granted_at=granted_at,
        expires_at=_local_midnight(add_months(first_on, 1), tz),
        rate_keys=frozenset(rate_keys),
        entries=(Entry(EntryKind.GRANT, Decimal(minutes), granted_at),),
    )


def package_bucket(
    name: str,
    *,
    mode: str,
    hours: int | Decimal,
    purchased_on: date,
    validity_months: int,
    tz: tzinfo,
) -> Bucket:
    """A prepaid package of `hours` of `mode` bought on `purchased_on` (local date).

    It is usable from the local midnight of the purchase day and expires at the local
    midnight of the same day `validity_months` later (bought 2025-03-10, 12 months:
    expires 2026-03-10 00:00, so its last usable day is 2026-03-09).
    """
    granted_at = _local_midnight(purchased_on, tz)
    return Bucket(
        key=f"package {name} {purchased_on.isoformat()}",
        kind=BucketKind.PACKAGE,
        granted_at=granted_at,
        expires_at=_local_midnight(add_months(purchased_on, validity_months), tz),
        mode=mode,
        entries=(Entry(EntryKind.GRANT, Decimal(hours) * MINUTES_PER_HOUR, granted_at),),
    )


@dataclass(frozen=True)
class Debit:
    """Minutes taken from one bucket (by key)."""

    bucket_key: str
    minutes: Decimal


@dataclass(frozen=True)
class ConsumptionPlan:
    """How `needed_minutes` are covered: debits in order, and what is left to bill."""

    needed_minutes: Decimal
    debits: tuple[Debit, ...]
    remainder_minutes: Decimal

    @property
    def consumed_minutes(self) -> Decimal:
        return sum((d.minutes for d in self.debits), ZERO)


def eligible_buckets(
    buckets: Iterable[Bucket], *, rate_key: str, mode: str, at: datetime
) -> list[Bucket]:
    """The buckets a line may draw on at `at`, in the order they are drawn on.

    Monthly allowances come before packages; within each kind the earliest expiry goes
    first (ties: earliest grant, then key, so the order never depends on input order).
    """
    usable = [b for b in buckets if b.is_valid_at(at) and b.covers(rate_key, mode)]
    kind_rank = {BucketKind.MONTHLY: 0, BucketKind.PACKAGE: 1}
    return sorted(usable, key=lambda b: (kind_rank[b.kind], b.expires_at, b.granted_at, b.key))


def plan_consumption(
    buckets: Iterable[Bucket],
    *,
    minutes: Decimal,
    rate_key: str,
    mode: str,
    at: datetime,
) -> ConsumptionPlan:
    """Plan the consumption of `minutes` (already x coefficients) for one labour line.

    Pure: the buckets are not changed; write the debits with `apply_debits`. A bucket
    with a balance of zero or less is skipped, unless it allows overdraft, in which case
    it takes everything still needed.
    """
    if minutes < 0:
        raise DomainError("cannot consume negative minutes")
    remaining = minutes
    debits: list[Debit] = []
    for bucket in eligible_buckets(buckets, rate_key=rate_key, mode=mode, at=at):
        if remaining == 0:
            break
        take = remaining if bucket.allows_overdraft else min(remaining, bucket.balance)
        if take > 0:
            debits.append(Debit(bucket.key, take))
            remaining -= take
    return ConsumptionPlan(minutes, tuple(debits), remaining)


def apply_debits(
    buckets: Sequence[Bucket], debits: Iterable[Debit], *, at: datetime, ref: str = ""
) -> tuple[Bucket, ...]:
    """The buckets with a `use` entry appended for each debit (same order as given)."""
    uses: dict[str, list[Entry]] = {}
    for debit in debits:
        uses.setdefault(debit.bucket_key, []).append(Entry(EntryKind.USE, -debit.minutes, at, ref))
    unknown = set(uses) - {b.key for b in buckets}
    if unknown:
        raise DomainError(f"debits on unknown buckets: {sorted(unknown)}")
    return tuple(b.with_entries(*uses.get(b.key, ())) for b in buckets)


def expiry_write_off(bucket: Bucket, *, now: datetime) -> Entry | None:
    """The `expiry` entry to append if `bucket` has expired by `now` with minutes left.

    Dated at the expiry instant, not at `now`, so that writing it off late (the job ran a
    day after) tells the same story; and idempotent: once written off, the balance is zero
    and nothing more is returned. A negative balance (overdraft) is not written off: that
    is owed, not expired.
    """
    if now < bucket.expires_at or bucket.balance <= 0:
        return None
    return Entry(EntryKind.EXPIRY, -bucket.balance, bucket.expires_at, ref=bucket.key)
