"""Background tasks of the common app."""

from __future__ import annotations

import os
import socket

from django.core.management import call_command
from django_tasks import task

from assistdesk.common import clock, tasks_config
from assistdesk.common.models import Heartbeat


@task()
def heartbeat(heartbeat_id: int) -> str:
    """Mark a heartbeat as run by this worker."""
    ran_on = f"{socket.gethostname()}:{os.getpid()}"
    Heartbeat.objects.filter(pk=heartbeat_id, ran_at__isnull=True).update(
        ran_at=clock.now(), ran_on=ran_on
    )
    return ran_on


@task()
def prune_task_results() -> None:
    """Keep the database task backend's result table from growing without bound."""
    if tasks_config.backend_path() == tasks_config.DATABASE_BACKEND:
        call_command("prune_db_task_results", min_age_days=14, verbosity=0)
