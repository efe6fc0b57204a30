"""The staff console's queue page with 10 000 open tickets, on SQLite.

Builds a throw-away database (a temporary SQLite file, migrated), loads the seed
catalog, and writes in bulk (the ticket services are not what is measured): 300
customers with a contract each and one authorised contact, a dispatcher and ten
technicians, 10 000 open tickets in every queued state (plus 5 000 closed ones, which
the queue must skip) with their SLA targets, some overdue. Then signs in as the
dispatcher with Django's test client and times the queue page (§2.4 order, first page
of 50, the filter lists, the countdowns), after a few warm-up requests.

    .venv/bin/python bench/console_queue.py [--tickets N] [--requests N]

prints one line (goal: p95 under 300 ms):
    console-queue: p50 X ms, p95 Y ms
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 20260413
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
CUSTOMERS = 300
TECHNICIANS = 10
ORIGINS = ("email", "web", "phone", "monitoring")
QUEUED = ["new", "acknowledged", "assigned", "in_progress", "waiting_customer", "reopened"]
SUBJECTS = [
    "Printer does not print", "Cannot reach the shared folder", "Outlook asks for the password",
    "Backup job failed", "New workstation", "VPN drops", "Fiscal printer blocked",
    "Invoice report totals wrong", "Wi-Fi slow in the meeting room", "Antivirus alert",
    "Add a field to the delivery note", "Server disk almost full",
]  # fmt: skip


def isolated_environment() -> Path:
    """A temporary var/ and SQLite file, set before Django reads its settings."""
    folder = Path(tempfile.mkdtemp(prefix="assistdesk-bench-console-"))
    os.environ["ASSISTDESK_VAR_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["STATIC_MANIFEST"] = "false"  # templates' {% static %} without collectstatic
    os.environ["TASK_BACKEND"] = "dummy"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistdesk.settings")
    return folder


def build(tickets: int) -> object:
    """The desk, written in bulk; returns the dispatcher."""
    from django.contrib.auth.models import User

    from assistdesk.accounts.roles import Role
    from assistdesk.accounts.services import staff_create
    from assistdesk.catalog import demo as catalog_demo
    from assistdesk.catalog.models import Plan
    from assistdesk.contracts.models import Contract
    from assistdesk.customers.models import Contact, Customer
    from assistdesk.tickets.models import Ticket, TicketNumberSequence, TicketTarget

    rng = random.Random(SEED)
    catalog_demo.load(now=NOW - timedelta(days=400))
    plans = [p for p in Plan.objects.filter(package_mode="") if not p.trial_days]
    customers = Customer.objects.bulk_create(
        Customer(
            key=f"customer-{n}", name=f"Customer {n:03d} S.r.l.", country="IT", language="it",
            currency="EUR", vat_rate=22, workstations=rng.randint(1, 40),
        )
        for n in range(CUSTOMERS)
    )  # fmt: skip
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, plan=rng.choice(plans), start_on=date(2025, 1, 1)) for c in customers
    )
    contacts = Contact.objects.bulk_create(
        Contact(customer=c, name=f"Contact {c.pk}", email=f"it@{c.key}.example", is_authorised=True)
        for c in customers
    )
    dispatcher = staff_create(
        username="dispatcher", roles=[Role.DISPATCHER], actor="bench", now=NOW,
        first_name="Sara", last_name="Conti",
    )  # fmt: skip
    technicians: list[User | None] = [
        staff_create(username=f"tech{n}", roles=[Role.TECHNICIAN], actor="bench", now=NOW)
        for n in range(TECHNICIANS)
    ]
    rows = []
    for number in range(1, tickets + tickets // 2 + 1):
        index = rng.randrange(CUSTOMERS)
        contract = contracts[index]
        severity = rng.choice((1, 2, 2, 3, 3, 3))
        received = NOW - timedelta(minutes=rng.randint(10, 20 * 24 * 60))
        is_open = number <= tickets
        state = rng.choice(QUEUED) if is_open else "closed"
        rows.append(
            Ticket(
                number=number, customer=customers[index], contract=contract, plan=contract.plan,
                requester=contacts[index], origin=rng.choice(ORIGINS),
                subject=rng.choice(SUBJECTS), severity=severity, is_urgent=severity == 1,
                state=state, in_queue=is_open,
                assignee=None if state in ("new", "acknowledged") else rng.choice(technicians),
                received_at=received, priority_rank=contract.plan.priority,
                needs_follow_up=is_open and rng.random() < 0.01,
                closed_at=None if is_open else received + timedelta(days=2),
            )
        )  # fmt: skip
    Ticket.objects.bulk_create(rows, batch_size=2000)
    TicketNumberSequence.objects.update_or_create(key="ticket", defaults={"last_number": len(rows)})
    targets = []
    for ticket in Ticket.objects.only("pk", "received_at", "in_queue"):
        response_due = ticket.received_at + timedelta(hours=rng.choice((2, 8, 48)))
        resolution_due = response_due + timedelta(days=rng.choice((1, 5, 15)))
        answered = rng.random() < 0.5 or not ticket.in_queue
        targets.append(
            TicketTarget(
                ticket=ticket, ordinal=1, kind="response", due_at=response_due, computed_at=NOW,
                actual_at=response_due - timedelta(hours=1) if answered else None,
                met=True if answered else None, is_overdue=not answered and response_due < NOW,
            )
        )  # fmt: skip
        targets.append(
            TicketTarget(
                ticket=ticket, ordinal=2, kind="resolution", due_at=resolution_due,
                computed_at=NOW, is_overdue=resolution_due < NOW,
            )
        )  # fmt: skip
        open_due = [t.due_at for t in targets[-2:] if t.actual_at is None]
        ticket.next_due_at = min(open_due) if ticket.in_queue and open_due else None
    TicketTarget.objects.bulk_create(targets, batch_size=5000)
    Ticket.objects.bulk_update([t.ticket for t in targets[::2]], ["next_due_at"], batch_size=2000)
    return dispatcher


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    folder = isolated_environment()
    try:
        run(args.tickets, args.requests)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(tickets: int, requests: int) -> None:

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from assistdesk.common.clock import frozen_at

    call_command("migrate", verbosity=0)
    dispatcher = build(tickets)
    connection.cursor().execute("ANALYZE")
    client = Client(SERVER_NAME="localhost")
    client.force_login(dispatcher)
    with frozen_at(NOW):
        for _ in range(5):  # warm-up: templates, calendars, SQLite's page cache
            assert client.get("/console/").status_code == 200
        queries: list[str] = []
        with connection.execute_wrapper(lambda run, sql, *a: queries.append(sql) or run(sql, *a)):
            response = client.get("/console/")
        html = response.content.decode()
        assert f"{tickets} open tickets" in html, html[:3000]
        assert html.count('<td data-label="Ticket" class="ref">') == 50
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get("/console/")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    print(
        f"console-queue: p50 {statistics.median(samples):.0f} ms, "
        f"p95 {percentile(samples, 0.95):.0f} ms"
        f" ({tickets} open tickets, {len(queries)} queries a page)",
        flush=True,
    )


if __name__ == "__main__":
    main()
