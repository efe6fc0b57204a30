"""The month-end invoicing run: 1 000 customers, 20 000 tickets closed in the month.

Builds a throw-away database (a temporary SQLite file; with DATABASE_URL pointing at a
PostgreSQL server, a fresh database created there and dropped afterwards), migrates it,
and fills it: the seed-like plans (monthly with workstations and a 2 % FX markup,
annual, pay-per-request, prepaid packages), 1 000 customers in RON and EUR, their
contracts (some with their contract year starting in the month), 200 packages bought
in the month, and 20 000 closed tickets with ratings and charges written in bulk (the
ticket services are not what is measured). Only `billing_run` is timed.

    .venv/bin/python bench/billing.py [--customers N] [--tickets N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/billing.py

prints one line:
    bill: N invoices, M lines in S s, peak RSS X MiB
(peak RSS is the whole process's, setup included).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistdesk.common.benchdb import throwaway_database

SEED = 20260131
PERIOD, INVOICE_ON = "2026-01", date(2026, 1, 31)
D = Decimal


PLANS = [
    {
        "key": "expert",
        "currency": "EUR",
        "fees": {"monthly": "300", "annual": "3000", "per_workstation_monthly": "15"},
        "fx_markup": "0.02",
    },
    {"key": "annual", "currency": "EUR", "fees": {"annual": "1800"}},
    {"key": "percall", "currency": "EUR"},
    {
        "key": "remote12",
        "currency": "EUR",
        "package": {"price": "540", "mode": "remote", "hours": 12, "validity_months": 12},
    },
]
CALENDAR = {
    "timezone": "Europe/Bucharest",
    "week": {d: ["08:30-16:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "RO"},
}


def build(customers: int, tickets: int) -> None:
    from assistdesk.billing.fx.importer import fx_rate_record
    from assistdesk.catalog.services import catalog_load_from_spec
    from assistdesk.contracts.models import Contract
    from assistdesk.contracts.services import package_purchase
    from assistdesk.customers.models import Customer
    from assistdesk.tickets.models import Charge, Ticket, TicketRating

    rng = random.Random(SEED)
    now = datetime(2025, 12, 1, tzinfo=UTC)
    _, plans = catalog_load_from_spec(
        spec={
            "calendars": {"office": CALENDAR},
            "plans": [{"calendar": "office", **p} for p in PLANS],
        },
        actor="bench",
        now=now,
    )
    fx_rate_record(
        published_on=date(2026, 1, 30), from_currency="EUR", to_currency="RON",
        rate=D("5.0876"), actor="bench", now=now,
    )  # fmt: skip
    rows = []
    for n in range(customers):
        ron = rng.random() < 0.6
        rows.append(
            Customer(
                key=f"c{n:05d}",
                name=f"Customer {n:05d}",
                country="RO" if ron else "IT",
                language="ro" if ron else "it",
                currency="RON" if ron else "EUR",
                vat_rate=D("21") if ron else D("22"),
                workstations=rng.randint(0, 12),
            )
        )
    made = Customer.objects.bulk_create(rows)
    contracts = []
    for who in made:
        roll = rng.random()
        if roll < 0.5:
            plan, cycle, start = plans["expert"], "monthly", date(2025, rng.randint(1, 12), 1)
        elif roll < 0.7:
            # a fifth of the annual contracts start their year in January
            month = 1 if rng.random() < 0.2 else rng.randint(2, 12)
            plan, cycle, start = plans["annual"], "annual", date(2025, month, rng.randint(1, 28))
        else:
            plan, cycle, start = plans["percall"], "monthly", date(2025, 1, 1)
        contracts.append(
            Contract(
                customer=who,
                plan=plan,
                start_on=start,
                billing_cycle=cycle,
                workstations=who.workstations,
            )
        )
    Contract.objects.bulk_create(contracts)
    plan_of = {c.customer_id: c.plan for c in contracts}
    for who in rng.sample(made, k=min(200, len(made))):
        package_purchase(
            customer=who, plan=plans["remote12"], purchased_on=date(2026, 1, rng.randint(1, 31)),
            actor="bench", now=now,
        )  # fmt: skip

    start = datetime(2026, 1, 1, tzinfo=UTC)
    ticket_rows, ratings, charges = [], [], []
    for number in range(1, tickets + 1):
        who = rng.choice(made)
        plan = plan_of[who.pk]
        closed = start + timedelta(minutes=rng.randint(60 * 24, 60 * 24 * 29))
        ticket_rows.append(
            Ticket(
                number=number,
                customer=who,
                plan=plan,
                origin="email",
                subject=f"request {number}",
                received_at=closed - timedelta(hours=20),
                priority_rank=plan.priority,
                state="closed",
                in_queue=False,
                resolved_at=closed,
                closed_at=closed,
            )
        )
    Ticket.objects.bulk_create(ticket_rows, batch_size=2000)
    for ticket in ticket_rows:
        amounts = [("labour", D(rng.choice([0, 0, 25, 50, 75, 120])))]
        if rng.random() < 0.3:
            amounts.append(("travel", D("110.50")))
        if rng.random() < 0.2:
            amounts.append(("part", D(rng.randint(5, 300))))
        rating = TicketRating(
            ticket=ticket, rated_at=ticket.closed_at, currency="EUR",
            total_amount=sum((a for _, a in amounts), D(0)), actor="bench",
        )  # fmt: skip
        ratings.append((rating, amounts))
    TicketRating.objects.bulk_create([r for r, _ in ratings], batch_size=2000)
    for rating, amounts in ratings:
        for ordinal, (kind, amount) in enumerate(amounts, start=1):
            charges.append(
                Charge(rating=rating, ordinal=ordinal, type=kind, amount=amount, explanation="")
            )
    Charge.objects.bulk_create(charges, batch_size=5000)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--tickets", type=int, default=20_000)
    args = parser.parse_args(argv)
    with throwaway_database() as url, tempfile.TemporaryDirectory() as var:
        os.environ["DATABASE_URL"] = url
        os.environ["ASSISTDESK_VAR_DIR"] = var
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistdesk.settings")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command

        from assistdesk.billing.services import billing_run

        call_command("migrate", verbosity=0)
        build(args.customers, args.tickets)
        started = time.perf_counter()
        run = billing_run(
            period=PERIOD, invoice_on=INVOICE_ON, actor="bench", now=datetime.now(UTC)
        )
        seconds = time.perf_counter() - started
        if run.errors:
            print(f"bill: {len(run.errors)} customers not billed, e.g. {run.errors[0]}")
            return 1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"bill: {run.invoices_issued} invoices, {run.lines_issued} lines "
            f"in {seconds:.1f} s, peak RSS {peak:.0f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
