"""The outbox sender: due rows out over SMTP, each claimed by exactly one sender.

For each row: (1) claim it in a short transaction of its own — `select_for_update
(skip_locked=True)` on PostgreSQL, the write lock taken at BEGIN on SQLite — and mark it
`sending` with the attempt counted; (2) talk SMTP outside any transaction; (3) in a
second short transaction mark it `sent`, or `pending` again with the next attempt
after an exponential back-off, or `failed` for a permanent refusal or when attempts
run out. Two senders never claim the same row, so a row is never sent twice by two
workers at once.

The one gap no outbox can close: the process dies after the SMTP server accepted the
message and before step 3 commits. The row stays `sending`; once its lease expires it
is sent again, with the SAME Message-ID, so the recipient's mail system and client
treat the copy as the same message. We choose this (at least once, deduplicated by
Message-ID) over at most once, which would silently lose a notification the customer
is owed (an acknowledgement, an invoice).
"""

from __future__ import annotations

import logging
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q

from assistdesk.channels.models import OutboxAttachment, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# Longer than any SMTP conversation (EMAIL_TIMEOUT is seconds): a row `sending` for
# longer belongs to a sender that died.
SENDING_LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about 20 hours of trying (1 + 2 + 4 ... minutes, capped at 6 h)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 1, 2, 4 … minutes, at most 6 hours."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), MAX_RETRY)


def _due(now: datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claimed_at__lt=now - SENDING_LEASE
    )


def claim_next(*, now: datetime) -> OutboxMessage | None:
    """Claim the most overdue row for this sender, or None when nothing is due."""
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if row is None:
            return None
        # The status and claim time in the WHERE make the claim a compare-and-set even
        # where row locks do not exist.
        claimed = OutboxMessage.objects.filter(
            pk=row.pk, status=row.status, claimed_at=row.claimed_at
        ).update(status=OutboxStatus.SENDING, claimed_at=now, attempts=row.attempts + 1)
        if not claimed:
            return None
    row.status, row.claimed_at, row.attempts = OutboxStatus.SENDING, now, row.attempts + 1
    return row


def build_email(row: OutboxMessage, connection: object | None = None) -> EmailMultiAlternatives:
    headers = {"Message-ID": row.message_id}
    if row.in_reply_to:
        headers["In-Reply-To"] = row.in_reply_to
    references = list(row.references)
    if row.in_reply_to and row.in_reply_to not in references:
        references.append(row.in_reply_to)
    if references:
        headers["References"] = " ".join(references)
    if row.is_auto_submitted:
        # RFC 3834: tells well-behaved robots (and Exchange) not to answer us, so our
        # notifications cannot start a loop on the customer's side either.
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(row.to),
        headers=headers,
        connection=connection,
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    for attachment in row.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    return message


def print_pending_pdfs(row: OutboxMessage) -> None:
    """Print the row's HTML report snapshots to PDF and keep the PDFs (a retry reuses
    them). Outside any transaction: WeasyPrint takes a good part of a second."""
    pending = [a for a in row.attachments.all() if a.is_html_for_pdf]
    if not pending:
        return
    from weasyprint import HTML  # heavy import: only where a PDF is printed

    for attachment in pending:
        pdf = HTML(string=bytes(attachment.content).decode("utf-8")).write_pdf()
        OutboxAttachment.objects.filter(pk=attachment.pk, is_html_for_pdf=True).update(
            content=pdf, is_html_for_pdf=False
        )


def _is_permanent(exc: Exception) -> bool:
    """A 5xx refusal will not change by trying again; everything else might."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(
        exc, smtplib.SMTPServerDisconnected
    ):
        return exc.smtp_code >= 500
    return False


def _is_connection_failure(exc: Exception) -> bool:
    """The server cannot be reached: no point trying the next rows right now."""
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, ConnectionError | TimeoutError | socket.gaierror) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
    )


def _mark_sent(row: OutboxMessage, *, now: datetime) -> None:
    updated = OutboxMessage.objects.filter(
        pk=row.pk, status=OutboxStatus.SENDING, claimed_at=row.claimed_at
    ).update(status=OutboxStatus.SENT, sent_at=now, last_error="")
    if not updated:
        # Our lease ran out mid-conversation and another sender took the row: it will
        # send the same Message-ID again (see the module docstring).
        log.warning("outbox %s was re-claimed while this sender was sending it", row.pk)


def _mark_failed_attempt(row: OutboxMessage, exc: Exception, *, now: datetime) -> bool:
    """Record a failed attempt; True when the row is given up for good."""
    permanent = _is_permanent(exc) or row.attempts >= MAX_ATTEMPTS
    OutboxMessage.objects.filter(
        pk=row.pk, status=OutboxStatus.SENDING, claimed_at=row.claimed_at
    ).update(
        status=OutboxStatus.FAILED if permanent else OutboxStatus.PENDING,
        next_attempt_at=now + backoff(row.attempts),
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )
    return permanent


def send_due(*, now: datetime, limit: int = 200) -> SendReport:
    """Send up to `limit` due rows over one SMTP connection; returns what happened."""
    report = SendReport()
    connection = get_connection(fail_silently=False)
    try:
        for _ in range(limit):
            row = claim_next(now=now)
            if row is None:
                break
            try:
                print_pending_pdfs(row)
                build_email(row, connection).send(fail_silently=False)
            except Exception as exc:
                log.warning("outbox %s attempt %s failed: %s", row.pk, row.attempts, exc)
                if _mark_failed_attempt(row, exc, now=now):
                    report.failed += 1
                else:
                    report.retried += 1
                _close_quietly(connection)
                if _is_connection_failure(exc):
                    # The rest keep their turn (and their attempt count) for later.
                    break
                continue
            _mark_sent(row, now=now)
            report.sent += 1
    finally:
        _close_quietly(connection)
    return report


def _close_quietly(connection: object) -> None:
    try:
        connection.close()  # type: ignore[attr-defined]
    except Exception:  # a dead connection may fail to close; nothing to do
        log.debug("closing the SMTP connection failed", exc_info=True)
