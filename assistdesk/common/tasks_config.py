"""What the configured task backend is, read from settings in one place."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
REDIS_BACKEND = "django_tasks_rq.RQBackend"


def default_backend() -> dict[str, Any]:
    return cast(dict[str, Any], settings.TASKS["default"])


def backend_path() -> str:
    return str(default_backend()["BACKEND"])


def queue_names() -> list[str]:
    return list(default_backend().get("QUEUES", ["default"]))
