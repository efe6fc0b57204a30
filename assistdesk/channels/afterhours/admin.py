"""Admin for the after-hours line: IVR lines, the on-call rota, PIN locks and attempts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from assistdesk.channels.afterhours import services
from assistdesk.channels.models import AfterHoursAccess, IvrLine, OnCallShift, PinAttempt
from assistdesk.common import clock


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


@admin.register(IvrLine)
class IvrLineAdmin(admin.ModelAdmin[IvrLine]):
    list_display = ["name", "language", "is_active", "last_used_at"]
    fields = ["name", "language", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["created_at", "last_used_at"]
    actions = ["rotate_secret"]

    def save_model(
        self, request: HttpRequest, obj: IvrLine, form: ModelForm[Any], change: bool
    ) -> None:
        if change:
            obj.save()
            return
        created, secret = services.ivr_line_create(
            name=obj.name, language=obj.language, actor=_actor(request), now=clock.now()
        )
        obj.pk, obj.secret_hash = created.pk, created.secret_hash
        obj.created_at = created.created_at
        obj._state.adding = False
        if not obj.is_active:
            IvrLine.objects.filter(pk=obj.pk).update(is_active=False)
        self.message_user(
            request, f"Secret of line {obj.name}, shown this once: {secret}", messages.WARNING
        )

    @admin.action(description="Rotate the secret (shown once; the old one stops working)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[IvrLine]) -> None:
        for line in queryset:
            secret = services.ivr_line_rotate_secret(
                line=line, actor=_actor(request), now=clock.now()
            )
            self.message_user(
                request, f"New secret of line {line.name}, shown this once: {secret}",
                messages.WARNING,
            )  # fmt: skip


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin[OnCallShift]):
    """The rota: who answers the after-hours line when. Overlaps are allowed; the shift that
    starts last wins (a swap entered over the regular rota)."""

    list_display = ["starts_at", "ends_at", "technician", "phone", "note"]
    list_filter = ["technician"]
    date_hierarchy = "starts_at"


@admin.register(AfterHoursAccess)
class AfterHoursAccessAdmin(admin.ModelAdmin[AfterHoursAccess]):
    list_display = [
        "customer", "customer_code", "failed_count", "locked_until", "is_locked_until_reset",
        "refused_while_locked",
    ]  # fmt: skip
    list_filter = ["is_locked_until_reset"]
    search_fields = ["customer__key", "customer__name", "customer_code"]
    readonly_fields = [
        "failed_count", "locked_until", "is_locked_until_reset", "refused_while_locked",
        "last_failed_at", "last_refused_at", "unlocked_at", "unlocked_by",
    ]  # fmt: skip
    actions = ["unlock"]

    @admin.action(description="Unlock the support PIN of the selected customers")
    def unlock(self, request: HttpRequest, queryset: QuerySet[AfterHoursAccess]) -> None:
        for access in queryset.select_related("customer"):
            services.support_pin_unlock(
                customer=access.customer, actor=_actor(request), now=clock.now()
            )
        self.message_user(request, f"{queryset.count()} unlocked", messages.SUCCESS)


@admin.register(PinAttempt)
class PinAttemptAdmin(admin.ModelAdmin[PinAttempt]):
    list_display = ["at", "caller", "customer", "result", "ticket", "note"]
    list_filter = ["result", "line"]
    search_fields = ["caller", "customer__key"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in PinAttempt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
