"""Channel tables, one module per channel; everything is importable from here."""

from assistdesk.channels.models.afterhours import (
    AfterHoursAccess,
    IvrLine,
    OnCallShift,
    PinAttempt,
    PinResult,
)
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
from assistdesk.channels.models.monitoring import (
    AlertLink,
    AlertStatus,
    MonitoringKind,
    MonitoringSource,
    QuarantinedAlert,
    QuarantineReason,
)

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_MESSAGE_BYTES",
    "AfterHoursAccess",
    "AlertLink",
    "AlertStatus",
    "InboundAttachment",
    "InboundMessage",
    "InboundSource",
    "InboundStatus",
    "IvrLine",
    "Mailbox",
    "MonitoringKind",
    "MonitoringSource",
    "OnCallShift",
    "OutboxAttachment",
    "OutboxMessage",
    "OutboxStatus",
    "PinAttempt",
    "PinResult",
    "QuarantineReason",
    "QuarantinedAlert",
    "QuarantinedMessage",
]
