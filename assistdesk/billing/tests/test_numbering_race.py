"""Invoice numbers stay gapless when runs race (threads, real transactions).

Runs on both databases of `make test`: bigger on PostgreSQL (row locks really wait on
each other there), smaller on SQLite (write transactions queue on the database lock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from assistdesk.billing.models import BillingRun, Invoice
from assistdesk.billing.services import billing_run, credit_note_issue
from assistdesk.billing.tests.builders import ACTOR, NOW, contract, customer, plans

D = Decimal


def race(jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Start every job at once on its own thread and connection; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_racing_runs_issue_each_invoice_once_numbered_without_gaps() -> None:
    postgres = connection.vendor == "postgresql"
    customers, runs_per_period = (30, 4) if postgres else (6, 2)
    p = plans({"key": "expert", "currency": "EUR", "fees": {"monthly": "300"}})
    for n in range(customers):
        contract(
            customer(f"c{n:03d}", currency="EUR", country="IT", vat_rate=D("22")),
            p["expert"],
            date(2026, 1, 1),
        )

    def bill(period: str, on: date) -> Callable[[], object]:
        return lambda: billing_run(period=period, invoice_on=on, actor=ACTOR, now=NOW)

    # Two periods at once, each run several times over: one series, two months.
    jobs = [bill("2026-01", date(2026, 1, 31)), bill("2026-02", date(2026, 2, 28))]
    assert race(jobs * runs_per_period) == []

    invoices = list(Invoice.objects.order_by("sequence").values_list("sequence", "number"))
    assert [s for s, _ in invoices] == list(range(1, 2 * customers + 1))
    assert invoices[-1][1] == f"2026-{2 * customers:06d}"
    for period in ("2026-01", "2026-02"):
        assert Invoice.objects.filter(period__key=period).count() == customers
        runs = BillingRun.objects.filter(period__key=period)
        assert sum(r.invoices_issued for r in runs) == customers
        assert sum(r.customers_already_invoiced for r in runs) <= customers * (runs_per_period - 1)
        assert all(r.errors == [] for r in runs)

    # Credit notes racing for the same invoices: one per invoice, their own gapless series.
    targets = list(Invoice.objects.filter(period__key="2026-01").order_by("sequence"))

    def credit_note(invoice: Invoice) -> Callable[[], object]:
        return lambda: credit_note_issue(
            invoice=invoice, reason="race", issued_on=date(2026, 3, 1), actor=ACTOR, now=NOW
        )

    credit = [credit_note(invoice) for invoice in targets]
    errors = race(credit + credit[:2])  # two invoices credited twice at once: one must lose
    assert len(errors) == 2 and all("nothing left" in str(e) for e in errors)
    notes = list(Invoice.objects.filter(kind="credit_note").values_list("sequence", flat=True))
    assert sorted(notes) == list(range(1, customers + 1))
