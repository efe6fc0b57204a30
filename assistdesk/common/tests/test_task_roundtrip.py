"""A task enqueued by a web request is run by a real worker process, on each backend."""

from __future__ import annotations

import os

import django_rq
import pytest
from django.test import override_settings

from assistdesk.common.models import Heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def request_heartbeat(admin_client) -> int:
    response = admin_client.post("/ops/heartbeat/")
    assert response.status_code == 202
    beat_id = response.json()["id"]
    assert Heartbeat.objects.get(pk=beat_id).ran_at is None
    return beat_id


def assert_ran_in_another_process(beat_id: int, admin_client) -> None:
    beat = Heartbeat.objects.get(pk=beat_id)
    assert beat.ran_at is not None
    assert beat.ran_on and not beat.ran_on.endswith(f":{os.getpid()}")
    assert admin_client.get(f"/ops/heartbeat/{beat_id}/").json()["status"] == "ran"


def test_database_backend_round_trip(admin_client, run_assistdesk):
    beat_id = request_heartbeat(admin_client)

    done = run_assistdesk("worker", "--batch")

    assert done.returncode == 0, done.stderr
    assert_ran_in_another_process(beat_id, admin_client)


def test_redis_backend_round_trip(admin_client, run_assistdesk, settings):
    # The Redis backend is the scale-out path; the test's own Redis db keeps runs apart.
    rq_tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=rq_tasks):
        django_rq.get_queue("default").empty()
        beat_id = request_heartbeat(admin_client)
        assert django_rq.get_queue("default").count == 1

        done = run_assistdesk("worker", "--batch", "--queues", "default", TASK_BACKEND="redis")

    assert done.returncode == 0, done.stderr
    assert_ran_in_another_process(beat_id, admin_client)


def test_heartbeat_needs_staff(client):
    response = client.post("/ops/heartbeat/")
    assert response.status_code == 302  # to the login page
    assert not Heartbeat.objects.exists()
