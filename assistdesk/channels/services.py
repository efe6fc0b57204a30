"""Write operations of the channels app: store and route inbound mail, queue outbound mail.

Inbound: `inbound_ingest` is the single entry for every way mail arrives (IMAP polling,
the delivery pipe). It parses outside any transaction (`inbound_prepare`), then in one
transaction routes the message and inserts it, with the outcome, under its unique
Message-ID; the caller tells the mailbox "seen" only after that commit. A second
delivery of the same Message-ID finds the row and changes nothing.

Outbound: `outbox_enqueue` writes the row in the caller's transaction and, on commit,
asks the worker to send now rather than at the next minute tick (sending: `sending.py`).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from assistdesk.channels import mailtickets, routing
from assistdesk.channels.mail.parse import ParsedMessage
from assistdesk.channels.mail.prepare import Limits, PreparedInbound, prepare
from assistdesk.channels.models import (
    MAX_ATTACHMENT_BYTES,
    MAX_MESSAGE_BYTES,
    InboundAttachment,
    InboundMessage,
    InboundSource,
    InboundStatus,
    Mailbox,
    OutboxAttachment,
    OutboxMessage,
)
from assistdesk.channels.notifications import render_notification
from assistdesk.common import deferredrows, readcache, transactions
from assistdesk.contracts.selectors import prefetch_contracts_in_force

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    message: InboundMessage
    created: bool  # False: this Message-ID was already stored, nothing changed


def _message_fields(parsed: ParsedMessage) -> dict[str, Any]:
    return {
        "message_id": parsed.message_id,
        "is_message_id_synthesised": parsed.is_message_id_synthesised,
        "sent_at": parsed.date,
        "from_address": parsed.from_address[:320],
        "from_name": parsed.from_name[:255],
        "to_addresses": [a.address for a in parsed.to],
        "cc_addresses": [a.address for a in parsed.cc],
        "subject": parsed.subject[:1000],
        "in_reply_to": parsed.in_reply_to,
        # The root and the most recent ids are what threading needs; a 1 500-id header
        # is kept whole in the raw bytes.
        "references": mailtickets.kept_references(parsed.references),
        "ticket_numbers": list(parsed.ticket_numbers),
        "body_text": parsed.text,
        "visible_text": parsed.visible_text,
        "body_html": parsed.html,
        "is_auto_reply": parsed.is_auto_reply,
        "is_auto_generated": parsed.is_auto_generated,
        "is_bounce": parsed.is_bounce,
        "is_mailing_list": parsed.is_mailing_list,
        "defects": list(parsed.defects[:50]),
        "error": (parsed.error or "")[:500],
    }


def inbound_prepare(
    *, raw: bytes, received_at: datetime | None = None, now: datetime
) -> PreparedInbound:
    """Parse one received message and write its attachments, no database needed
    (`mail.prepare`; never raises for what the message holds)."""
    return prepare(raw, received_at=received_at, now=now, limits=inbound_limits())


def inbound_limits() -> Limits:
    return Limits(
        max_message_bytes=MAX_MESSAGE_BYTES,
        max_attachment_bytes=MAX_ATTACHMENT_BYTES,
        files_root=str(settings.MEDIA_ROOT),
    )


def _known_key(message_id: str) -> tuple[str, str]:
    return ("inbound-message-id", message_id)


def inbound_prefetch(batch: Sequence[PreparedInbound]) -> None:
    """Read what a batch's routing asks about, in a few queries instead of several per
    message: which Message-IDs are stored already, which are our own outgoing mail, the
    senders' contacts, their customers' contracts in force, and the tickets the messages
    answer (`mailtickets.prefetch_threads`). Kept inside a
    `common.readcache.batch_reads()` block only."""
    ids = {item.parsed.message_id for item in batch}
    known = set(
        InboundMessage.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
    )
    for message_id in ids:
        readcache.remember(_known_key(message_id), message_id in known)
    routing.prefetch_own_message_ids(ids)
    customers = routing.prefetch_senders(item.parsed.from_address for item in batch)
    prefetch_contracts_in_force(customer_pks=customers)
    mailtickets.prefetch_threads(item.parsed for item in batch)


@dataclass
class _Deferred:
    """An intake batch's new rows, inserted together when it ends (`deferred_inserts`)."""

    # Open atomic blocks when the batch began: only those opened since matter.
    depth: int
    inbound: dict[str, tuple[InboundMessage, ParsedMessage]] = field(default_factory=dict)
    outbox: list[tuple[OutboxMessage, list[OutboxAttachment]]] = field(default_factory=list)


_deferred: ContextVar[_Deferred | None] = ContextVar("channels_deferred_rows", default=None)


def _deferring() -> _Deferred | None:
    """The batch's pending rows, if a row made now may wait for the batch's end: only
    while no savepoint is open in the batch's transaction. A row made under a savepoint
    (a service's own, e.g. closing a ticket by mail) is inserted at once, so that rolling
    the savepoint back takes it too; rows kept in memory would outlive that rollback."""
    deferred = _deferred.get()
    if deferred is None or transactions.savepoint_opened_since(deferred.depth):
        return None
    return deferred


@contextmanager
def deferred_inserts() -> Iterator[None]:
    """Within the block, new inbound messages and outbox rows are inserted when it ends,
    one statement per table instead of one per row (the IMAP intake's batch, run without
    savepoints: `BatchNeedsSavepoints`); rows made under a savepoint go in at once
    (`_deferring`). Nothing in the block reads them back: a message stored twice within
    it is found among the deferred ones, and our own outbox rows cannot be answered
    before they are sent. A conflict at the end (another worker stored one of the
    messages meanwhile) is a `BatchNeedsSavepoints`.

    The ticket work's own rows (messages, events, SLA targets, attachments) wait too,
    under `common.deferredrows`' rules: they go in before anything reads their tables."""
    rows = _Deferred(depth=transactions.atomic_depth())
    token = _deferred.set(rows)
    try:
        with deferredrows.rows_deferred():
            yield
            _keep(rows)  # inserted with the ticket work's rows as the block ends
    except IntegrityError as exc:
        # A row refused at the end (most likely another worker stored one of the
        # messages meanwhile): the batch runs again, a message at a time, and the
        # message at fault is dealt with on its own.
        raise BatchNeedsSavepoints("a row of the batch was refused") from exc
    finally:
        _deferred.reset(token)


def _keep(rows: _Deferred) -> None:
    """The batch's inbound messages and outbox rows, with their attachments, to
    `common.deferredrows` (each row gets its key there, so its attachments can name it)."""
    deferredrows.insert([message for message, _ in rows.inbound.values()])
    deferredrows.insert(
        [
            row
            for message, parsed in rows.inbound.values()
            for row in _attachment_rows(message, parsed)
        ]
    )
    deferredrows.insert([outbox for outbox, _ in rows.outbox])
    deferredrows.insert([row for _, attachments in rows.outbox for row in attachments])


def inbound_ingest(
    *,
    raw: bytes = b"",
    prepared: PreparedInbound | None = None,
    source: InboundSource,
    mailbox: Mailbox | None = None,
    received_at: datetime | None = None,
    savepoint: bool = True,
    now: datetime,
) -> IngestResult:
    """Store one received message and route it, once per Message-ID.

    `raw` as received, or `prepared` by `inbound_prepare` (then `received_at` is its own).
    `savepoint=False` (a batch's first try, `BatchNeedsSavepoints`): the message and its
    ticket work join the caller's transaction without a savepoint of their own.
    """
    if prepared is None:
        prepared = inbound_prepare(raw=raw, received_at=received_at, now=now)
    parsed = prepared.parsed
    is_known = readcache.memoised(
        _known_key(parsed.message_id),
        lambda: InboundMessage.objects.filter(message_id=parsed.message_id).exists(),
    )
    deferred = _deferred.get()
    if deferred is not None:
        savepoint = False  # a savepoint would not undo rows waiting in memory
    if is_known and deferred is not None and parsed.message_id in deferred.inbound:
        return IngestResult(deferred.inbound[parsed.message_id][0], created=False)
    if is_known:
        existing = (
            InboundMessage.objects.filter(message_id=parsed.message_id)
            .defer("raw", "body_text", "visible_text", "body_html")
            .get()
        )
        return IngestResult(existing, created=False)
    fields = _message_fields(parsed)
    if prepared.error:
        fields["error"] = prepared.error
    message = InboundMessage(
        **fields,
        mailbox=mailbox,
        source=source,
        raw=prepared.stored,
        size=len(prepared.raw),
        is_raw_truncated=prepared.stored is not prepared.raw,
        received_at=prepared.received_at,
    )
    # The router stores attachments on the ticket: hand it the bytes already parsed
    # rather than have it parse the original again.
    setattr(message, "parsed_attachments", parsed.attachments)  # noqa: B010
    setattr(message, "prepared_files", prepared.files)  # noqa: B010 - written already
    # Routed first, then inserted with its outcome, both in one savepoint: a message
    # and the ticket work it caused commit together or not at all. The outer block:
    # inside a caller's batch transaction this joins it; alone, it is the transaction.
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic(savepoint=savepoint):
                route = routing.decide(message, now=now)
                _insert_routed(message, route, parsed, now=now)
        except (OperationalError, InterfaceError):
            raise  # not the message's fault: the mailbox keeps it, the next run retries
        except Exception as exc:
            if not savepoint:
                # Nothing to roll back to: the caller's transaction must go.
                raise BatchNeedsSavepoints(parsed.message_id) from exc
            # The savepoint undid the message's ticket work: what the batch remembered
            # of those tickets (threading, rows locked ahead) may describe it.
            readcache.forget()
            if isinstance(exc, _InsertConflict):
                return _stored_already(parsed.message_id, exc)
            # The router failed: its writes are undone with the savepoint, and the
            # message waits in the quarantine with the error, not lost, not retried.
            log.exception("routing inbound message %s failed", parsed.message_id)
            route = _router_failed(exc)
            try:
                with transaction.atomic():
                    _insert_routed(message, route, parsed, now=now)
            except _InsertConflict as conflict:
                return _stored_already(parsed.message_id, conflict)
    readcache.remember(_known_key(parsed.message_id), True)
    return IngestResult(message, created=True)


class BatchNeedsSavepoints(Exception):
    """A message of a batch run without savepoints needs its own work undone (its router
    failed, or another worker stored it meanwhile): the caller rolls the batch back and
    runs it again, each message in a savepoint. Two statements fewer per message on the
    way that almost every batch takes (a savepoint is a round trip on PostgreSQL)."""


class _InsertConflict(Exception):
    """The message's row could not be inserted (the savepoint is rolled back by then)."""

    def __init__(self, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.error = error


def _stored_already(message_id: str, conflict: _InsertConflict) -> IngestResult:
    """Another worker stored the same Message-ID a moment ago: its routing stands, ours
    was undone with the savepoint. Any other conflict is a real error."""
    existing = InboundMessage.objects.filter(message_id=message_id).first()
    if existing is None:
        raise conflict.error
    return IngestResult(existing, created=False)


def _insert_routed(
    message: InboundMessage, route: routing.Route, parsed: ParsedMessage, *, now: datetime
) -> None:
    _record_route(message, route, now=now)
    deferred = _deferring()
    if deferred is not None:
        deferred.inbound[message.message_id] = (message, parsed)
        return
    try:
        message.save(force_insert=True)
    except IntegrityError as exc:
        raise _InsertConflict(exc) from exc
    InboundAttachment.objects.bulk_create(_attachment_rows(message, parsed))


def _attachment_rows(message: InboundMessage, parsed: ParsedMessage) -> list[InboundAttachment]:
    hashes = [f.sha256 for f in getattr(message, "prepared_files", ())]
    return [
        InboundAttachment(
            message=message,
            part_index=att.index,
            filename=att.filename,
            content_type=att.content_type[:255],
            size=att.size,
            sha256=hashes[i] if i < len(hashes) else hashlib.sha256(att.content).hexdigest(),
            content_id=att.content_id[:255],
            is_inline=att.is_inline,
            is_oversize=att.size > MAX_ATTACHMENT_BYTES,
        )
        for i, att in enumerate(parsed.attachments)
    ]


def _router_failed(exc: Exception) -> routing.Route:
    return routing.Route(InboundStatus.QUARANTINED, f"routing failed: {exc!r}"[:255])


def route_inbound(message: InboundMessage, *, now: datetime) -> routing.Route:
    """Route a stored message again and record the outcome; a failing router quarantines.

    The router runs in a savepoint: if it raises, its writes are undone and the message
    waits in the quarantine with the error, instead of being lost or retried forever.
    Database outages are not the message's fault and propagate (the mailbox keeps it).
    """
    try:
        with transaction.atomic():
            route = routing.decide(message, now=now)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        log.exception("routing inbound message %s failed", message.pk)
        route = _router_failed(exc)
    _record_route(message, route, now=now)
    message.save(update_fields=["status", "reason", "result_ref", "routed_at", "updated_at"])
    return route


def _record_route(message: InboundMessage, route: routing.Route, *, now: datetime) -> None:
    message.status = route.status
    message.reason = route.reason
    message.result_ref = route.result_ref
    message.routed_at = now


def inbound_release(*, message_pk: int, actor: str, now: datetime) -> routing.Route | None:
    """A dispatcher releases a quarantined message: it is routed again, as it is now.

    Used after fixing the cause (the sender added as a contact, made authorised).
    Returns None when the message is no longer in the quarantine.
    """
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().filter(pk=message_pk).first()
        if message is None or message.status != InboundStatus.QUARANTINED:
            return None
        message.released_at = now
        message.released_by = actor[:150]
        message.save(update_fields=["released_at", "released_by", "updated_at"])
        return route_inbound(message, now=now)


def inbound_dismiss(*, message_pk: int, actor: str, now: datetime) -> bool:
    """A dispatcher decides a quarantined message needs nothing (spam, a stray reply)."""
    with transaction.atomic():
        updated = InboundMessage.objects.filter(
            pk=message_pk, status=InboundStatus.QUARANTINED
        ).update(
            status=InboundStatus.IGNORED,
            reason=f"dismissed by {actor}"[:255],
            released_at=now,
            released_by=actor[:150],
            updated_at=now,
        )
    return updated == 1


class OutgoingAttachment(NamedTuple):
    filename: str
    content: bytes
    content_type: str
    # `content` is an HTML page that the sender prints to PDF when it sends the message:
    # the document says what was true when queued, the slow printing happens off the
    # caller's transaction.
    is_html_for_pdf: bool = False


def new_message_id() -> str:
    """A Message-ID for an outgoing message, fixed at enqueue time so replies thread."""
    domain = routing.own_address().rpartition("@")[2] or "assistdesk.invalid"
    return f"<ad.{uuid.uuid4().hex}@{domain}>"


def _one_line(value: str) -> str:
    return " ".join(value.split())


def outbox_enqueue(
    *,
    to: str | Sequence[str],
    subject: str,
    body_text: str,
    body_html: str | None = None,
    template: str | None = None,
    language: str,
    context_ref: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    attachments: Sequence[OutgoingAttachment] = (),
    is_auto_submitted: bool = True,
    now: datetime,
) -> OutboxMessage:
    """Queue a message in the caller's transaction; the worker is nudged on commit."""
    recipients = [to] if isinstance(to, str) else list(to)
    recipients = [_one_line(r) for r in recipients if r and r.strip()]
    if not recipients or any("@" not in r for r in recipients):
        raise ValueError(f"outbox_enqueue needs e-mail addresses, got {to!r}")
    # The caller's transaction, or one of its own; no savepoint: row and attachments
    # stand or fall with the caller's change.
    with transaction.atomic(savepoint=False):
        outbox = OutboxMessage(
            message_id=new_message_id(),
            to=recipients,
            subject=_one_line(subject)[:1000],
            body_text=body_text,
            body_html=body_html or "",
            template=template or "",
            language=language,
            context_ref=context_ref,
            in_reply_to=_one_line(in_reply_to or ""),
            references=[_one_line(r) for r in references],
            is_auto_submitted=is_auto_submitted,
            queued_at=now,
            next_attempt_at=now,
        )
        rows = [
            OutboxAttachment(
                outbox=outbox,
                filename=att.filename,
                content_type=att.content_type,
                content=att.content,
                is_html_for_pdf=att.is_html_for_pdf,
            )
            for att in attachments
        ]
        deferred = _deferring()
        if deferred is not None:
            deferred.outbox.append((outbox, rows))  # inserted when the batch ends
        else:
            outbox.save(force_insert=True)
            OutboxAttachment.objects.bulk_create(rows)
        _nudge_on_commit()
    return outbox


def outbox_enqueue_notification(
    *,
    name: str,
    language: str,
    context: dict[str, Any],
    to: str | Sequence[str],
    context_ref: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    attachments: Sequence[OutgoingAttachment] = (),
    is_auto_submitted: bool = True,
    now: datetime,
) -> OutboxMessage:
    """Render a notification template in the contact's language and queue it.

    `is_auto_submitted=False` for a message a person wrote (a technician's answer):
    RFC 3834 marks only what a program wrote on its own.
    """
    subject, text, html = render_notification(name, language, context)
    return outbox_enqueue(
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        template=name,
        language=language,
        context_ref=context_ref,
        in_reply_to=in_reply_to,
        references=references,
        attachments=attachments,
        is_auto_submitted=is_auto_submitted,
        now=now,
    )


def _nudge_on_commit() -> None:
    """One nudge per transaction, however many rows it queues (a batch of intake
    acknowledges dozens of tickets: one task is enough to send them all)."""
    connection = transaction.get_connection()
    if any(func is _nudge_sender for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(_nudge_sender)


def _nudge_sender() -> None:
    """Ask a worker to send now; if the queue is down, the minute job sends instead."""
    from assistdesk.channels.tasks import send_outbox

    try:
        send_outbox.enqueue()
    except Exception:
        log.warning("could not enqueue the outbox sender; the scheduled job will send")
