"""Invoices and credit notes (read only): the issued documents, with their lines."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from assistdesk.api.serializers.fields import DayField
from assistdesk.billing.models import BillingPeriod, Invoice, InvoiceKind, InvoiceLine
from assistdesk.customers.models import Customer


class InvoiceSerializer(serializers.ModelSerializer[Invoice]):
    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    period: serializers.SlugRelatedField[BillingPeriod] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    credited_invoice: serializers.SlugRelatedField[Invoice] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "kind", "customer", "period", "issued_on", "issued_at",
            "customer_name", "customer_vat_id", "customer_country", "language", "currency",
            "net_amount", "vat_amount", "total_amount", "vat_rate", "is_reverse_charge",
            "fx_rate", "fx_from_currency", "credited_invoice", "reason",
        ]  # fmt: skip
        read_only_fields = fields


class InvoiceLineSerializer(serializers.ModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = [
            "position", "kind", "source", "description", "plan_key", "ticket_label", "quantity",
            "source_currency", "source_unit_amount", "source_amount", "fx_rate", "amount",
            "month_on",
        ]  # fmt: skip
        read_only_fields = fields


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class InvoiceFilter(serializers.Serializer[Any]):
    customer = serializers.SlugField(max_length=50, required=False)
    kind = serializers.ChoiceField(choices=InvoiceKind.choices, required=False)
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$", max_length=7, required=False, help_text="YYYY-MM"
    )
    issued_since = DayField(required=False, help_text="issued on or after")
