"""`assistdesk worker`: run background tasks from the configured backend.

The database backend (embedded default) is served by django-tasks-db's worker; the
Redis backend (scale-out) by an RQ worker with django-tasks-rq's job class.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from assistdesk.common.tasks_config import (
    DATABASE_BACKEND,
    REDIS_BACKEND,
    backend_path,
    queue_names,
)


class Command(BaseCommand):
    help = "Run the background task worker (database or Redis backend, per TASK_BACKEND)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run every task already queued, then exit.",
        )
        parser.add_argument(
            "--queues",
            default=",".join(queue_names()),
            help="Comma-separated queue names (default: all configured queues).",
        )

    def handle(self, *args: Any, batch: bool, queues: str, **options: Any) -> None:
        backend = backend_path()
        names = [q for q in queues.split(",") if q]
        if backend == DATABASE_BACKEND:
            call_command(
                "db_worker",
                queue_name=",".join(names),
                batch=batch,
                reload=False,
                verbosity=options["verbosity"],
            )
        elif backend == REDIS_BACKEND:
            call_command(
                "rqworker",
                *names,
                job_class="django_tasks_rq.backend.Job",
                burst=batch,
                with_scheduler=True,
            )
        else:
            self.stderr.write(f"backend {backend} runs tasks in-process; no worker needed")
