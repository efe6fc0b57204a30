"""Reads of monitoring sources and the alerts they sent."""

from __future__ import annotations

from django.db.models import QuerySet

from assistdesk.channels.models import AlertLink, MonitoringSource, QuarantinedAlert
from assistdesk.channels.monitoring import secrets
from assistdesk.tickets.models import Ticket


def monitoring_source_authenticate(
    *, kind: str, name: str, presented: str
) -> MonitoringSource | None:
    """The active source of this kind and name whose secret was presented, else None.

    A missing source costs the same comparison as a wrong secret and gets the same None,
    so a caller cannot tell which source names exist.
    """
    source = (
        MonitoringSource.objects.filter(name=name[:50], kind=kind, is_active=True)
        .select_related("default_customer")
        .first()
    )
    is_match = secrets.matches(presented, source.secret_hash if source else secrets.DUMMY_DIGEST)
    return source if source is not None and is_match else None


def alert_links_of_ticket(*, ticket: Ticket) -> QuerySet[AlertLink]:
    return AlertLink.objects.filter(ticket=ticket).select_related("source")


def quarantined_alerts_open() -> QuerySet[QuarantinedAlert]:
    return QuarantinedAlert.objects.filter(handled_at__isnull=True).select_related("source")
