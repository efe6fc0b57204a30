"""Demo contracts and packages on the seed catalog, with some allowance use.

Dates are relative to the moment the demo is loaded, so that a fresh demo always shows a
trial about to convert, a package about to expire, and this month's included tickets.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from assistdesk.catalog.models import Plan
from assistdesk.contracts import services
from assistdesk.customers.models import Customer
from assistdesk.domain.allowances import add_months

# customer, plan, months ago it started (on the 1st), billing cycle
CONTRACTS = [
    ("studio-rossi", "efuture-on-request", 14, "monthly"),
    ("farmacia-bianchi", "interventions-annual", 5, "annual"),
    ("officina-verdi", "interventions-one-off", 2, "monthly"),
    ("hotel-lago", "scudo-360-h24", 7, "annual"),
    ("cabinet-martin", "fr-on-request", 9, "monthly"),
    ("boulangerie-dupont", "fr-on-request", 3, "monthly"),
    ("atelier-lefevre", "expert", 4, "monthly"),
    ("acme-brasov", "expert", 2, "monthly"),
    ("contabil-plus", "expert", 6, "annual"),
    ("magazin-popescu", "tip-0", 8, "monthly"),
    ("fabrica-ionescu", "tip-0", 1, "monthly"),
]

# customer, package plan, days ago it was bought
PACKAGES = [
    ("studio-rossi", "remote12", 340),  # expires within 30 days: an expiry notice
    ("studio-rossi", "onsite24", 60),
    ("officina-verdi", "remote24", 20),
]

# customer, rate key, mode, minutes, days ago, ticket
USES = [
    ("studio-rossi", "remote", "remote", 200, 300, "demo-101"),
    ("studio-rossi", "remote", "remote", 470, 40, "demo-117"),
    ("studio-rossi", "onsite", "onsite", 135, 10, "demo-123"),
    ("officina-verdi", "remote", "remote", 90, 5, "demo-131"),
]


def _first_of_month(today: date, months_ago: int) -> date:
    return add_months(today.replace(day=1), -months_ago)


def load(*, now: datetime) -> None:
    customers = {c.key: c for c in Customer.objects.all()}
    plans = {p.key: p for p in Plan.objects.all()}
    today = now.date()
    for customer_key, plan_key, months_ago, cycle in CONTRACTS:
        services.contract_create(
            customer=customers[customer_key],
            plan=plans[plan_key],
            start_on=_first_of_month(today, months_ago),
            billing_cycle=cycle,
            actor="demo",
            now=now,
        )
    # A Scudo trial that started after the final acceptance test 85 days ago: it converts
    # into Scudo Full in a few days (the customer rents its system).
    services.contract_create(
        customer=customers["logistica-adriatica"],
        plan=plans["scudo-trial-90"],
        start_on=today - timedelta(days=85),
        billing_cycle="annual",
        converts_to_plan=plans["scudo-full"],
        actor="demo",
        now=now,
    )
    for customer_key, plan_key, days_ago in PACKAGES:
        services.package_purchase(
            customer=customers[customer_key],
            plan=plans[plan_key],
            purchased_on=today - timedelta(days=days_ago),
            actor="demo",
            now=now,
        )
    services.allowances_grant_due_monthly(now=now, actor="demo")
    for customer_key, rate_key, mode, minutes, days_ago, ref in USES:
        services.allowance_debit(
            customer=customers[customer_key],
            rate_key=rate_key,
            mode=mode,
            minutes=Decimal(minutes),
            at=now - timedelta(days=days_ago),
            ref=ref,
            actor="demo",
            now=now,
        )
    services.allowance_debit(
        customer=customers["acme-brasov"],
        rate_key="remote_support",
        mode="remote",
        minutes=Decimal(240),
        at=now,
        ref="demo-140",
        actor="demo",
        now=now,
    )
    services.allowance_notices_due(now=now, actor="demo")
