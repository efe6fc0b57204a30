"""Channel tables, one module per channel; everything is importable from here."""

from assistdesk.channels.models.mail import (
    MAX_ATTACHMENT_BYTES,
    MAX_MESSAGE_BYTES,
    InboundAttachment,
    InboundMessage,
    InboundSource,
    InboundStatus,
    Mailbox,
    OutboxAttachment,
    OutboxMessage,
    OutboxStatus,
    QuarantinedMessage,
)

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_MESSAGE_BYTES",
    "InboundAttachment",
    "InboundMessage",
    "InboundSource",
    "InboundStatus",
    "Mailbox",
    "OutboxAttachment",
    "OutboxMessage",
    "OutboxStatus",
    "QuarantinedMessage",
]
