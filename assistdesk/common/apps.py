"""Shared base models, the clock, the scheduler and operations endpoints."""

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "assistdesk.common"
    label = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from assistdesk.common import scheduler

        scheduler.register(
            "prune-task-results", "17 3 * * *", "assistdesk.common.tasks.prune_task_results"
        )
