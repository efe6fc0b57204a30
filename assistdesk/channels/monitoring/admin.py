"""Admin for monitoring sources, alert links and the alert quarantine.

A source's secret is shown once, in the message after it is made or rotated; only its
hash is kept. Quarantined alerts are released (received again, e.g. after a mapping rule
was added) or dismissed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from assistdesk.channels.models import AlertLink, MonitoringSource, QuarantinedAlert
from assistdesk.channels.monitoring import services
from assistdesk.common import clock


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.pk}"


@admin.register(MonitoringSource)
class MonitoringSourceAdmin(admin.ModelAdmin[MonitoringSource]):
    list_display = ["name", "kind", "default_customer", "is_active", "last_received_at"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["created_at", "last_received_at"]
    actions = ["rotate_secret"]
    fields = [
        "name", "kind", "is_active", "default_customer", "customer_label", "customer_rules",
        "severity_label", "severity_map", "default_severity", "resolve_on_recovery",
        "created_at", "last_received_at",
    ]  # fmt: skip

    def save_model(
        self, request: HttpRequest, obj: MonitoringSource, form: ModelForm[Any], change: bool
    ) -> None:
        if change:
            obj.save()  # settings only; the secret is never edited
            return
        created, secret = services.monitoring_source_create(
            name=obj.name,
            kind=obj.kind,
            default_customer=obj.default_customer,
            customer_label=obj.customer_label,
            customer_rules=obj.customer_rules,
            severity_label=obj.severity_label,
            severity_map=obj.severity_map,
            default_severity=obj.default_severity,
            resolve_on_recovery=obj.resolve_on_recovery,
            actor=_actor(request),
            now=clock.now(),
        )
        obj.pk, obj.secret_hash = created.pk, created.secret_hash
        obj.created_at = created.created_at
        obj._state.adding = False
        self.message_user(
            request,
            f"Secret of {obj.name}, shown this once: {secret}",
            messages.WARNING,
        )

    @admin.action(description="Rotate the secret (shown once; the old one stops working)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[MonitoringSource]) -> None:
        for source in queryset:
            secret = services.monitoring_source_rotate_secret(
                source=source, actor=_actor(request), now=clock.now()
            )
            self.message_user(
                request, f"New secret of {source.name}, shown this once: {secret}", messages.WARNING
            )


@admin.register(AlertLink)
class AlertLinkAdmin(admin.ModelAdmin[AlertLink]):
    list_display = ["opened_at", "source", "summary", "status", "ticket", "notices"]
    list_filter = ["status", "source"]
    search_fields = ["dedup_key", "summary"]
    readonly_fields = [f.name for f in AlertLink._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(QuarantinedAlert)
class QuarantinedAlertAdmin(admin.ModelAdmin[QuarantinedAlert]):
    list_display = ["last_received_at", "source", "reason", "field", "deliveries", "outcome"]
    list_filter = ["reason", "source", ("handled_at", admin.EmptyFieldListFilter)]
    search_fields = ["dedup_key", "message"]
    readonly_fields = [f.name for f in QuarantinedAlert._meta.fields]
    actions = ["release", "dismiss"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Release: receive the selected alerts again")
    def release(self, request: HttpRequest, queryset: QuerySet[QuarantinedAlert]) -> None:
        for row in queryset:
            actor, now = _actor(request), clock.now()
            outcome = services.alert_release(quarantined=row, actor=actor, now=now)
            problem = outcome.malformed or (outcome.problems[0] if outcome.problems else None)
            if problem is not None:
                self.message_user(
                    request, f"{row}: still kept: {problem.message}", messages.WARNING
                )
            else:
                tickets = ", ".join(r.ticket for r in outcome.results if r.ticket) or "no ticket"
                self.message_user(request, f"{row}: released ({tickets})", messages.SUCCESS)

    @admin.action(description="Dismiss: nothing to do for the selected alerts")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[QuarantinedAlert]) -> None:
        count = sum(
            services.alert_dismiss(quarantined=row, actor=_actor(request), now=clock.now())
            for row in queryset
        )
        self.message_user(request, f"{count} dismissed", messages.SUCCESS)
