"""Monitoring sources: made with a secret shown once, the secret rotated."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction

from assistdesk.channels.models import MonitoringSource
from assistdesk.channels.monitoring import secrets
from assistdesk.customers.models import Customer

log = logging.getLogger(__name__)


def monitoring_source_create(
    *,
    name: str,
    kind: str,
    default_customer: Customer | None = None,
    customer_label: str = "",
    customer_rules: list[dict[str, Any]] | None = None,
    severity_label: str = "severity",
    severity_map: dict[str, int] | None = None,
    default_severity: int = 2,
    resolve_on_recovery: bool = True,
    actor: str,
    now: datetime,
) -> tuple[MonitoringSource, str]:
    """A new source and its secret: the plaintext is returned here once and never stored."""
    plaintext, digest = secrets.new_secret()
    source = MonitoringSource(
        name=name,
        kind=kind,
        secret_hash=digest,
        default_customer=default_customer,
        customer_label=customer_label,
        customer_rules=customer_rules or [],
        severity_label=severity_label,
        default_severity=default_severity,
        resolve_on_recovery=resolve_on_recovery,
        created_at=now,
    )
    if severity_map is not None:
        source.severity_map = severity_map
    source.full_clean()
    with transaction.atomic():
        source.save()
    log.info("monitoring source %s created by %s", name, actor)
    return source, plaintext


def monitoring_source_rotate_secret(*, source: MonitoringSource, actor: str, now: datetime) -> str:
    """A new secret for the source; the old one stops working at once."""
    plaintext, digest = secrets.new_secret()
    with transaction.atomic():
        MonitoringSource.objects.filter(pk=source.pk).update(secret_hash=digest)
    source.secret_hash = digest
    log.info("monitoring source %s: secret rotated by %s", source.name, actor)
    return plaintext
