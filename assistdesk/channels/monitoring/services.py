"""Monitoring alerts in: one ticket per incident, notes while it fires, resolved on recovery.

`alert_receive` is one transaction per delivery. For each alert the delivery names:
- firing, no open link for its key: claim the key (an `AlertLink` row; the partial unique
  index lets one of two concurrent deliveries win), find the customer, open a ticket of
  origin `monitoring` with the mapped severity;
- firing, key open: an internal note on the same ticket (notices counted);
- firing, key already resolved: a late or repeated delivery of a finished incident
  (Alertmanager, Zabbix), ignored as `stale`; for the generic shape a new incident;
- resolved: a note, and the ticket resolved if the source says so and it is still open;
- update (Zabbix acknowledgement, generic acknowledge): a note.

An alert without a customer (or whose ticket the plan refuses) goes to `QuarantinedAlert`
with the field that was missing, and the delivery is answered 422; a body we cannot read
is kept there too (400). A dispatcher adds a mapping and releases it (`alert_release`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from assistdesk.catalog.models import Origin
from assistdesk.channels.models import (
    AlertLink,
    AlertStatus,
    MonitoringSource,
    QuarantinedAlert,
    QuarantineReason,
)
from assistdesk.channels.monitoring import formats, mapping
from assistdesk.channels.monitoring.formats import AlertNotice, PayloadError
from assistdesk.channels.monitoring.mapping import Problem
from assistdesk.channels.monitoring.sources import (
    monitoring_source_create as monitoring_source_create,
)
from assistdesk.channels.monitoring.sources import (
    monitoring_source_rotate_secret as monitoring_source_rotate_secret,
)
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.services import ticket_create, ticket_reply, ticket_resolve
from assistdesk.tickets.states import QUEUED_STATES

log = logging.getLogger(__name__)
RAW_MAX = 100_000


@dataclass(frozen=True)
class AlertResult:
    key: str
    status: str
    action: str  # opened, noted, resolved, stale, ignored, quarantined
    ticket: str | None = None  # the ticket's reference
    path: str = ""


@dataclass
class Outcome:
    results: list[AlertResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # alerts kept in quarantine: 422
    malformed: Problem | None = None  # the delivery could not be read: 400


# --- receiving -----------------------------------------------------------------------------


def alert_receive_body(*, source: MonitoringSource, body: bytes, now: datetime) -> Outcome:
    """A delivery as the bytes arrived: decoded, then received (or kept as malformed)."""
    try:
        payload = formats.decode(body)
    except PayloadError as error:
        raw = body[:RAW_MAX].decode("utf-8", errors="replace").replace("\x00", "")
        with transaction.atomic():
            _quarantine(source, None, QuarantineReason.MALFORMED, error, raw=raw, now=now)
        return Outcome(malformed=Problem(error.field, error.message, "parse_error"))
    return alert_receive(source=source, payload=payload, now=now)


def alert_receive(*, source: MonitoringSource, payload: dict[str, Any], now: datetime) -> Outcome:
    """Receive one delivery of `source` (its format's JSON object, decoded)."""
    outcome = Outcome()
    try:
        notices = formats.parse(source.kind, payload, severity_label=source.severity_label)
    except PayloadError as error:
        with transaction.atomic():
            _quarantine(source, None, QuarantineReason.MALFORMED, error, payload=payload, now=now)
        outcome.malformed = Problem(error.field, error.message, "invalid")
        return outcome
    actor = f"monitoring:{source.name}"
    with transaction.atomic():
        MonitoringSource.objects.filter(pk=source.pk).update(last_received_at=now)
        for notice in notices:
            result, problem = _receive_one(source, notice, actor=actor, now=now)
            outcome.results.append(result)
            if problem is not None:
                outcome.problems.append(problem)
    return outcome


def _receive_one(
    source: MonitoringSource, notice: AlertNotice, *, actor: str, now: datetime
) -> tuple[AlertResult, Problem | None]:
    latest = (
        AlertLink.objects.select_for_update(of=("self",))
        .filter(source=source, dedup_key=notice.key)
        .select_related("ticket")
        .order_by("-opened_at", "-id")
        .first()
    )
    is_open = latest is not None and latest.status == AlertStatus.FIRING
    if notice.status == "firing":
        if latest is not None and is_open:
            return _note(latest, notice, "Still firing", actor=actor, now=now), None
        if latest is not None and not notice.is_reusable_key:
            return _result(notice, "stale", latest), None
        return _open(source, notice, actor=actor, now=now)
    if latest is None or not is_open:
        return _result(notice, "ignored", latest), None
    if notice.status == "update":
        return _note(latest, notice, "Update", actor=actor, now=now), None
    return _resolve(source, latest, notice, actor=actor, now=now), None


def _result(notice: AlertNotice, action: str, link: AlertLink | None) -> AlertResult:
    ticket = link.ticket.reference if link is not None and link.ticket is not None else None
    return AlertResult(notice.key, notice.status, action, ticket, notice.path)


def _open(
    source: MonitoringSource, notice: AlertNotice, *, actor: str, now: datetime
) -> tuple[AlertResult, Problem | None]:
    customer, problem = mapping.customer_for(source, notice)
    if customer is None:
        assert problem is not None
        error = PayloadError(problem.field, problem.message)
        _quarantine(source, notice, QuarantineReason.UNMAPPED, error, now=now)
        return _result(notice, "quarantined", None), problem
    severity = mapping.severity_for(source, notice)
    try:
        # Claim the key first: of two concurrent deliveries, the second waits on the
        # unique index and fails here, then finds the winner's link and adds a note.
        with transaction.atomic():
            link = AlertLink.objects.create(
                source=source,
                dedup_key=notice.key,
                status=AlertStatus.FIRING,
                summary=notice.summary,
                severity=severity,
                opened_at=now,
                last_payload_at=now,
            )
            link.ticket = ticket_create(
                customer=customer,
                origin=Origin.MONITORING,
                subject=notice.summary,
                body=notice.body,
                severity=severity,
                received_at=now,
                actor=actor,
                now=now,
            )
            link.save(update_fields=["ticket"])
    except IntegrityError:
        winner = (
            AlertLink.objects.select_for_update(of=("self",))
            .filter(source=source, dedup_key=notice.key, status=AlertStatus.FIRING)
            .select_related("ticket")
            .first()
        )
        if winner is None:
            raise  # not the race on the key: a real error
        return _note(winner, notice, "Still firing", actor=actor, now=now), None
    except TicketError as refused:
        problem = Problem(refused.field, f"the ticket was refused: {refused.message}", "refused")
        error = PayloadError(refused.field, problem.message)
        _quarantine(source, notice, QuarantineReason.REFUSED, error, now=now)
        return _result(notice, "quarantined", None), problem
    return _result(notice, "opened", link), None


def _note(
    link: AlertLink, notice: AlertNotice, heading: str, *, actor: str, now: datetime
) -> AlertResult:
    assert link.ticket is not None
    link.notices += 1
    link.last_payload_at = now
    link.summary = notice.summary
    link.save(update_fields=["notices", "last_payload_at", "summary"])
    ticket_reply(
        ticket=link.ticket,
        body=f"{heading} (notice {link.notices} from {link.source.name}):\n\n{notice.body}",
        is_public=False,
        actor=actor,
        now=now,
    )
    return _result(notice, "noted", link)


def _resolve(
    source: MonitoringSource, link: AlertLink, notice: AlertNotice, *, actor: str, now: datetime
) -> AlertResult:
    assert link.ticket is not None
    link.status = AlertStatus.RESOLVED
    link.resolved_at = link.last_payload_at = now
    link.notices += 1
    link.save(update_fields=["status", "resolved_at", "last_payload_at", "notices"])
    ends = f" at {notice.extra['ends_at']}" if notice.extra.get("ends_at") else ""
    ticket_reply(
        ticket=link.ticket,
        body=f"Resolved{ends} (reported by {source.name}):\n\n{notice.body}",
        is_public=False,
        actor=actor,
        now=now,
    )
    ticket = link.ticket
    ticket.refresh_from_db(fields=["state"])
    if source.resolve_on_recovery and ticket.state in QUEUED_STATES:
        ticket_resolve(ticket=ticket, reason="the monitoring alert resolved", actor=actor, now=now)
        return _result(notice, "resolved", link)
    return _result(notice, "noted", link)


# --- the quarantine ------------------------------------------------------------------------


def _quarantine(
    source: MonitoringSource,
    notice: AlertNotice | None,
    reason: str,
    error: PayloadError,
    *,
    payload: dict[str, Any] | None = None,
    raw: str = "",
    now: datetime,
) -> QuarantinedAlert:
    """Keep an alert for a dispatcher; a repeated delivery of the same key is counted."""
    key = notice.key if notice is not None else ""
    kept = notice.payload if notice is not None else payload
    existing = None
    if key:
        existing = (
            QuarantinedAlert.objects.select_for_update()
            .filter(source=source, dedup_key=key, handled_at__isnull=True)
            .first()
        )
    if existing is not None:
        existing.deliveries += 1
        existing.last_received_at = now
        existing.reason, existing.field, existing.message = (
            reason,
            (error.field or "")[:200],
            error.message,
        )
        existing.payload = kept
        existing.save()
        return existing
    return QuarantinedAlert.objects.create(
        source=source,
        dedup_key=key,
        reason=reason,
        field=(error.field or "")[:200],
        message=error.message,
        payload=kept,
        raw=raw,
        first_received_at=now,
        last_received_at=now,
    )


class _StillQuarantined(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def alert_release(*, quarantined: QuarantinedAlert, actor: str, now: datetime) -> Outcome:
    """Receive a kept alert again (after a mapping was added); if it still cannot become a
    ticket, nothing changes and the outcome says why."""
    with transaction.atomic():
        row = (
            QuarantinedAlert.objects.select_for_update()
            .select_related("source")
            .get(pk=quarantined.pk)
        )
        if row.handled_at is not None:
            return Outcome()
        if row.payload is None:
            return Outcome(malformed=Problem(row.field or None, row.message, "parse_error"))
        try:
            with transaction.atomic():
                row.handled_at, row.handled_by, row.outcome = now, actor, "released"
                row.save(update_fields=["handled_at", "handled_by", "outcome"])
                outcome = alert_receive(source=row.source, payload=row.payload, now=now)
                if outcome.problems or outcome.malformed:
                    raise _StillQuarantined(outcome)
        except _StillQuarantined as still:
            return still.outcome
        tickets = ", ".join(r.ticket for r in outcome.results if r.ticket) or "no ticket"
        row.outcome = f"released: {tickets}"[:200]
        row.save(update_fields=["outcome"])
        return outcome


def alert_dismiss(*, quarantined: QuarantinedAlert, actor: str, now: datetime) -> bool:
    """Nothing to do for a kept alert; False when someone handled it already."""
    with transaction.atomic():
        updated = QuarantinedAlert.objects.filter(
            pk=quarantined.pk, handled_at__isnull=True
        ).update(handled_at=now, handled_by=actor, outcome="dismissed")
    return bool(updated)
