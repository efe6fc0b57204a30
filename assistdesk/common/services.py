"""Write operations of the common app."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from assistdesk.common.models import Heartbeat


def heartbeat_request(*, actor: str, now: datetime) -> Heartbeat:
    """Record a heartbeat and enqueue its task once the row is committed."""
    from assistdesk.common.tasks import heartbeat

    with transaction.atomic():
        beat = Heartbeat.objects.create(requested_at=now, requested_by=actor)

        def enqueue() -> None:
            result = heartbeat.enqueue(beat.pk)
            Heartbeat.objects.filter(pk=beat.pk).update(task_result_id=str(result.id))

        transaction.on_commit(enqueue)
    return beat
