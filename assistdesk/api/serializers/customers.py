"""Customers, contacts, contracts, plans and allowance balances as the API shows them.

Input serializers check shapes only (types, lengths, choices); the services check the
rules and their errors come back naming the same fields.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assistdesk.api.serializers.fields import DayField, InstantField
from assistdesk.catalog.models import Plan
from assistdesk.contracts.models import BillingCycle, Contract, ContractState
from assistdesk.customers.models import Contact, Customer, Language

# A contact's language may be blank: the customer's then.
CONTACT_LANGUAGES = [("", "the customer's"), *Language.choices]

# --- customers ------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    has_support_pin = serializers.BooleanField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "key", "name", "vat_id", "country", "language", "currency", "vat_rate",
            "is_vat_reverse_charge", "workstations", "is_in_town", "is_part_approval_required",
            "has_support_pin", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CustomerCreateSerializer(serializers.Serializer[Any]):
    key = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=200)
    country = serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166, e.g. IT")
    currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO 4217, e.g. EUR")
    language = serializers.ChoiceField(choices=Language.choices, default=Language.EN)
    vat_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, default=None
    )
    is_vat_reverse_charge = serializers.BooleanField(default=False)
    vat_id = serializers.CharField(max_length=32, allow_blank=True, default="")
    workstations = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    is_in_town = serializers.BooleanField(default=True)
    is_part_approval_required = serializers.BooleanField(default=False)


class CustomerFilter(serializers.Serializer[Any]):
    updated_since = InstantField(required=False, help_text="changed at or after")
    ordering = serializers.ChoiceField(
        choices=["key", "-key", "name", "-name", "updated_at", "-updated_at"],
        required=False,
        default="name",
    )


# --- contacts -------------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer[Contact]):
    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    language = serializers.ChoiceField(choices=CONTACT_LANGUAGES, read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id", "customer", "name", "email", "phone", "language", "is_requester",
            "is_authorised", "is_accounting", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ContactCreateSerializer(serializers.Serializer[Any]):
    customer = serializers.SlugField(max_length=50, help_text="the customer's key")
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=CONTACT_LANGUAGES, allow_blank=True, default="")
    is_requester = serializers.BooleanField(default=True)
    is_authorised = serializers.BooleanField(default=False)
    is_accounting = serializers.BooleanField(default=False)


class ContactFilter(serializers.Serializer[Any]):
    customer = serializers.SlugField(max_length=50, required=False)
    is_authorised = serializers.BooleanField(required=False, allow_null=True, default=None)
    email = serializers.CharField(max_length=254, required=False, help_text="exact, any case")
    updated_since = InstantField(required=False)


# --- contracts ------------------------------------------------------------------------------


class ContractSerializer(serializers.ModelSerializer[Contract]):
    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    plan: serializers.SlugRelatedField[Plan] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    converts_to_plan: serializers.SlugRelatedField[Plan] = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )

    class Meta:
        model = Contract
        fields = [
            "id", "customer", "plan", "start_on", "ends_on", "billing_cycle", "workstations",
            "state", "is_auto_renewed", "converts_to_plan", "converted_from", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ContractCreateSerializer(serializers.Serializer[Any]):
    customer = serializers.SlugField(max_length=50)
    plan = serializers.SlugField(max_length=50)
    start_on = DayField()
    billing_cycle = serializers.ChoiceField(
        choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    workstations = serializers.IntegerField(
        min_value=0, max_value=1_000_000, required=False, allow_null=True, default=None,
        help_text="blank: the customer's",
    )  # fmt: skip
    converts_to_plan = serializers.SlugField(
        max_length=50, required=False, allow_null=True, default=None
    )


class ContractFilter(serializers.Serializer[Any]):
    customer = serializers.SlugField(max_length=50, required=False)
    state = serializers.ChoiceField(choices=ContractState.choices, required=False)
    plan = serializers.SlugField(max_length=50, required=False)
    updated_since = InstantField(required=False)


# --- plans and allowances -------------------------------------------------------------------


class PlanSerializer(serializers.ModelSerializer[Plan]):
    spec = serializers.SerializerMethodField(help_text="the plan in FORMAT.md's shape")

    class Meta:
        model = Plan
        fields = ["key", "name", "description", "is_active", "currency", "priority", "spec"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_spec(self, plan: Plan) -> dict[str, Any]:
        spec: dict[str, Any] = self.context["plan_spec"](plan=plan)
        return spec


class PlanFilter(serializers.Serializer[Any]):
    is_active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="blank: every plan"
    )


class AllowanceSerializer(serializers.Serializer[Any]):
    """A bucket of prepaid minutes: its ledger summed."""

    # DRF collects declared fields by name; `source` only shadows Field.source for mypy.
    source = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text='e.g. "package remote12 2026-01-10"'
    )
    granted_minutes = serializers.DecimalField(
        max_digits=16, decimal_places=6, read_only=True, normalize_output=True
    )
    used_minutes = serializers.DecimalField(
        max_digits=16, decimal_places=6, read_only=True, normalize_output=True
    )
    expired_minutes = serializers.DecimalField(
        max_digits=16, decimal_places=6, read_only=True, normalize_output=True
    )
    left_minutes = serializers.DecimalField(
        max_digits=16, decimal_places=6, read_only=True, normalize_output=True
    )
    expires_on = serializers.DateField(read_only=True)
