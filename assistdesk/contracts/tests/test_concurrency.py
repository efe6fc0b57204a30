"""Simultaneous debits of one balance: none lost, none counted twice, never below zero.

On PostgreSQL 50 threads debit at once (the debit locks the buckets it reads with
`select_for_update`). SQLite serialises writers (IMMEDIATE transactions take the write
lock at BEGIN), so the same test runs there with fewer threads: it is the same code path
and must give the same exact result.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from assistdesk.catalog.tests.factories import package_plan, ticket_plan
from assistdesk.contracts import services
from assistdesk.contracts.models import AllowanceEntry
from assistdesk.contracts.selectors import bucket_balance, customer_buckets
from assistdesk.customers.tests.factories import CustomerFactory
from assistdesk.domain.allowances import ConsumptionPlan

pytestmark = pytest.mark.django_db(transaction=True)
AT = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)


def threads() -> int:
    return 50 if connection.vendor == "postgresql" else 8


def debit_at_once(
    customer_pk: int, minutes: Decimal, count: int, **kw: str
) -> list[ConsumptionPlan]:
    """`count` threads each debit `minutes` as soon as all of them are ready."""
    from assistdesk.customers.models import Customer

    barrier = threading.Barrier(count)
    plans: list[ConsumptionPlan] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            customer = Customer.objects.get(pk=customer_pk)
            barrier.wait(timeout=30)
            plans.append(
                services.allowance_debit(
                    customer=customer,
                    rate_key=kw.get("rate_key", "remote"),
                    mode=kw.get("mode", "remote"),
                    minutes=minutes,
                    at=AT,
                    ref=f"T{i}",
                    actor=f"tech-{i}",
                    now=AT,
                )
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    assert errors == []
    assert len(plans) == count
    return plans


def test_concurrent_debits_leave_the_balance_exact_and_never_below_zero() -> None:
    n = threads()
    customer = CustomerFactory()
    plan = package_plan("remote12")  # 720 minutes
    services.package_purchase(
        customer=customer, plan=plan, purchased_on=date(2026, 1, 5), actor="s", now=AT
    )
    # Each asks for more than an equal share: together they ask for more than there is.
    per_debit = Decimal(720) / n + Decimal(7)

    plans = debit_at_once(customer.pk, per_debit, n)

    (bucket,) = customer_buckets(customer=customer)
    consumed = sum((p.consumed_minutes for p in plans), Decimal(0))
    billed = sum((p.remainder_minutes for p in plans), Decimal(0))
    assert consumed == 720  # all of it, not a minute more
    assert billed == per_debit * n - 720  # the rest is billed at the rate, exactly
    assert bucket_balance(bucket=bucket) == 0
    uses = AllowanceEntry.objects.filter(bucket=bucket, kind="use")
    assert sum(u.minutes for u in uses) == -720
    assert all(u.minutes < 0 for u in uses)
    # No two debits saw the same balance: the running balance never dips below zero.
    running = Decimal(720)
    for use in uses.order_by("id"):
        running += use.minutes
        assert running >= 0


def test_concurrent_debits_within_the_balance_are_all_counted() -> None:
    n = threads()
    customer = CustomerFactory()
    services.contract_create(
        customer=customer, plan=ticket_plan(), start_on=date(2026, 1, 1), actor="s", now=AT
    )  # 300 included minutes a month, granted by the first debit of the month
    plans = debit_at_once(customer.pk, Decimal(30), n, rate_key="remote_support")

    (bucket,) = customer_buckets(customer=customer)
    assert bucket.key == "monthly 2026-02"
    used = min(n * 30, 300)
    assert sum((p.consumed_minutes for p in plans), Decimal(0)) == used
    assert bucket_balance(bucket=bucket) == 300 - used
    assert AllowanceEntry.objects.filter(bucket=bucket, kind="grant").count() == 1
