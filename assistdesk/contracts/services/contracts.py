"""Contracts: creation, trial conversion, renewal, end (DESIGN.md §2.3).

Dates are local dates in the plan calendar's time zone. `ends_on` is the last day a
contract covers; a trial converts on the day after it, a fixed-term contract renews then.
The periodic jobs (`contracts_convert_due_trials`, `contracts_renew_due`) process
everything that is due and change the state they act on, so running them twice, or late,
does the same as running them once on time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from assistdesk.catalog.models import Calendar, Plan
from assistdesk.contracts.models import (
    BillingCycle,
    Contract,
    ContractCoefficient,
    ContractEvent,
    ContractEventKind,
    ContractState,
)
from assistdesk.customers.models import Customer
from assistdesk.domain.allowances import add_months

SCHEDULER = "scheduler"


def _event(contract: Contract, kind: str, *, actor: str, now: datetime, note: str = "") -> None:
    ContractEvent.objects.create(contract=contract, kind=kind, at=now, actor=actor, note=note)


def term_end_on(start_on: date, months: int) -> date:
    """The last day of a term of `months` starting on `start_on`."""
    return add_months(start_on, months) - timedelta(days=1)


def contract_create(
    *,
    customer: Customer,
    plan: Plan,
    start_on: date,
    billing_cycle: str = BillingCycle.MONTHLY,
    workstations: int | None = None,
    converts_to_plan: Plan | None = None,
    extra_time_calendar: Calendar | None = None,
    coefficients: Mapping[str, Decimal] | None = None,
    converted_from: Contract | None = None,
    actor: str,
    now: datetime,
) -> Contract:
    """Bind `customer` to `plan` from `start_on`.

    A trial plan starts a trial of `trial_days` days; a plan with `term_months` runs for
    terms of that length; any other plan is open-ended.
    """
    ends_on: date | None
    if plan.is_trial:
        state, ends_on = ContractState.TRIAL, start_on + timedelta(days=(plan.trial_days or 0) - 1)
    else:
        state = ContractState.ACTIVE
        ends_on = term_end_on(start_on, plan.term_months) if plan.term_months else None
    if converts_to_plan is not None and not plan.is_trial:
        raise ValidationError({"converts_to_plan": "converts_to_plan: only a trial converts"})
    if billing_cycle not in BillingCycle.values:
        raise ValidationError({"billing_cycle": f"billing_cycle: one of {BillingCycle.values}"})
    contract = Contract(
        customer=customer,
        plan=plan,
        start_on=start_on,
        ends_on=ends_on,
        billing_cycle=billing_cycle,
        workstations=customer.workstations if workstations is None else workstations,
        state=state,
        converts_to_plan=converts_to_plan,
        extra_time_calendar=extra_time_calendar,
        converted_from=converted_from,
    )
    contract.full_clean()
    own = [ContractCoefficient(name=n, factor=f) for n, f in (coefficients or {}).items()]
    for coefficient in own:
        coefficient.contract = contract
        coefficient.full_clean(exclude=["contract"])
    with transaction.atomic():
        contract.save()
        for coefficient in own:
            coefficient.contract = contract
            coefficient.save()
        _event(contract, ContractEventKind.CREATED, actor=actor, now=now, note=f"plan {plan.key}")
    return contract


def contract_set_trial_target(
    *, contract: Contract, plan: Plan, actor: str, now: datetime
) -> Contract:
    """Record the plan a trial will convert into (seed 002: 360 or Full)."""
    if plan.is_package or plan.is_trial or plan.pk == contract.plan_id:
        raise ValidationError({"converts_to_plan": "converts_to_plan: not a plan to convert to"})
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.state != ContractState.TRIAL:
            raise ValidationError({"state": f"state: the contract is {locked.state}, not a trial"})
        locked.converts_to_plan = plan
        locked.save(update_fields=["converts_to_plan", "updated_at"])
    return locked


def conversion_on(contract: Contract) -> date | None:
    """The day a trial converts: the day after its last."""
    return None if contract.ends_on is None else contract.ends_on + timedelta(days=1)


def contract_convert_trial(*, contract: Contract, actor: str, now: datetime) -> Contract | None:
    """Convert a trial on (or after) its conversion day; returns the new contract.

    The new contract starts on the conversion day on the chosen plan (the contract's
    `converts_to_plan`, else the plan's `trial_converts_to`), with the trial's billing
    cycle, workstations, Extra Time and coefficients. A trial with nowhere to go ends.
    """
    with transaction.atomic():
        trial = (
            Contract.objects.select_for_update(of=("self",))
            .select_related("plan__calendar")
            .get(pk=contract.pk)
        )
        if trial.state != ContractState.TRIAL:
            raise ValidationError({"state": f"state: the contract is {trial.state}, not a trial"})
        day = conversion_on(trial)
        today = trial.plan.calendar.local_date(now)
        if day is None or today < day:
            raise ValidationError({"ends_on": f"ends_on: the trial converts on {day}, not before"})
        target = trial.converts_to_plan or trial.plan.trial_converts_to
        if target is None:
            trial.state = ContractState.ENDED
            trial.save(update_fields=["state", "updated_at"])
            _event(trial, ContractEventKind.ENDED, actor=actor, now=now, note="trial over")
            return None
        successor = contract_create(
            customer=trial.customer,
            plan=target,
            start_on=day,
            billing_cycle=trial.billing_cycle,
            workstations=trial.workstations,
            extra_time_calendar=trial.extra_time_calendar,
            coefficients={c.name: c.factor for c in trial.coefficients.all()},
            converted_from=trial,
            actor=actor,
            now=now,
        )
        trial.state = ContractState.CONVERTED
        trial.save(update_fields=["state", "updated_at"])
        _event(trial, ContractEventKind.CONVERTED, actor=actor, now=now, note=f"into {target.key}")
    contract.state = trial.state
    return successor


def contracts_convert_due_trials(*, now: datetime, actor: str = SCHEDULER) -> list[Contract]:
    """Convert every trial whose conversion day has come (the periodic job)."""
    candidates = Contract.objects.filter(
        state=ContractState.TRIAL, ends_on__lt=now.date() + timedelta(days=1)
    ).select_related("plan__calendar")
    converted = []
    for trial in candidates:
        day = conversion_on(trial)
        if day is None or trial.plan.calendar.local_date(now) < day:
            continue
        successor = contract_convert_trial(contract=trial, actor=actor, now=now)
        if successor is not None:
            converted.append(successor)
    return converted


def contract_renew(*, contract: Contract, actor: str, now: datetime) -> Contract:
    """Add one term to a fixed-term contract (its plan's `term_months`)."""
    with transaction.atomic():
        locked = (
            Contract.objects.select_for_update(of=("self",))
            .select_related("plan")
            .get(pk=contract.pk)
        )
        months = locked.plan.term_months
        if locked.state != ContractState.ACTIVE or locked.ends_on is None or not months:
            raise ValidationError({"ends_on": "ends_on: only an active fixed-term contract renews"})
        locked.ends_on = term_end_on(locked.ends_on + timedelta(days=1), months)
        locked.save(update_fields=["ends_on", "updated_at"])
        _event(locked, ContractEventKind.RENEWED, actor=actor, now=now, note=f"to {locked.ends_on}")
    contract.ends_on = locked.ends_on
    return locked


def contract_end(*, contract: Contract, last_on: date, actor: str, now: datetime) -> Contract:
    """End a contract after `last_on` (no renewal); it is `ended` once that day has passed."""
    with transaction.atomic():
        locked = (
            Contract.objects.select_for_update(of=("self",))
            .select_related("plan__calendar")
            .get(pk=contract.pk)
        )
        if locked.state not in (ContractState.ACTIVE, ContractState.TRIAL):
            raise ValidationError({"state": f"state: the contract is already {locked.state}"})
        if last_on < locked.start_on:
            raise ValidationError({"ends_on": "ends_on: before the contract starts"})
        locked.ends_on = last_on
        locked.is_auto_renewed = False
        if locked.plan.calendar.local_date(now) > last_on:
            locked.state = ContractState.ENDED
        locked.save(update_fields=["ends_on", "is_auto_renewed", "state", "updated_at"])
        _event(locked, ContractEventKind.ENDED, actor=actor, now=now, note=f"last day {last_on}")
    return locked


def contracts_renew_due(*, now: datetime, actor: str = SCHEDULER) -> list[Contract]:
    """Renew (or end) every active contract whose last day has passed (the periodic job)."""
    candidates = Contract.objects.filter(
        state=ContractState.ACTIVE, ends_on__lt=now.date() + timedelta(days=1)
    ).select_related("plan__calendar")
    changed = []
    for contract in candidates:
        today = contract.plan.calendar.local_date(now)
        if contract.ends_on is None or contract.ends_on >= today:
            continue
        if contract.is_auto_renewed and contract.plan.term_months:
            renewed = contract
            while renewed.ends_on is not None and renewed.ends_on < today:
                renewed = contract_renew(contract=renewed, actor=actor, now=now)
            changed.append(renewed)
        else:
            with transaction.atomic():
                locked = Contract.objects.select_for_update().get(pk=contract.pk)
                if locked.state != ContractState.ACTIVE:
                    continue
                locked.state = ContractState.ENDED
                locked.save(update_fields=["state", "updated_at"])
                _event(locked, ContractEventKind.ENDED, actor=actor, now=now, note="term over")
            changed.append(locked)
    return changed
