"""Periodic jobs, safe to run on several nodes at once.

A job is a cron expression (UTC) and a task. On every tick each scheduler process looks
at the most recent slot of each job that is due; claiming a slot is an INSERT into
`ScheduledRun` under a unique (job, slot_at) constraint, so whichever node inserts first
enqueues the task and every other node's insert fails harmlessly. A scheduler that was
down catches up with the latest missed slot only: periodic jobs here (expiry, trial
conversion, month-end billing) are written to process everything that is due, so
running them once after an outage is enough.

Apps register their jobs in `AppConfig.ready()` with `register()`.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from cronsim import CronSim
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from assistdesk.common.models import ScheduledRun

log = logging.getLogger(__name__)

# A slot older than this is not run on start-up: it belongs to an outage, and its
# successor will be along soon enough.
CATCH_UP = timedelta(hours=25)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    cron: str  # five-field cron expression, evaluated in UTC
    task_path: str  # dotted path to a django_tasks Task

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent slot at or before `now`."""
        # CronSim in reverse yields instants strictly before its start, so start just
        # after `now` to include a slot that falls exactly on it.
        return next(CronSim(self.cron, now + timedelta(seconds=1), reverse=True))


_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, cron: str, task_path: str) -> None:
    CronSim(cron, datetime(2000, 1, 1))  # noqa: DTZ001 - validate the expression early
    _JOBS[name] = PeriodicJob(name=name, cron=cron, task_path=task_path)


def jobs() -> list[PeriodicJob]:
    return sorted(_JOBS.values(), key=lambda job: job.name)


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(job: PeriodicJob, slot_at: datetime, *, now: datetime, node: str) -> bool:
    """Try to claim one slot; True only for the single node that gets it."""
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(
                job=job.name, slot_at=slot_at, claimed_at=now, claimed_by=node
            )
    except IntegrityError:
        return False
    return True


def tick(*, now: datetime, node: str | None = None) -> list[str]:
    """Claim and enqueue every job whose latest slot is due. Returns the jobs enqueued."""
    node = node or node_name()
    enqueued = []
    for job in jobs():
        slot_at = job.latest_slot(now)
        if now - slot_at > CATCH_UP:
            continue
        if ScheduledRun.objects.filter(job=job.name, slot_at=slot_at).exists():
            continue  # the cheap path: somebody already has it
        if not claim(job, slot_at, now=now, node=node):
            continue
        result = import_string(job.task_path).enqueue()
        ScheduledRun.objects.filter(job=job.name, slot_at=slot_at).update(
            task_result_id=str(result.id)
        )
        log.info("scheduled %s for slot %s as task %s", job.name, slot_at, result.id)
        enqueued.append(job.name)
    return enqueued
