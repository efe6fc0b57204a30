"""The thread of a ticket: public messages and internal notes, with attachments.

A message is written by a staff user or by a contact (the customer's side); `body_text`
is what people read, `body_html` an optional rendering already sanitised (nh3) by the
service that stored it. Attachments are files under MEDIA_ROOT with names made safe
(no path, no control characters); the mail intake may add them after the message.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.db import models
from django.utils.text import get_valid_filename

from assistdesk.customers.models import Contact
from assistdesk.tickets.models.tickets import Ticket

MAX_NAME_LENGTH = 120


class MessageKind(models.TextChoices):
    REQUEST = "request", "request"  # what the customer asked, with the ticket
    REPLY = "reply", "reply"  # staff, public: a response (§2.2)
    NOTE = "note", "internal note"  # staff, internal: never a response
    CONFIRMATION = "confirmation", "confirmation of intervention"  # a response (§2.2)
    CUSTOMER_REPLY = "customer_reply", "customer reply"


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    is_public = models.BooleanField(default=True, help_text="internal notes are not")
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ticket_messages",
    )
    author_contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="ticket_messages"
    )
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="sanitised")
    sent_at = models.DateTimeField(help_text="when it was written (a mail: its arrival)")
    # A confirmation of intervention: when, how and for how long (seed 001).
    planned_at = models.DateTimeField(null=True, blank=True)
    planned_mode = models.CharField(max_length=10, blank=True)
    expected_minutes = models.PositiveIntegerField(null=True, blank=True)
    mail_message_id = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Message-ID, for mail threading"
    )
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticket", "sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket.reference} at {self.sent_at:%Y-%m-%d}"

    @property
    def author_name(self) -> str:
        if self.author_contact is not None:
            return self.author_contact.name
        if self.author_user is not None:
            return self.author_user.get_full_name() or self.author_user.get_username()
        return self.actor


def safe_file_name(name: str) -> str:
    """A file name with no directory part and only harmless characters, never empty."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable())
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:  # "..", or nothing left
        cleaned = ""
    cleaned = cleaned.lstrip(".") or "attachment"
    if len(cleaned) > MAX_NAME_LENGTH:
        stem, dot, suffix = cleaned.rpartition(".")
        if dot and len(suffix) <= 10:
            cleaned = f"{stem[: MAX_NAME_LENGTH - len(suffix) - 1]}.{suffix}"
        else:
            cleaned = cleaned[:MAX_NAME_LENGTH]
    return cleaned


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """tickets/<number>/<random>/<safe name>: a random folder, so names never collide."""
    number = instance.message.ticket.number
    return f"tickets/{number}/{uuid.uuid4().hex[:12]}/{safe_file_name(filename)}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    name = models.CharField(max_length=255, help_text="the name shown (made safe)")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.name
