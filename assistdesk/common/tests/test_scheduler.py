"""The scheduler: each slot of a periodic job runs once, however many nodes tick."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from cronsim import CronSimError
from django.db import close_old_connections, connection

from assistdesk.common import scheduler
from assistdesk.common.models import ScheduledRun

NOW = datetime(2026, 3, 2, 3, 20, tzinfo=UTC)


@pytest.fixture
def only_prune_job(monkeypatch):
    job = scheduler.PeriodicJob(
        name="prune", cron="17 3 * * *", task_path="assistdesk.common.tasks.prune_task_results"
    )
    monkeypatch.setattr(scheduler, "_JOBS", {"prune": job})
    return job


def test_latest_slot_includes_an_exact_hit():
    job = scheduler.PeriodicJob("j", "*/15 * * * *", "x")
    assert job.latest_slot(datetime(2026, 1, 1, 10, 15, tzinfo=UTC)) == datetime(
        2026, 1, 1, 10, 15, tzinfo=UTC
    )
    assert job.latest_slot(datetime(2026, 1, 1, 10, 14, 59, tzinfo=UTC)) == datetime(
        2026, 1, 1, 10, 0, tzinfo=UTC
    )


def test_register_rejects_a_bad_cron_expression():
    with pytest.raises(CronSimError, match="Bad minute"):
        scheduler.register("bad", "61 * * * *", "x")


@pytest.mark.django_db
def test_a_slot_is_enqueued_once_by_the_first_tick(only_prune_job):
    assert scheduler.tick(now=NOW, node="a") == ["prune"]
    assert scheduler.tick(now=NOW, node="b") == []
    run = ScheduledRun.objects.get()
    assert (run.job, run.slot_at, run.claimed_by) == (
        "prune",
        datetime(2026, 3, 2, 3, 17, tzinfo=UTC),
        "a",
    )
    assert run.task_result_id


@pytest.mark.django_db
def test_a_slot_older_than_the_catch_up_window_is_not_run(only_prune_job):
    later = datetime(2026, 3, 3, 3, 16, tzinfo=UTC)  # the 02 slot is 24 h old: still run
    assert scheduler.tick(now=later, node="a") == ["prune"]
    assert not ScheduledRun.objects.filter(slot_at__gt=later).exists()


@pytest.mark.django_db(transaction=True)
def test_nodes_ticking_at_the_same_instant_enqueue_the_slot_once(only_prune_job):
    # SQLite serialises writers, so a few threads are enough to race on the claim there.
    nodes = 4 if connection.vendor == "sqlite" else 12
    barrier = threading.Barrier(nodes)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def node(i: int) -> None:
        try:
            barrier.wait()
            results.append(scheduler.tick(now=NOW, node=f"node-{i}"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=node, args=(i,)) for i in range(nodes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sum(len(r) for r in results) == 1
    assert ScheduledRun.objects.count() == 1
