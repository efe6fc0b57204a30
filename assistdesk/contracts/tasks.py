"""Periodic jobs of the contracts app (registered in `ContractsConfig.ready`).

Each one processes everything that is due at the moment it runs, so a late or repeated
run does the same as one on time. They run hourly: a local midnight in the plans' time
zones is never more than an hour away from a run.
"""

from __future__ import annotations

from django_tasks import task

from assistdesk.common import clock
from assistdesk.contracts import services


@task()
def convert_due_trials() -> int:
    return len(services.contracts_convert_due_trials(now=clock.now()))


@task()
def renew_due_contracts() -> int:
    return len(services.contracts_renew_due(now=clock.now()))


@task()
def grant_monthly_allowances() -> int:
    return services.allowances_grant_due_monthly(now=clock.now())


@task()
def expire_allowances() -> int:
    return len(services.allowances_expire(now=clock.now()))


@task()
def allowance_notices() -> int:
    return len(services.allowance_notices_due(now=clock.now()))
