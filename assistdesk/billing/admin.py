"""Admin of billing: rates, periods, runs, invoices (read-only), credits.

Issued invoices and credit notes are shown, never edited or deleted (§2.7): corrections
are credit notes, issued by the service. A manual exchange rate or a credit typed in
here goes through its service, like everywhere else. An invoice's PDF is one click away.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from assistdesk.billing.fx.importer import fx_rate_record
from assistdesk.billing.models import (
    BillingPeriod,
    BillingRun,
    Credit,
    ExchangeRate,
    Invoice,
    InvoiceLine,
    InvoiceSeries,
    Statement,
)
from assistdesk.billing.services import credit_cancel, credit_grant
from assistdesk.common import clock


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def actor_of(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    list_display = ["published_on", "source", "from_currency", "to_currency", "rate", "multiplier"]
    list_filter = ["source", "from_currency", "to_currency"]
    date_hierarchy = "published_on"
    fields = ["published_on", "from_currency", "to_currency", "rate"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a bank's rate is corrected by importing its feed again

    def save_model(self, request: HttpRequest, obj: ExchangeRate, form: Any, change: bool) -> None:
        saved = fx_rate_record(
            published_on=obj.published_on,
            from_currency=obj.from_currency,
            to_currency=obj.to_currency,
            rate=obj.rate,
            actor=actor_of(request),
            now=clock.now(),
        )
        obj.pk = saved.pk


@admin.register(BillingPeriod)
class BillingPeriodAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[BillingPeriod]):
    list_display = ["key", "starts_on", "ends_on"]


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[BillingRun]):
    list_display = [
        "period", "invoice_on", "started_at", "actor", "invoices_issued", "lines_issued",
        "customers_already_invoiced",
    ]  # fmt: skip
    list_filter = ["period"]


@admin.register(InvoiceSeries)
class InvoiceSeriesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[InvoiceSeries]):
    list_display = ["code", "year", "last_sequence"]


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline[InvoiceLine, Invoice]):
    model = InvoiceLine
    fk_name = "invoice"
    extra = 0
    fields = readonly_fields = (
        "position", "kind", "description", "quantity", "source_currency", "source_amount",
        "fx_rate", "amount", "contract", "month_on", "purchase", "rating", "credit",
        "credited_line",
    )  # fmt: skip


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Invoice]):
    list_display = [
        "number", "kind", "issued_on", "customer_name", "period", "currency", "net_amount",
        "vat_amount", "total_amount", "pdf_link",
    ]  # fmt: skip
    list_filter = ["kind", "period", "currency", "is_reverse_charge"]
    search_fields = ["number", "customer_name", "customer__key", "customer_vat_id"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline]

    @admin.display(description="PDF")
    def pdf_link(self, invoice: Invoice) -> str:
        url = reverse("admin:billing_invoice_pdf", args=[invoice.pk])
        return format_html('<a href="{}">PDF</a>', url)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:invoice_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_invoice_pdf",
            )
        ]
        return own + super().get_urls()

    def pdf_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        from assistdesk.billing.documents import invoice_pdf

        invoice = get_object_or_404(Invoice, pk=invoice_id)
        response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response


class CreditForm(forms.ModelForm[Credit]):
    class Meta:
        model = Credit
        fields = ["customer", "amount", "reason", "granted_on"]


@admin.register(Credit)
class CreditAdmin(admin.ModelAdmin[Credit]):
    form = CreditForm
    list_display = ["customer", "granted_on", "amount", "currency", "reason", "cancelled_at"]
    list_filter = ["currency"]
    search_fields = ["customer__name", "reason"]
    actions = ["cancel"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Credit, form: Any, change: bool) -> None:
        saved = credit_grant(
            customer=obj.customer,
            amount=obj.amount,
            reason=obj.reason,
            granted_on=obj.granted_on,
            actor=actor_of(request),
            now=clock.now(),
        )
        obj.pk = saved.pk

    @admin.action(description="Cancel the selected credits (not yet deducted)")
    def cancel(self, request: HttpRequest, queryset: Any) -> None:
        for credit in queryset:
            try:
                credit_cancel(credit=credit, actor=actor_of(request), now=clock.now())
            except ValidationError as error:
                self.message_user(request, f"{credit}: {error.messages[0]}", messages.ERROR)


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Statement]):
    list_display = ["customer", "period", "language", "issued_at", "sent_at"]
    list_filter = ["period"]
    exclude = ["pdf"]
