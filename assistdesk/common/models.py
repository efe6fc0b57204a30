"""Base model and the operational tables of the common app."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Rows that remember when they were made and last changed (aware UTC)."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class ScheduledRun(models.Model):
    """One claimed slot of a periodic job.

    The unique (job, slot_at) pair is what makes the scheduler safe on several nodes:
    every node tries to insert the row for a due slot, exactly one insert succeeds, and
    only that node enqueues the job.
    """

    job = models.CharField(max_length=100)
    slot_at = models.DateTimeField()
    claimed_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=200)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot_at"], name="scheduledrun_once_per_slot")
        ]
        ordering = ["-slot_at"]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """A round trip through the task queue, asked for by an operator or a health check.

    Proves that a web request's enqueued work is picked up and run by a worker.
    """

    requested_at = models.DateTimeField()
    requested_by = models.CharField(max_length=150, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True)
    ran_at = models.DateTimeField(null=True, blank=True)
    ran_on = models.CharField("worker host", max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        state = f"ran {self.ran_at:%H:%M:%S}" if self.ran_at else "waiting"
        return f"Heartbeat {self.pk} ({state})"
