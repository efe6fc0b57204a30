"""Mail in (mailboxes, inbound messages, their attachments) and mail out (the outbox).

Storage decisions (docs/mail.md has the long form):
- The raw bytes of every inbound message live in the row (`BinaryField`), not in a file
  under MEDIA_ROOT: the row and its bytes commit or vanish together (no orphan files,
  no row without its original), the unique Message-ID insert is the whole dedupe, and
  every node of a scale-out deployment sees them without a shared file system.
- Attachments are *described* by rows (safe name, type, size, digest, MIME part index)
  and their bytes are read from the raw message when someone downloads one, so nothing
  is stored twice. Parts over MAX_ATTACHMENT_BYTES are noted and never served.
- Outgoing attachments (PDF reports, invoices) have no other source, so their bytes
  are stored with the outbox row.
"""

from __future__ import annotations

from django.db import models

from assistdesk.common.models import TimeStampedModel

# A module constant, not a setting: it protects the server, it is not a business rule.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
# Beyond this only the header section is kept and the message is quarantined; the
# original stays on the IMAP server. Typical MTAs refuse mail above 25-50 MiB anyway.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class Mailbox(TimeStampedModel):
    """An IMAP mailbox polled for requests (a dedicated one: see docs/mail.md)."""

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    use_ssl = models.BooleanField("use SSL/TLS", default=True)
    username = models.CharField(max_length=255)
    # Kept readable: IMAP LOGIN needs it. Protect the database and its backups.
    password = models.CharField(max_length=255)
    folder = models.CharField(max_length=255, default="INBOX")
    processed_folder = models.CharField(
        max_length=255,
        blank=True,
        help_text="Move fetched messages here; leave empty to only mark them seen.",
    )
    is_active = models.BooleanField(default=True)
    # A lease, so two workers do not poll the same mailbox at once (harmless thanks to
    # the Message-ID dedupe, but wasteful).
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name_plural = "mailboxes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboundStatus(models.TextChoices):
    # Stored and not yet routed (or released from quarantine and waiting to be routed).
    NEW = "new", "new"
    # Opened a new ticket.
    TICKET = "ticket", "opened a ticket"
    # Added to an existing ticket's thread.
    REPLY = "reply", "reply on a ticket"
    # Waiting for a dispatcher; `reason` says why.
    QUARANTINED = "quarantined", "quarantined"
    # Auto-reply, bounce, mailing list, our own mail: kept, never answered.
    IGNORED = "ignored", "ignored"


class InboundSource(models.TextChoices):
    IMAP = "imap", "IMAP"
    PIPE = "pipe", "delivery pipe"


class InboundMessage(TimeStampedModel):
    """One received message, whole, with what parsing and routing made of it."""

    message_id = models.CharField(max_length=255, unique=True)
    is_message_id_synthesised = models.BooleanField(default=False)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    source = models.CharField(max_length=10, choices=InboundSource.choices)
    raw = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(help_text="bytes of the original message")
    is_raw_truncated = models.BooleanField(default=False)
    received_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(help_text="the Date header, or received_at without one")
    from_address = models.CharField(max_length=320, db_index=True, blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    to_addresses = models.JSONField(default=list, blank=True)
    cc_addresses = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=1000, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.JSONField(default=list, blank=True)
    ticket_numbers = models.JSONField(default=list, blank=True)
    body_text = models.TextField(blank=True)
    visible_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="sanitised")
    is_auto_reply = models.BooleanField(default=False)
    is_auto_generated = models.BooleanField(default=False)
    is_bounce = models.BooleanField(default=False)
    is_mailing_list = models.BooleanField(default=False)
    defects = models.JSONField(default=list, blank=True)
    # Why the message cannot be used at all (unparseable, no sender, too large).
    error = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=20, choices=InboundStatus.choices, default=InboundStatus.NEW, db_index=True
    )
    reason = models.CharField(max_length=255, blank=True)
    # What routing made of it, e.g. "ticket:42" or "ticket-message:310" (set by the
    # ticket router; a foreign key can replace it once tickets exist).
    result_ref = models.CharField(max_length=100, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status_received")]

    def __str__(self) -> str:
        return f"{self.from_address or '?'}: {self.subject[:60]}"

    @property
    def must_not_answer(self) -> bool:
        return (
            self.is_auto_reply or self.is_auto_generated or self.is_bounce or (self.is_mailing_list)
        )


class QuarantinedMessage(InboundMessage):
    """The quarantine: inbound messages waiting for a dispatcher (a view, no table)."""

    class Meta:
        proxy = True
        verbose_name = "quarantined message"


class InboundAttachment(models.Model):
    """An attachment or inline part of an inbound message; its bytes stay in `raw`."""

    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    part_index = models.PositiveIntegerField(help_text="position among the MIME leaf parts")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)
    is_oversize = models.BooleanField(
        default=False, help_text="larger than the limit: listed, never served"
    )

    class Meta:
        ordering = ["message", "part_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "part_index"], name="inbound_attachment_part_once"
            )
        ]

    def __str__(self) -> str:
        return self.filename


class OutboxStatus(models.TextChoices):
    # Waiting for its next attempt at `next_attempt_at`.
    PENDING = "pending", "pending"
    # Claimed by a sender; if the sender dies, retried after the lease (same Message-ID).
    SENDING = "sending", "sending"
    # Accepted by the SMTP server.
    SENT = "sent", "sent"
    # Refused for good, or out of attempts; `last_error` says why.
    FAILED = "failed", "failed"


class OutboxMessage(TimeStampedModel):
    """A message to send, written in the same transaction as the change that causes it."""

    message_id = models.CharField(max_length=255, unique=True)
    to = models.JSONField(help_text="list of addresses")
    subject = models.CharField(max_length=1000)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    template = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=10)
    context_ref = models.CharField(max_length=100, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.JSONField(default=list, blank=True)
    is_auto_submitted = models.BooleanField(
        default=True, help_text="a notification (Auto-Submitted) rather than a person writing"
    )
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    queued_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject[:60]} → {', '.join(self.to)}"


class OutboxAttachment(models.Model):
    outbox = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    content = models.BinaryField()
    # `content` is HTML that the sender prints to PDF before sending (and stores back):
    # a report snapshot taken in the caller's transaction, printed outside it.
    is_html_for_pdf = models.BooleanField(default=False)

    class Meta:
        ordering = ["outbox", "pk"]

    def __str__(self) -> str:
        return self.filename
