"""Reads of contracts, packages and allowance ledgers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from assistdesk.common import readcache
from assistdesk.contracts.models import (
    AllowanceBucket,
    AllowanceEntry,
    Contract,
    ContractState,
)
from assistdesk.customers.models import Customer
from assistdesk.domain import allowances as domain
from assistdesk.domain.rating import RatingTerms

IN_FORCE = (ContractState.TRIAL, ContractState.ACTIVE)


def _in_force_key(customer_pk: int) -> tuple[str, int]:
    return ("contracts-in-force", customer_pk)


def _in_force_rows() -> QuerySet[Contract]:
    return (
        Contract.objects.filter(state__in=IN_FORCE)
        .select_related("plan", "plan__calendar")
        .order_by("plan__priority", "start_on", "id")
    )


def contracts_in_force(*, customer: Customer, at: datetime) -> list[Contract]:
    """The customer's trial or active contracts covering the local day of `at`.

    Read once per customer within a batch (`common.readcache`: the mail intake opens
    many tickets in one transaction), or not at all after `prefetch_contracts_in_force`.
    """
    contracts = readcache.memoised(
        _in_force_key(customer.pk), lambda: list(_in_force_rows().filter(customer=customer))
    )
    return [c for c in contracts if c.covers(c.plan.calendar.local_date(at))]


def prefetch_contracts_in_force(*, customer_pks: Iterable[int]) -> None:
    """Read the trial and active contracts of many customers in one query (kept only
    inside a `common.readcache.batch_reads()` block)."""
    found: dict[int, list[Contract]] = {pk: [] for pk in customer_pks}
    if not found:
        return
    for contract in _in_force_rows().filter(customer_id__in=list(found)):
        found[contract.customer_id].append(contract)
    for pk, contracts in found.items():
        readcache.remember(_in_force_key(pk), contracts)


def contract_in_force(*, customer: Customer, at: datetime) -> Contract | None:
    """The contract a request received at `at` falls under: the best-ranked one in force."""
    found = contracts_in_force(customer=customer, at=at)
    return found[0] if found else None


def contract_rating_terms(*, contract: Contract) -> RatingTerms:
    """The plan's rating terms with the contract's own coefficients stacked on them."""
    own = {c.name: c.factor for c in contract.coefficients.all()}
    return contract.plan.to_rating_terms(contract_coefficients=own)


def authorised_contacts_limit(*, customer: Customer, at: datetime) -> int | None:
    """How many authorised contacts the customer may have; None: no limit.

    The most generous of the contracts in force: a plan without a limit lifts it; a
    customer without a contract in force has none.
    """
    limits = [
        c.plan.authorised_contacts_limit for c in contracts_in_force(customer=customer, at=at)
    ]
    if not limits or any(limit is None for limit in limits):
        return None
    return max(limit for limit in limits if limit is not None)


def bucket_balance(*, bucket: AllowanceBucket) -> Decimal:
    """The sum of the bucket's entries: the only balance there is."""
    total = bucket.entries.aggregate(total=Sum("minutes"))["total"]
    return total if total is not None else Decimal(0)


def buckets_with_entries(buckets: Iterable[AllowanceBucket]) -> list[domain.Bucket]:
    """Pure buckets with their ledgers, in one query for all the entries."""
    rows = list(buckets)
    entries: dict[int, list[AllowanceEntry]] = defaultdict(list)
    for entry in AllowanceEntry.objects.filter(bucket__in=rows).select_related("reverses"):
        entries[entry.bucket_id].append(entry)
    return [bucket.to_domain(entries[bucket.pk]) for bucket in rows]


def customer_buckets(
    *, customer: Customer, valid_at: datetime | None = None
) -> QuerySet[AllowanceBucket]:
    buckets = AllowanceBucket.objects.filter(customer=customer).order_by("expires_at", "id")
    if valid_at is not None:
        buckets = buckets.filter(granted_at__lte=valid_at, expires_at__gt=valid_at)
    return buckets


def _minutes(value: Decimal) -> Decimal:
    """Ledger minutes without the column's trailing zeros (720, 67.5) and never -0."""
    value = value + 0  # -0 + 0 == 0
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


@dataclass(frozen=True)
class AllowanceLine:
    """One bucket as a statement shows it (and as FORMAT.md's result prints it)."""

    source: str
    granted_minutes: Decimal
    used_minutes: Decimal
    expired_minutes: Decimal
    left_minutes: Decimal
    expires_on: date


def customer_allowances(
    *, customer: Customer, touched_since: datetime | None = None
) -> list[AllowanceLine]:
    """The customer's buckets: granted, used, expired and left, in expiry order.

    `expires_on` is the local date of the expiry instant in the plan's calendar
    (a package bought 2025-03-10 for 12 months expires 2026-03-10 at 00:00).
    """
    buckets = customer_buckets(customer=customer).select_related("plan__calendar")
    if touched_since is not None:
        buckets = buckets.filter(Q(expires_at__gt=touched_since))
    rows = list(buckets)
    lines = []
    for row, bucket in zip(rows, buckets_with_entries(rows), strict=True):
        lines.append(
            AllowanceLine(
                source=bucket.key,
                granted_minutes=_minutes(bucket.granted_minutes),
                used_minutes=_minutes(bucket.used_minutes),
                expired_minutes=_minutes(bucket.expired_minutes),
                left_minutes=_minutes(bucket.balance),
                expires_on=row.plan.calendar.local_date(row.expires_at),
            )
        )
    return lines
