"""Allowance ledgers: package purchases, monthly grants, debits, reversals, expiry, notices.

Every write appends rows; nothing is updated (DESIGN.md §2.3). The order of consumption,
the expiry write-off and balances are the pure `domain.allowances` functions, fed with
the buckets' ledgers as they stand inside the writing transaction.

Concurrency: a debit locks the customer's usable buckets (`select_for_update`, in id
order so two debits never deadlock) before it reads their balances, so simultaneous
debits are serialised per bucket: none is lost or counted twice, and a bucket that
forbids overdraft never goes below zero. On SQLite every write transaction takes the
database lock at BEGIN (IMMEDIATE), which serialises them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum

from assistdesk.catalog.models import Plan, PlanAllowance
from assistdesk.contracts.models import (
    AllowanceBucket,
    AllowanceEntry,
    AllowanceNotice,
    BucketKind,
    Contract,
    EntryKind,
    NoticeKind,
    PackagePurchase,
)
from assistdesk.contracts.selectors import IN_FORCE, buckets_with_entries
from assistdesk.customers.models import Customer
from assistdesk.domain import allowances as domain
from assistdesk.domain.allowances import ConsumptionPlan

SCHEDULER = "scheduler"


def _unique_key(customer: Customer, base: str) -> str:
    """`base`, or `base #2`, `#3`... : a bucket label is unique per customer."""
    taken = set(
        AllowanceBucket.objects.filter(customer=customer, key__startswith=base).values_list(
            "key", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base} #{n}" in taken:
        n += 1
    return f"{base} #{n}"


def _lock_customer(customer: Customer) -> None:
    Customer.objects.select_for_update().filter(pk=customer.pk).first()


# --- grants --------------------------------------------------------------------------------


def package_purchase(
    *,
    customer: Customer,
    plan: Plan,
    purchased_on: date | None = None,
    actor: str,
    now: datetime,
) -> PackagePurchase:
    """Buy a prepaid package: a bucket of the plan's hours and mode, and its grant.

    Valid from the local midnight of `purchased_on` (default: today in the plan's
    calendar) to the same local midnight `package_validity_months` later.
    """
    if not plan.is_package:
        raise ValidationError({"plan": f"plan: {plan.key} is not a package plan"})
    assert plan.package_hours is not None and plan.package_validity_months is not None
    assert plan.package_price_amount is not None
    on = purchased_on or plan.calendar.local_date(now)
    pure = domain.package_bucket(
        plan.key,
        mode=plan.package_mode,
        hours=plan.package_hours,
        purchased_on=on,
        validity_months=plan.package_validity_months,
        tz=plan.calendar.zone(),
    )
    with transaction.atomic():
        _lock_customer(customer)
        bucket = AllowanceBucket.objects.create(
            customer=customer,
            kind=BucketKind.PACKAGE,
            key=_unique_key(customer, pure.key),
            plan=plan,
            mode=plan.package_mode,
            granted_at=pure.granted_at,
            expires_at=pure.expires_at,
        )
        minutes = plan.package_hours * domain.MINUTES_PER_HOUR
        AllowanceEntry.objects.create(
            bucket=bucket,
            kind=EntryKind.GRANT,
            minutes=Decimal(minutes),
            at=pure.granted_at,
            ref=f"purchase of {plan.key}",
            actor=actor,
        )
        return PackagePurchase.objects.create(
            customer=customer,
            plan=plan,
            purchased_at=now,
            purchased_on=on,
            expires_at=pure.expires_at,
            minutes=minutes,
            price_amount=plan.package_price_amount,
            currency=plan.currency,
            bucket=bucket,
            actor=actor,
        )


def _month_overlaps(contract: Contract, first_on: date) -> bool:
    last_on = domain.add_months(first_on, 1) - timedelta(days=1)
    return contract.start_on <= last_on and (
        contract.ends_on is None or contract.ends_on >= first_on
    )


def _grant_monthly_locked(
    contract: Contract, first_on: date, *, actor: str, now: datetime
) -> list[AllowanceBucket]:
    """The contract's included allowances of one month; the contract row is locked."""
    if not _month_overlaps(contract, first_on):
        return []
    plan = contract.plan
    existing = {
        b.allowance_index: b
        for b in AllowanceBucket.objects.filter(
            contract=contract, kind=BucketKind.MONTHLY, month_on=first_on
        )
    }
    buckets = []
    for index, allowance in enumerate(plan.allowances.all()):
        if index in existing:
            buckets.append(existing[index])
            continue
        pure = domain.monthly_bucket(
            first_on,
            minutes=allowance.minutes,
            rate_keys=allowance.rate_key_list,
            tz=plan.calendar.zone(),
        )
        base = pure.key if index == 0 else f"{pure.key} {plan.key} {index + 1}"
        bucket = AllowanceBucket.objects.create(
            customer=contract.customer,
            kind=BucketKind.MONTHLY,
            key=_unique_key(contract.customer, base),
            plan=plan,
            contract=contract,
            month_on=first_on,
            allowance_index=index,
            rate_keys=allowance.rate_key_list,
            granted_at=pure.granted_at,
            expires_at=pure.expires_at,
        )
        AllowanceEntry.objects.create(
            bucket=bucket,
            kind=EntryKind.GRANT,
            minutes=Decimal(allowance.minutes),
            at=pure.granted_at,
            ref=f"{plan.key} {first_on:%Y-%m}",
            actor=actor,
        )
        buckets.append(bucket)
    return buckets


def allowance_grant_monthly(
    *, contract: Contract, month_on: date, actor: str, now: datetime
) -> list[AllowanceBucket]:
    """Open the contract's included allowances for the month of `month_on`; idempotent.

    One bucket per included allowance of the plan, per contract and month, whatever the
    number of calls; none for a month the contract does not touch. The whole month is
    granted even when the contract starts in it (no pro rata).
    """
    first_on = month_on.replace(day=1)
    with transaction.atomic():
        locked = (
            Contract.objects.select_for_update(of=("self",))
            .select_related("plan__calendar", "customer")
            .get(pk=contract.pk)
        )
        return _grant_monthly_locked(locked, first_on, actor=actor, now=now)


def _ensure_monthly_grants(customer: Customer, at: datetime, *, actor: str, now: datetime) -> None:
    """The month's included allowances of every contract in force at `at` exist."""
    contracts = (
        Contract.objects.select_for_update(of=("self",))
        .filter(customer=customer, state__in=IN_FORCE)
        .filter(Exists(PlanAllowance.objects.filter(plan=OuterRef("plan"))))
        .select_related("plan__calendar", "customer")
        .order_by("id")
    )
    for contract in contracts:
        on = contract.plan.calendar.local_date(at)
        if contract.covers(on):
            _grant_monthly_locked(contract, on.replace(day=1), actor=actor, now=now)


def allowances_grant_due_monthly(*, now: datetime, actor: str = SCHEDULER) -> int:
    """The periodic job: this month's allowances for every contract in force; idempotent."""
    created = 0
    contracts = (
        Contract.objects.filter(state__in=IN_FORCE, plan__allowances__isnull=False)
        .select_related("plan__calendar")
        .distinct()
    )
    for contract in contracts:
        on = contract.plan.calendar.local_date(now)
        if not contract.covers(on):
            continue
        before = AllowanceBucket.objects.filter(contract=contract).count()
        allowance_grant_monthly(contract=contract, month_on=on, actor=actor, now=now)
        created += AllowanceBucket.objects.filter(contract=contract).count() - before
    return created


# --- uses and reversals ------------------------------------------------------------------


def allowance_buckets_locked(
    *, customer: Customer, at: datetime, actor: str, now: datetime
) -> list[domain.Bucket]:
    """The customer's buckets usable at `at`, locked until the caller's transaction ends.

    For a caller that plans consumption itself (rating a whole ticket with
    `domain.rating.rate_ticket`) and then writes it with `allowance_record_uses`, inside
    one `transaction.atomic()`. Makes sure the month of `at` has been granted first.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock the buckets inside the transaction that writes the uses")
    _ensure_monthly_grants(customer, at, actor=actor, now=now)
    rows = list(
        AllowanceBucket.objects.select_for_update(of=("self",))
        .filter(customer=customer, granted_at__lte=at, expires_at__gt=at)
        .order_by("id")
    )
    return buckets_with_entries(rows)


def allowance_record_uses(
    *,
    customer: Customer,
    debits: Iterable[domain.Debit],
    at: datetime,
    ref: str,
    actor: str,
    now: datetime,
) -> list[AllowanceEntry]:
    """Write one `use` entry per debit (buckets by key) and the low-balance notices owed."""
    with transaction.atomic():
        debits = [d for d in debits if d.minutes]
        rows = {
            b.key: b
            for b in AllowanceBucket.objects.select_for_update(of=("self",))
            .filter(customer=customer, key__in=[d.bucket_key for d in debits])
            .select_related("plan")
        }
        unknown = sorted({d.bucket_key for d in debits} - set(rows))
        if unknown:
            raise ValidationError({"debits": f"debits: unknown buckets {unknown}"})
        entries = []
        for debit in debits:
            bucket = rows[debit.bucket_key]
            if debit.minutes < 0:
                raise ValidationError({"debits": "debits: a use takes minutes, never gives"})
            entries.append(
                AllowanceEntry.objects.create(
                    bucket=bucket,
                    kind=EntryKind.USE,
                    minutes=-debit.minutes,
                    at=at,
                    ref=ref,
                    actor=actor,
                )
            )
        for bucket in {d.bucket_key: rows[d.bucket_key] for d in debits}.values():
            balance = bucket.entries.aggregate(total=Sum("minutes"))["total"] or Decimal(0)
            if balance < 0 and not bucket.allows_overdraft:
                raise ValidationError({"debits": f"debits: {bucket.key} would go below zero"})
            _notice_low_balance(bucket, balance, now=now)
    return entries


def allowance_debit(
    *,
    customer: Customer,
    rate_key: str,
    mode: str,
    minutes: Decimal,
    at: datetime,
    ref: str,
    actor: str,
    now: datetime,
) -> ConsumptionPlan:
    """Take `minutes` (already x coefficients) of one labour line from the allowances.

    §2.3 order: the month's included allowance covering `rate_key`, then packages of
    `mode`, first-expiring-first, each valid at `at`. Writes one `use` entry per bucket
    drawn on and returns the plan: its debits and the remainder to bill at the rate.
    """
    if minutes < 0:
        raise ValidationError({"minutes": "minutes: cannot debit a negative amount"})
    with transaction.atomic():
        buckets = allowance_buckets_locked(customer=customer, at=at, actor=actor, now=now)
        plan = domain.plan_consumption(
            buckets, minutes=minutes, rate_key=rate_key, mode=mode, at=at
        )
        allowance_record_uses(
            customer=customer, debits=plan.debits, at=at, ref=ref, actor=actor, now=now
        )
    return plan


def allowance_reverse(
    *, entry: AllowanceEntry, at: datetime, ref: str = "", actor: str, now: datetime
) -> AllowanceEntry:
    """Cancel one entry with its opposite (a ticket re-rated, a grant made by mistake)."""
    with transaction.atomic():
        AllowanceBucket.objects.select_for_update().filter(pk=entry.bucket_id).first()
        original = AllowanceEntry.objects.get(pk=entry.pk)
        if original.kind == EntryKind.REVERSAL:
            raise ValidationError({"entry": "entry: reverse the original entry, not a reversal"})
        if AllowanceEntry.objects.filter(reverses=original).exists():
            raise ValidationError({"entry": "entry: already reversed"})
        return AllowanceEntry.objects.create(
            bucket_id=original.bucket_id,
            kind=EntryKind.REVERSAL,
            minutes=-original.minutes,
            at=at,
            ref=ref or original.ref,
            reverses=original,
            actor=actor,
        )


def allowance_reverse_uses(
    *, customer: Customer, ref: str, at: datetime, actor: str, now: datetime
) -> list[AllowanceEntry]:
    """Reverse every use with this `ref` not reversed yet (e.g. a ticket reopened)."""
    with transaction.atomic():
        uses = list(
            AllowanceEntry.objects.filter(
                bucket__customer=customer, kind=EntryKind.USE, ref=ref
            ).exclude(Exists(AllowanceEntry.objects.filter(reverses=OuterRef("pk"))))
        )
        return [allowance_reverse(entry=u, at=at, actor=actor, now=now) for u in uses]


# --- expiry and notices ------------------------------------------------------------------


def allowances_expire(*, now: datetime, actor: str = SCHEDULER) -> list[AllowanceEntry]:
    """Write off what is left in every bucket expired by `now` (the periodic job).

    Dated at the expiry instant; idempotent: an expired bucket's balance is zero once
    written off, and the bucket is locked while its balance is read and written.
    """
    due = (
        AllowanceBucket.objects.filter(expires_at__lte=now)
        .annotate(balance=Sum("entries__minutes"))
        .filter(balance__gt=0)
        .values_list("pk", flat=True)
    )
    written = []
    for pk in list(due):
        with transaction.atomic():
            row = AllowanceBucket.objects.select_for_update().get(pk=pk)
            (bucket,) = buckets_with_entries([row])
            entry = domain.expiry_write_off(bucket, now=now)
            if entry is not None:
                written.append(
                    AllowanceEntry.objects.create(
                        bucket=row,
                        kind=EntryKind.EXPIRY,
                        minutes=entry.minutes,
                        at=entry.at,
                        ref=entry.ref,
                        actor=actor,
                    )
                )
    return written


def _notice(bucket: AllowanceBucket, kind: str, balance: Decimal, *, now: datetime) -> bool:
    """Record a notice once per bucket and kind; True if it is new."""
    if AllowanceNotice.objects.filter(bucket=bucket, kind=kind).exists():
        return False
    AllowanceNotice.objects.create(bucket=bucket, kind=kind, at=now, balance_minutes=balance)
    return True


def _notice_low_balance(bucket: AllowanceBucket, balance: Decimal, *, now: datetime) -> None:
    threshold = bucket.plan.low_balance_notice_minutes
    if threshold is not None and balance < threshold:
        _notice(bucket, NoticeKind.LOW_BALANCE, balance, now=now)


def allowance_notices_due(*, now: datetime, actor: str = SCHEDULER) -> list[AllowanceNotice]:
    """Notices owed now (the periodic job): packages expiring soon with minutes left,
    balances under their plan's threshold. Once per bucket and kind."""
    usable = (
        AllowanceBucket.objects.filter(granted_at__lte=now, expires_at__gt=now)
        .annotate(balance=Sum("entries__minutes"))
        .select_related("plan")
        .order_by("id")
    )
    created = []
    for bucket in usable:
        balance = bucket.balance or Decimal(0)
        with transaction.atomic():
            AllowanceBucket.objects.select_for_update().filter(pk=bucket.pk).first()
            notice_days = bucket.plan.expiry_notice_days
            if (
                bucket.kind == BucketKind.PACKAGE
                and balance > 0
                and bucket.expires_at - timedelta(days=notice_days) <= now
                and _notice(bucket, NoticeKind.EXPIRING, balance, now=now)
            ):
                created.append(AllowanceNotice.objects.get(bucket=bucket, kind=NoticeKind.EXPIRING))
            threshold = bucket.plan.low_balance_notice_minutes
            if (
                threshold is not None
                and balance < threshold
                and _notice(bucket, NoticeKind.LOW_BALANCE, balance, now=now)
            ):
                created.append(
                    AllowanceNotice.objects.get(bucket=bucket, kind=NoticeKind.LOW_BALANCE)
                )
    return created
