"""Reads of the channels app."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from assistdesk.channels.mail.parse import parse
from assistdesk.channels.models import (
    InboundAttachment,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
)


def quarantine(*, reason: str | None = None) -> QuerySet[InboundMessage]:
    """Messages waiting for a dispatcher, oldest first (they have waited longest)."""
    messages = InboundMessage.objects.filter(status=InboundStatus.QUARANTINED)
    if reason:
        messages = messages.filter(reason=reason)
    return messages.select_related("mailbox").defer("raw").order_by("received_at", "pk")


def inbound_by_message_ids(message_ids: list[str]) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(message_id__in=message_ids).defer("raw")


def outbox_by_message_ids(message_ids: list[str]) -> QuerySet[OutboxMessage]:
    """Our own sent messages among these ids (a reply's In-Reply-To/References)."""
    return OutboxMessage.objects.filter(message_id__in=message_ids)


def outbox_due_count(*, now: datetime) -> int:
    return OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, next_attempt_at__lte=now
    ).count()


def attachment_content(attachment: InboundAttachment) -> bytes | None:
    """The bytes of an inbound attachment, read from the stored original.

    None for parts over the size limit (listed, never served) and for parts that the
    stored bytes no longer hold (a message kept as headers only).
    """
    if attachment.is_oversize:
        return None
    message = attachment.message
    parsed = parse(bytes(message.raw), received_at=message.received_at)
    for part in parsed.attachments:
        if part.index == attachment.part_index:
            return part.content
    return None
