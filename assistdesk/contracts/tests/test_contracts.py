"""Contracts: creation, trial conversion on its day, renewal, end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from assistdesk.catalog.tests.factories import PlanFactory, package_plan, ticket_plan
from assistdesk.common import scheduler
from assistdesk.contracts import services
from assistdesk.contracts.models import Contract, ContractEvent, ContractState
from assistdesk.contracts.selectors import contract_in_force, contract_rating_terms
from assistdesk.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D = Decimal


def at(text: str) -> datetime:
    """A UTC instant (the calendars here are Bucharest, UTC+2 in winter, +3 in summer)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def plans() -> dict[str, object]:
    full = PlanFactory(key="scudo-full", annual_fee_amount=D("3600"), is_parts_covered=True)
    s360 = PlanFactory(key="scudo-360", annual_fee_amount=D("2400"), term_months=12)
    trial = PlanFactory(key="scudo-trial-90", trial_days=90, trial_converts_to=s360)
    return {"trial": trial, "360": s360, "full": full}


def test_a_trial_runs_its_days_and_converts_on_its_day(plans: dict[str, object]) -> None:
    customer = CustomerFactory(workstations=7)
    trial = services.contract_create(
        customer=customer,
        plan=plans["trial"],
        start_on=date(2026, 1, 15),
        billing_cycle="annual",
        coefficients={"sla_option": D("1.2")},
        actor="staff",
        now=at("2026-01-15T08:00"),
    )
    # 90 days: 15 Jan .. 14 Apr; converts on 15 Apr (local date in the plan's calendar)
    assert (trial.state, trial.ends_on, trial.workstations) == ("trial", date(2026, 4, 14), 7)

    assert services.contracts_convert_due_trials(now=at("2026-04-14T20:59")) == []  # 23:59 local
    (successor,) = services.contracts_convert_due_trials(now=at("2026-04-14T21:00"))  # 00:00

    trial.refresh_from_db()
    assert trial.state == ContractState.CONVERTED
    assert successor.converted_from == trial and trial.converted_to == successor
    assert (successor.plan, successor.state) == (plans["360"], ContractState.ACTIVE)
    assert (successor.start_on, successor.ends_on) == (date(2026, 4, 15), date(2027, 4, 14))
    assert (successor.billing_cycle, successor.workstations) == ("annual", 7)
    assert {c.name: c.factor for c in successor.coefficients.all()} == {"sla_option": D("1.2")}
    # the job is idempotent: nothing more to do, however often it runs
    assert services.contracts_convert_due_trials(now=at("2026-04-15T10:00")) == []
    assert Contract.objects.count() == 2
    kinds = list(ContractEvent.objects.filter(contract=trial).values_list("kind", flat=True))
    assert kinds == ["created", "converted"]


def test_a_trial_converts_into_the_plan_the_customer_chose(plans: dict[str, object]) -> None:
    # Seed 002: "SCUDO TRIAL 90 può essere convertito in SCUDO 360 o SCUDO Full"
    trial = services.contract_create(
        customer=CustomerFactory(),
        plan=plans["trial"],
        start_on=date(2026, 1, 1),
        actor="s",
        now=at("2026-01-01T08:00"),
    )
    services.contract_set_trial_target(
        contract=trial, plan=plans["full"], actor="s", now=at("2026-02-01T08:00")
    )
    with pytest.raises(ValidationError) as raised:
        services.contract_convert_trial(contract=trial, actor="s", now=at("2026-02-01T08:00"))
    assert raised.value.message_dict == {
        "ends_on": ["ends_on: the trial converts on 2026-04-01, not before"]
    }
    (successor,) = services.contracts_convert_due_trials(now=at("2026-04-01T06:00"))
    assert successor.plan == plans["full"] and successor.ends_on is None


def test_a_trial_with_nowhere_to_go_ends() -> None:
    trial_plan = PlanFactory(trial_days=30)
    trial = services.contract_create(
        customer=CustomerFactory(),
        plan=trial_plan,
        start_on=date(2026, 1, 1),
        actor="s",
        now=at("2026-01-01T08:00"),
    )
    assert services.contracts_convert_due_trials(now=at("2026-02-01T08:00")) == []
    trial.refresh_from_db()
    assert trial.state == ContractState.ENDED


def test_an_annual_contract_renews_term_by_term_unless_ended() -> None:
    plan = PlanFactory(term_months=12, annual_fee_amount=D("1800"))
    renewing = services.contract_create(
        customer=CustomerFactory(),
        plan=plan,
        start_on=date(2026, 4, 1),
        billing_cycle="annual",
        actor="s",
        now=at("2026-04-01T08:00"),
    )
    ending = services.contract_create(
        customer=CustomerFactory(),
        plan=plan,
        start_on=date(2026, 4, 1),
        actor="s",
        now=at("2026-04-01T08:00"),
    )
    services.contract_end(
        contract=ending, last_on=date(2027, 3, 31), actor="s", now=at("2026-10-01T08:00")
    )
    assert renewing.ends_on == date(2027, 3, 31)

    assert services.contracts_renew_due(now=at("2027-03-31T12:00")) == []
    changed = services.contracts_renew_due(now=at("2027-03-31T21:00"))  # 1 Apr 00:00 local

    assert len(changed) == 2
    renewing.refresh_from_db()
    ending.refresh_from_db()
    assert (renewing.state, renewing.ends_on) == ("active", date(2028, 3, 31))
    assert (ending.state, ending.ends_on) == ("ended", date(2027, 3, 31))
    assert services.contracts_renew_due(now=at("2027-04-02T12:00")) == []  # idempotent
    # A scheduler that was down for two terms catches up in one run.
    (caught_up,) = services.contracts_renew_due(now=at("2030-01-01T12:00"))
    assert caught_up.ends_on == date(2030, 3, 31)


def test_a_package_plan_is_bought_not_contracted() -> None:
    with pytest.raises(ValidationError) as raised:
        services.contract_create(
            customer=CustomerFactory(),
            plan=package_plan(),
            start_on=date(2026, 1, 1),
            actor="s",
            now=at("2026-01-01T08:00"),
        )
    assert raised.value.message_dict["plan"] == [
        "plan: a package plan is bought as a package, not contracted"
    ]
    assert not Contract.objects.exists()


def test_the_contract_in_force_and_its_rating_terms() -> None:
    customer = CustomerFactory()
    priority = ticket_plan(priority=1)
    services.contract_create(
        customer=customer,
        plan=ticket_plan(),
        start_on=date(2026, 1, 1),
        actor="s",
        now=at("2026-01-01T08:00"),
    )
    best = services.contract_create(
        customer=customer,
        plan=priority,
        start_on=date(2026, 1, 1),
        coefficients={"remote_site": D("1.25")},
        actor="s",
        now=at("2026-01-01T08:00"),
    )
    assert contract_in_force(customer=customer, at=at("2025-12-31T21:59")) is None  # 23:59 local
    assert contract_in_force(customer=customer, at=at("2025-12-31T22:00")) == best
    terms = contract_rating_terms(contract=best)
    assert dict(terms.coefficients) == {"remote_site": D("1.25")}
    with pytest.raises(ValidationError) as raised:
        services.contract_create(
            customer=customer,
            plan=priority,
            start_on=date(2026, 1, 1),
            coefficients={"urgent": D("2")},
            actor="s",
            now=at("2026-01-01T08:00"),
        )
    assert raised.value.message_dict == {
        "name": ["name: out_of_hours and urgent belong to the plan"]
    }


def test_the_periodic_jobs_are_registered() -> None:
    names = {job.name for job in scheduler.jobs()}
    assert {
        "contracts-trial-conversion",
        "contracts-renewal",
        "allowances-monthly-grants",
        "allowances-expiry",
        "allowances-notices",
    } <= names


def test_a_contract_added_in_the_admin_is_made_by_the_service(
    admin_client: Client, settings: Any, plans: dict[str, object]
) -> None:
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    customer = CustomerFactory()
    form = {
        "customer": customer.pk,
        "plan": plans["360"].pk,  # type: ignore[attr-defined]
        "start_on": "2026-04-01",
        "billing_cycle": "annual",
        "workstations": "5",
        "converts_to_plan": plans["full"].pk,  # type: ignore[attr-defined]
        "extra_time_calendar": "",
        "coefficients-TOTAL_FORMS": "1",
        "coefficients-INITIAL_FORMS": "0",
        "coefficients-0-name": "sla_option",
        "coefficients-0-factor": "1.2",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    url = "/admin/contracts/contract/add/"

    response = admin_client.post(url, form)
    assert response.status_code == 200
    assert "converts_to_plan: only a trial converts" in response.content.decode()

    response = admin_client.post(url, form | {"converts_to_plan": ""})
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert (contract.state, contract.ends_on, contract.workstations) == (
        "active",
        date(2027, 3, 31),
        5,
    )
    assert [(c.name, c.factor) for c in contract.coefficients.all()] == [("sla_option", D("1.2"))]
    assert list(contract.events.values_list("kind", "actor")) == [("created", "admin")]


def test_the_demo_loads_a_dozen_customers_in_three_countries_on_the_seed_plans() -> None:
    from assistdesk.catalog import demo as catalog_demo
    from assistdesk.contracts import demo as contracts_demo
    from assistdesk.contracts.models import AllowanceNotice, PackagePurchase
    from assistdesk.customers import demo as customers_demo
    from assistdesk.customers.models import Customer

    now = at("2026-11-21T10:00")
    for module in (customers_demo, catalog_demo, contracts_demo):
        module.load(now=now)

    customers = Customer.objects.all()
    assert customers.count() == 12
    assert set(customers.values_list("country", flat=True)) == {"IT", "FR", "RO"}
    assert all(c.contracts.exists() for c in customers)
    assert Contract.objects.filter(state="trial").count() == 1
    assert PackagePurchase.objects.count() == 3
    assert AllowanceNotice.objects.filter(kind="expiring").exists()
