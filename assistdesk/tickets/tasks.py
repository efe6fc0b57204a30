"""Periodic jobs of the tickets app (registered in `TicketsConfig.ready`).

Each processes everything due when it runs, so a late or repeated run does the same as
one on time.
"""

from __future__ import annotations

from django_tasks import task

from assistdesk.common import clock
from assistdesk.tickets import services


@task()
def auto_close_tickets() -> int:
    return len(services.tickets_auto_close_due(now=clock.now()))


@task()
def refresh_overdue_sla() -> int:
    return len(services.tickets_refresh_overdue(now=clock.now()))
