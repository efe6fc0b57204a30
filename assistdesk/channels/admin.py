"""Admin for mailboxes, inbound mail, the quarantine and the outbox."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from assistdesk.channels import services
from assistdesk.channels.models import (
    InboundAttachment,
    InboundMessage,
    InboundStatus,
    Mailbox,
    OutboxMessage,
    QuarantinedMessage,
)
from assistdesk.common import clock


class MailboxForm(forms.ModelForm[Mailbox]):
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))

    class Meta:
        model = Mailbox
        fields = [
            "name", "host", "port", "use_ssl", "username", "password", "folder",
            "processed_folder", "is_active",
        ]  # fmt: skip


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = ["name", "host", "username", "folder", "is_active", "last_fetched_at"]
    list_filter = ["is_active"]
    readonly_fields = ["last_fetched_at", "last_error", "locked_until"]


class InboundAttachmentInline(admin.TabularInline[InboundAttachment, InboundMessage]):
    model = InboundAttachment
    extra = 0
    can_delete = False
    fields = ("filename", "content_type", "size", "is_inline", "content_id", "is_oversize")
    readonly_fields = fields


# The admin shows text only (escaped); `raw` never leaves the database through a page.
_INBOUND_READONLY = [
    "message_id", "mailbox", "source", "received_at", "sent_at", "from_address",
    "from_name", "to_addresses", "cc_addresses", "subject", "in_reply_to", "references",
    "ticket_numbers", "visible_text", "body_text", "is_auto_reply", "is_auto_generated",
    "is_bounce", "is_mailing_list", "defects", "error", "size", "is_raw_truncated",
    "status", "reason", "result_ref", "routed_at", "released_at", "released_by",
]  # fmt: skip


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin[InboundMessage]):
    list_display = ["received_at", "from_address", "subject", "status", "reason"]
    list_filter = ["status", "mailbox", "source", "is_auto_reply", "is_bounce"]
    search_fields = ["message_id", "from_address", "subject"]
    date_hierarchy = "received_at"
    fields = tuple(_INBOUND_READONLY)
    readonly_fields = _INBOUND_READONLY
    inlines = [InboundAttachmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundMessage]:
        return super().get_queryset(request).defer("raw", "body_html")


@admin.register(QuarantinedMessage)
class QuarantineAdmin(InboundMessageAdmin):
    """The dispatchers' quarantine: why each message waits, and what to do with it."""

    list_display = ["received_at", "from_address", "subject", "reason", "mailbox"]
    list_filter = ["reason", "mailbox", "source"]
    actions = ["release", "dismiss"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundMessage]:
        return super().get_queryset(request).filter(status=InboundStatus.QUARANTINED)

    @admin.action(description="Release: route the selected messages again")
    def release(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        now, actor = clock.now(), request.user.get_username()
        outcomes = [
            services.inbound_release(message_pk=pk, actor=actor, now=now)
            for pk in queryset.values_list("pk", flat=True)
        ]
        still = sum(1 for o in outcomes if o and o.status == InboundStatus.QUARANTINED)
        self.message_user(
            request,
            f"{len(outcomes) - still} released, {still} still quarantined",
            messages.SUCCESS if not still else messages.WARNING,
        )

    @admin.action(description="Dismiss: nothing to do for the selected messages")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        now, actor = clock.now(), request.user.get_username()
        count = sum(
            services.inbound_dismiss(message_pk=pk, actor=actor, now=now)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{count} dismissed", messages.SUCCESS)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ["queued_at", "subject", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "template", "language"]
    search_fields = ["message_id", "subject", "context_ref"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# The monitoring and after-hours admin live with their code; importing registers them.
from assistdesk.channels.afterhours import admin as afterhours_admin  # noqa: E402, F401
from assistdesk.channels.monitoring import admin as monitoring_admin  # noqa: E402, F401
