"""Admin for tickets: read-mostly.

Tickets change only through the services (states, SLA, rating and ledgers must move
together), so the admin shows everything and edits nothing; the staff console is where
work is done. An intervention's report can be downloaded as PDF from its page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from assistdesk.tickets.models import (
    Charge,
    Intervention,
    Message,
    Part,
    Ticket,
    TicketEvent,
    TicketRating,
    TicketTarget,
)
from assistdesk.tickets.report import intervention_report_pdf


class ReadOnlyMixin:
    """Nothing added, changed or deleted here: the services own these rows."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class TargetInline(ReadOnlyMixin, admin.TabularInline[TicketTarget, Ticket]):
    model = TicketTarget
    fields = readonly_fields = (
        "kind",
        "due_at",
        "actual_at",
        "met",
        "late_minutes",
        "is_overdue",
        "computed_at",
    )
    extra = 0


class MessageInline(ReadOnlyMixin, admin.StackedInline[Message, Ticket]):
    model = Message
    fields = readonly_fields = (
        "kind",
        "is_public",
        "sent_at",
        "author_user",
        "author_contact",
        "body_text",
    )
    extra = 0


class InterventionInline(ReadOnlyMixin, admin.TabularInline[Intervention, Ticket]):
    model = Intervention
    fields = readonly_fields = (
        "link",
        "mode",
        "activity",
        "start_at",
        "end_at",
        "is_resolved",
        "is_warranty",
    )
    extra = 0

    @admin.display(description="intervention")
    def link(self, obj: Intervention) -> str:
        url = reverse("admin:tickets_intervention_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj)


class EventInline(ReadOnlyMixin, admin.TabularInline[TicketEvent, Ticket]):
    model = TicketEvent
    fields = readonly_fields = (
        "at",
        "kind",
        "from_state",
        "to_state",
        "actor",
        "reason",
        "sla_type",
    )
    extra = 0


class RatingInline(ReadOnlyMixin, admin.TabularInline[TicketRating, Ticket]):
    model = TicketRating
    fields = readonly_fields = (
        "rated_at",
        "currency",
        "total_amount",
        "superseded_at",
        "superseded_reason",
    )
    extra = 0
    show_change_link = True


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin[Ticket]):
    list_display = [
        "reference",
        "subject",
        "customer",
        "state",
        "severity",
        "is_urgent",
        "needs_follow_up",
        "priority_rank",
        "next_due_at",
        "assignee",
        "received_at",
    ]
    list_filter = ["state", "severity", "is_urgent", "origin", "kind", "needs_follow_up"]
    search_fields = ["=number", "subject", "customer__name", "customer__key"]
    list_select_related = ["customer", "assignee"]
    date_hierarchy = "received_at"
    inlines = [TargetInline, MessageInline, InterventionInline, RatingInline, EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> list[str]:
        return [f.name for f in Ticket._meta.fields]


class PartInline(ReadOnlyMixin, admin.TabularInline[Part, Intervention]):
    model = Part
    fields = readonly_fields = (
        "name",
        "quantity",
        "unit_price_amount",
        "needs_approval",
        "is_approved",
    )
    extra = 0


@admin.register(Intervention)
class InterventionAdmin(ReadOnlyMixin, admin.ModelAdmin[Intervention]):
    list_display = ["__str__", "ticket", "technician", "mode", "is_resolved", "report"]
    list_filter = ["mode", "activity", "is_warranty", "is_follow_up", "is_resolved"]
    list_select_related = ["ticket", "technician"]
    inlines = [PartInline]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Intervention | None = None
    ) -> list[str]:
        return [f.name for f in Intervention._meta.fields] + ["report"]

    @admin.display(description="report")
    def report(self, obj: Intervention) -> str:
        url = reverse("admin:tickets_intervention_report", args=[obj.pk])
        return format_html('<a href="{}">PDF</a>', url)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/report.pdf",
                self.admin_site.admin_view(self.report_view),
                name="tickets_intervention_report",
            )
        ]
        return own + super().get_urls()

    def report_view(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        intervention = get_object_or_404(Intervention, pk=pk)
        if not self.has_view_permission(request, intervention):
            return HttpResponse(status=403)
        response = HttpResponse(intervention_report_pdf(intervention), "application/pdf")
        name = f"{intervention.ticket.reference}-intervention-{intervention.pk}.pdf"
        response["Content-Disposition"] = f'inline; filename="{name}"'
        return response


class ChargeInline(ReadOnlyMixin, admin.TabularInline[Charge, TicketRating]):
    model = Charge
    fields = readonly_fields = (
        "ordinal",
        "type",
        "rate_key",
        "billed_minutes",
        "amount",
        "explanation",
    )
    extra = 0


@admin.register(TicketRating)
class TicketRatingAdmin(ReadOnlyMixin, admin.ModelAdmin[TicketRating]):
    list_display = ["ticket", "rated_at", "total_amount", "currency", "superseded_at"]
    list_filter = ["currency"]
    list_select_related = ["ticket"]
    date_hierarchy = "rated_at"
    inlines = [ChargeInline]

    def get_readonly_fields(
        self, request: HttpRequest, obj: TicketRating | None = None
    ) -> list[str]:
        return [f.name for f in TicketRating._meta.fields]
