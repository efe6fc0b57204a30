"""Allowance ledgers as worked examples: one story per test, read like a statement.

Each story buys, uses, expires and buys again through the services, then reads the
customer's allowances as the monthly statement shows them:
(source, granted, used, expired, left, expires on).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from assistdesk.catalog.tests.factories import package_plan, ticket_plan
from assistdesk.contracts import services
from assistdesk.contracts.models import (
    AllowanceBucket,
    AllowanceEntry,
    AllowanceNotice,
    AppendOnlyError,
    PackagePurchase,
)
from assistdesk.contracts.selectors import bucket_balance, customer_allowances
from assistdesk.customers.models import Customer
from assistdesk.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D = Decimal
ROME = ZoneInfo("Europe/Rome")
BUCHAREST = ZoneInfo("Europe/Bucharest")


def rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME).astimezone(UTC)


def bucharest(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BUCHAREST).astimezone(UTC)


def statement(customer: Customer) -> list[tuple[str, int, int, int, int, str]]:
    return [
        (
            line.source,
            int(line.granted_minutes),
            int(line.used_minutes),
            int(line.expired_minutes),
            int(line.left_minutes),
            line.expires_on.isoformat(),
        )
        for line in customer_allowances(customer=customer)
    ]


def debit(customer: Customer, minutes: int, at: datetime, ref: str, **kw: Any) -> Any:
    kw.setdefault("rate_key", "remote")
    kw.setdefault("mode", "remote")
    return services.allowance_debit(
        customer=customer, minutes=D(minutes), at=at, ref=ref, actor="tech", now=at, **kw
    )


def test_buy_12_h_use_3_h_20_expire_buy_24_h() -> None:
    # Seed 000: "il tempo impiegato ... verrà scalato dal monte ore acquistato"; packages
    # "hanno una validità di 12 mesi"; "è possibile acquistarne uno nuovo anche con un
    # taglio differente dal precedente".
    studio = CustomerFactory(country="IT", currency="EUR")
    remote12, remote24 = package_plan("remote12"), package_plan("remote24", hours=24)

    bought = services.package_purchase(
        customer=studio,
        plan=remote12,
        purchased_on=date(2025, 3, 10),
        actor="sales",
        now=rome("2025-03-10T11:00"),
    )
    assert (bought.minutes, bought.price_amount, bought.currency) == (720, D("540"), "EUR")
    assert bought.expires_at == rome("2026-03-10T00:00")

    plan = debit(studio, 200, rome("2025-06-02T12:00"), "A1")  # 3 h 20 min
    assert (plan.consumed_minutes, plan.remainder_minutes) == (200, 0)
    assert statement(studio) == [
        ("package remote12 2025-03-10", 720, 200, 0, 520, "2026-03-10"),
    ]

    # The day before expiry nothing happens; at midnight the 520 min left are written off.
    assert services.allowances_expire(now=rome("2026-03-09T23:59")) == []
    (write_off,) = services.allowances_expire(now=rome("2026-03-10T03:00"))
    assert (write_off.kind, write_off.minutes, write_off.at) == (
        "expiry",
        D(-520),
        rome("2026-03-10T00:00"),  # dated at the expiry, not when the job ran
    )
    assert services.allowances_expire(now=rome("2026-03-11T03:00")) == []  # idempotent

    # An expired package is not drawn on: the work is billed at the rate.
    plan = debit(studio, 45, rome("2026-03-11T10:00"), "A2")
    assert (plan.consumed_minutes, plan.remainder_minutes) == (0, 45)

    services.package_purchase(
        customer=studio,
        plan=remote24,
        purchased_on=date(2026, 3, 12),
        actor="sales",
        now=rome("2026-03-12T09:00"),
    )
    debit(studio, 90, rome("2026-03-20T16:00"), "A3")

    assert statement(studio) == [
        ("package remote12 2025-03-10", 720, 200, 520, 0, "2026-03-10"),
        ("package remote24 2026-03-12", 1440, 90, 0, 1350, "2027-03-12"),
    ]


def test_packages_are_drawn_first_expiring_first_and_by_mode() -> None:
    studio = CustomerFactory(country="IT", currency="EUR")
    remote12, onsite12 = package_plan("remote12"), package_plan("onsite12", mode="onsite")
    for on in (date(2025, 9, 1), date(2025, 6, 1)):
        services.package_purchase(
            customer=studio,
            plan=remote12,
            purchased_on=on,
            actor="sales",
            now=rome("2025-09-01T09:00"),
        )
    services.package_purchase(
        customer=studio,
        plan=onsite12,
        purchased_on=date(2025, 1, 1),
        actor="sales",
        now=rome("2025-09-01T09:00"),
    )

    # 13 h of remote work: the June package (expiring first) is emptied, the rest from
    # September's; the on-site package, though it expires before both, is not touched.
    plan = debit(studio, 780, rome("2025-10-01T10:00"), "B1")
    assert [(d.bucket_key, d.minutes) for d in plan.debits] == [
        ("package remote12 2025-06-01", 720),
        ("package remote12 2025-09-01", 60),
    ]
    # 11 h 30 min more: 11 h left, 30 min to bill at the rate.
    plan = debit(studio, 690, rome("2025-10-02T10:00"), "B2")
    assert (plan.consumed_minutes, plan.remainder_minutes) == (660, 30)
    plan = debit(studio, 50, rome("2025-10-03T10:00"), "B3", rate_key="onsite", mode="onsite")
    assert [(d.bucket_key, d.minutes) for d in plan.debits] == [("package onsite12 2025-01-01", 50)]

    assert statement(studio) == [
        ("package onsite12 2025-01-01", 720, 50, 0, 670, "2026-01-01"),
        ("package remote12 2025-06-01", 720, 720, 0, 0, "2026-06-01"),
        ("package remote12 2025-09-01", 720, 720, 0, 0, "2026-09-01"),
    ]


def test_the_months_included_tickets_go_first_then_packages_and_do_not_roll_over() -> None:
    # Seed 004 Expert: "10 tichete (5 ore) incluse lunar"; §2.3: the month's included
    # allowance, then packages first-expiring-first.
    acme = CustomerFactory()
    expert = ticket_plan(key="expert")
    remote = package_plan("remote12")
    services.contract_create(
        customer=acme,
        plan=expert,
        start_on=date(2026, 1, 1),
        actor="sales",
        now=bucharest("2026-01-01T09:00"),
    )
    services.package_purchase(
        customer=acme,
        plan=remote,
        purchased_on=date(2026, 1, 2),
        actor="sales",
        now=bucharest("2026-01-02T09:00"),
    )

    # 6 h of remote support in January: 5 h included, 1 h from the package.
    plan = debit(acme, 360, bucharest("2026-01-14T09:00"), "T2", rate_key="remote_support")
    assert [(d.bucket_key, d.minutes) for d in plan.debits] == [
        ("monthly 2026-01", 300),
        ("package remote12 2026-01-02", 60),
    ]
    # An on-site line is not covered by the included remote tickets.
    plan = debit(acme, 60, bucharest("2026-01-20T09:00"), "T3", rate_key="onsite", mode="onsite")
    assert (plan.debits, plan.remainder_minutes) == ((), 60)

    # February opens its own 300 minutes; nothing of January's comes along.
    debit(acme, 30, bucharest("2026-02-03T10:00"), "T4", rate_key="remote_support")
    services.allowances_expire(now=bucharest("2026-03-01T00:30"))

    assert statement(acme) == [
        ("monthly 2026-01", 300, 300, 0, 0, "2026-02-01"),
        ("monthly 2026-02", 300, 30, 270, 0, "2026-03-01"),
        ("package remote12 2026-01-02", 720, 60, 0, 660, "2027-01-02"),
    ]


def test_the_monthly_grant_is_made_once_per_contract_and_month() -> None:
    acme = CustomerFactory()
    contract = services.contract_create(
        customer=acme,
        plan=ticket_plan(),
        start_on=date(2026, 1, 15),
        actor="sales",
        now=bucharest("2026-01-15T09:00"),
    )
    now = bucharest("2026-01-20T09:00")
    first = services.allowance_grant_monthly(
        contract=contract, month_on=date(2026, 1, 20), actor="job", now=now
    )
    again = services.allowance_grant_monthly(
        contract=contract, month_on=date(2026, 1, 1), actor="job", now=now
    )
    assert first == again and len(first) == 1
    assert services.allowances_grant_due_monthly(now=now) == 0
    assert services.allowances_grant_due_monthly(now=bucharest("2026-02-01T00:10")) == 1
    assert services.allowances_grant_due_monthly(now=bucharest("2026-02-01T01:10")) == 0
    # No grant for a month the contract does not touch.
    assert (
        services.allowance_grant_monthly(
            contract=contract, month_on=date(2025, 12, 1), actor="job", now=now
        )
        == []
    )
    assert statement(acme) == [
        ("monthly 2026-01", 300, 0, 0, 300, "2026-02-01"),
        ("monthly 2026-02", 300, 0, 0, 300, "2026-03-01"),
    ]
    assert AllowanceEntry.objects.filter(kind="grant").count() == 2


def test_a_reopened_ticket_gives_its_minutes_back_with_reversals() -> None:
    studio = CustomerFactory(country="IT", currency="EUR")
    services.package_purchase(
        customer=studio,
        plan=package_plan("remote12"),
        purchased_on=date(2026, 1, 5),
        actor="sales",
        now=rome("2026-01-05T09:00"),
    )
    debit(studio, 100, rome("2026-01-09T10:00"), "T7")
    debit(studio, 20, rome("2026-01-09T11:00"), "T8")
    reopened_at = rome("2026-01-12T09:00")

    reversals = services.allowance_reverse_uses(
        customer=studio, ref="T7", at=reopened_at, actor="tech", now=reopened_at
    )

    assert [(r.kind, r.minutes, r.reverses.kind) for r in reversals] == [("reversal", 100, "use")]
    assert statement(studio) == [("package remote12 2026-01-05", 720, 20, 0, 700, "2027-01-05")]
    assert (
        services.allowance_reverse_uses(
            customer=studio, ref="T7", at=reopened_at, actor="tech", now=reopened_at
        )
        == []
    )
    with pytest.raises(ValidationError) as raised:
        services.allowance_reverse(entry=reversals[0], at=reopened_at, actor="t", now=reopened_at)
    assert raised.value.message_dict == {
        "entry": ["entry: reverse the original entry, not a reversal"]
    }
    # Rated again after the fix: 130 minutes this time.
    debit(studio, 130, rome("2026-01-13T10:00"), "T7")
    assert statement(studio) == [("package remote12 2026-01-05", 720, 150, 0, 570, "2027-01-05")]


def test_notices_for_a_low_balance_and_a_package_about_to_expire_once_each() -> None:
    studio = CustomerFactory(country="IT", currency="EUR")
    plan = package_plan("remote12", low_balance_notice_minutes=120)
    bought = services.package_purchase(
        customer=studio,
        plan=plan,
        purchased_on=date(2025, 3, 10),
        actor="sales",
        now=rome("2025-03-10T09:00"),
    )
    debit(studio, 590, rome("2025-05-01T10:00"), "N1")
    assert not AllowanceNotice.objects.exists()  # 130 left: not under 120 yet
    debit(studio, 20, rome("2025-05-02T10:00"), "N2")
    debit(studio, 20, rome("2025-05-03T10:00"), "N3")
    (low,) = AllowanceNotice.objects.all()
    assert (low.kind, low.balance_minutes, low.handed_over_at) == ("low_balance", 110, None)

    assert services.allowance_notices_due(now=rome("2026-02-07T12:00")) == []  # 31 days before
    (expiring,) = services.allowance_notices_due(now=rome("2026-02-08T12:00"))  # 30 days
    assert (expiring.kind, expiring.bucket, expiring.balance_minutes) == (
        "expiring",
        bought.bucket,
        90,
    )
    assert services.allowance_notices_due(now=rome("2026-02-09T12:00")) == []


def test_ledger_rows_are_never_changed_nor_deleted(admin_client: Client, settings: Any) -> None:
    studio = CustomerFactory(country="IT", currency="EUR")
    bought = services.package_purchase(
        customer=studio,
        plan=package_plan(),
        purchased_on=date(2026, 1, 5),
        actor="sales",
        now=rome("2026-01-05T09:00"),
    )
    entry = AllowanceEntry.objects.get()
    entry.minutes = D(9999)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AllowanceEntry.objects.filter(pk=entry.pk).update(minutes=D(1))
    with pytest.raises(AppendOnlyError):
        AllowanceEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AllowanceBucket.objects.filter(pk=bought.bucket.pk).update(expires_at=rome("2030-01-01"))
    assert bucket_balance(bucket=bought.bucket) == 720

    # The admin shows the ledger and never edits it.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    url = f"/admin/contracts/allowanceentry/{entry.pk}/change/"
    assert admin_client.get(url).status_code == 200  # view only
    assert admin_client.post(url, {"minutes": "1"}).status_code == 403
    assert admin_client.get("/admin/contracts/allowanceentry/add/").status_code == 403
    bucket_url = f"/admin/contracts/allowancebucket/{bought.bucket.pk}/delete/"
    assert admin_client.post(bucket_url, {"post": "yes"}).status_code == 403
    assert bucket_balance(bucket=bought.bucket) == 720


def test_a_package_bought_in_the_admin_opens_its_ledger(
    admin_client: Client, settings: Any
) -> None:
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    studio = CustomerFactory(country="IT", currency="EUR")
    plan = package_plan("remote24", hours=24)
    not_a_package = ticket_plan()
    url = "/admin/contracts/packagepurchase/add/"
    form = {"customer": studio.pk, "plan": not_a_package.pk, "purchased_on": "2026-01-10"}

    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert f"plan: {not_a_package.key} is not a package plan" in response.content.decode()

    assert admin_client.post(url, form | {"plan": plan.pk}).status_code == 302
    purchase = PackagePurchase.objects.get()
    assert (purchase.actor, purchase.minutes) == ("admin", 1440)
    assert statement(studio) == [("package remote24 2026-01-10", 1440, 0, 0, 1440, "2027-01-10")]


def test_a_ticket_rated_by_the_domain_draws_on_the_locked_ledgers() -> None:
    # Example 01 (seed 004, Expert): T1 40 min of remote support -> 2 tickets from the
    # month's 10; T2 4 h 10 min -> 9 tickets, 8 from what is left, 1 billed at 25 EUR.
    from django.db import transaction

    from assistdesk.catalog.selectors import plan_get
    from assistdesk.domain.rating import Intervention, SlaOutcome, TicketWork, rate_ticket

    acme = CustomerFactory(is_in_town=False)
    ticket_plan(key="expert")
    expert = plan_get(key="expert")
    services.contract_create(
        customer=acme,
        plan=expert,
        start_on=date(2026, 1, 1),
        actor="sales",
        now=bucharest("2026-01-01T09:00"),
    )
    office = expert.calendar.to_domain()

    def close(key: str, spans: list[tuple[str, str]], closed: str) -> Any:
        work = TicketWork(
            key,
            False,
            tuple(Intervention(bucharest(a), bucharest(b), "remote", "support") for a, b in spans),
        )
        closed_at = bucharest(closed)
        with transaction.atomic():
            buckets = services.allowance_buckets_locked(
                customer=acme, at=closed_at, actor="tech", now=closed_at
            )
            rating = rate_ticket(
                work,
                expert.to_rating_terms(),
                is_in_town=False,
                is_working=office.is_working,
                sla=SlaOutcome(),
                buckets=buckets,
                closed_at=closed_at,
            )
            services.allowance_record_uses(
                customer=acme,
                debits=rating.debits,
                at=closed_at,
                ref=key,
                actor="tech",
                now=closed_at,
            )
        return rating

    t1 = close("T1", [("2026-01-08T14:00", "2026-01-08T14:40")], "2026-01-09T10:00")
    t2 = close(
        "T2",
        [("2026-01-12T10:00", "2026-01-12T12:00"), ("2026-01-13T09:00", "2026-01-13T11:10")],
        "2026-01-14T09:00",
    )

    assert (t1.total_amount, t2.total_amount) == (D("0.00"), D("25.00"))
    assert statement(acme) == [("monthly 2026-01", 300, 300, 0, 0, "2026-02-01")]
    uses = AllowanceEntry.objects.filter(kind="use").order_by("id")
    assert [(u.ref, u.minutes) for u in uses] == [("T1", -60), ("T2", -240)]
