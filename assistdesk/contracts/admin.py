"""Admin of contracts, package purchases and the allowance ledgers.

Ledger rows are read-only here: they are written by the services only, and corrected by
reversing entries, never edited. A package purchase typed into the admin goes through
`package_purchase`, so its bucket and grant are made as everywhere else.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from assistdesk.common import clock
from assistdesk.contracts.models import (
    AllowanceBucket,
    AllowanceEntry,
    AllowanceNotice,
    Contract,
    ContractCoefficient,
    ContractEvent,
    PackagePurchase,
)
from assistdesk.contracts.services import contract_create, package_purchase


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ContractCoefficientInline(admin.TabularInline[ContractCoefficient, Contract]):
    model = ContractCoefficient
    extra = 0


class ContractEventInline(ReadOnlyAdminMixin, admin.TabularInline[ContractEvent, Contract]):
    model = ContractEvent
    extra = 0
    fields = readonly_fields = ("kind", "at", "actor", "note")


ADD_FIELDS = ["customer", "plan", "start_on", "billing_cycle", "workstations",
              "converts_to_plan", "extra_time_calendar"]  # fmt: skip


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin[Contract]):
    """A new contract is made by `contract_create` (state, term, trial days follow the plan);
    state changes happen through the services and their jobs, so state is read-only here."""

    list_display = ["customer", "plan", "state", "start_on", "ends_on", "billing_cycle"]
    list_filter = ["state", "billing_cycle", "plan"]
    search_fields = ["customer__name", "customer__key", "plan__key"]
    inlines = [ContractCoefficientInline, ContractEventInline]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ADD_FIELDS
        return [*ADD_FIELDS, "ends_on", "is_auto_renewed", "state", "converted_from"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return ["customer", "plan", "start_on", "state", "converted_from"]

    def save_model(self, request: HttpRequest, obj: Contract, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = contract_create(
            customer=obj.customer,
            plan=obj.plan,
            start_on=obj.start_on,
            billing_cycle=obj.billing_cycle,
            workstations=obj.workstations,
            converts_to_plan=obj.converts_to_plan,
            extra_time_calendar=obj.extra_time_calendar,
            actor=request.user.get_username(),
            now=clock.now(),
        )
        obj.pk, obj.state, obj.ends_on = created.pk, created.state, created.ends_on
        obj._state.adding = False


class AllowanceEntryInline(
    ReadOnlyAdminMixin, admin.TabularInline[AllowanceEntry, AllowanceBucket]
):
    model = AllowanceEntry
    fk_name = "bucket"
    extra = 0
    fields = readonly_fields = ("kind", "minutes", "at", "ref", "reverses", "actor", "created_at")


@admin.register(AllowanceBucket)
class AllowanceBucketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AllowanceBucket]):
    list_display = ["key", "customer", "kind", "granted_at", "expires_at"]
    list_filter = ["kind"]
    search_fields = ["key", "customer__name", "customer__key"]
    inlines = [AllowanceEntryInline]


@admin.register(AllowanceEntry)
class AllowanceEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AllowanceEntry]):
    list_display = ["bucket", "kind", "minutes", "at", "ref", "actor"]
    list_filter = ["kind"]
    search_fields = ["bucket__key", "ref", "bucket__customer__name"]


@admin.register(AllowanceNotice)
class AllowanceNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[AllowanceNotice]):
    list_display = ["bucket", "kind", "at", "balance_minutes", "handed_over_at"]
    list_filter = ["kind"]


class PackagePurchaseForm(forms.ModelForm[PackagePurchase]):
    class Meta:
        model = PackagePurchase
        fields = ["customer", "plan", "purchased_on"]

    def clean_plan(self) -> Any:
        plan = self.cleaned_data["plan"]
        if not plan.is_package:
            raise forms.ValidationError(f"plan: {plan.key} is not a package plan")
        return plan


@admin.register(PackagePurchase)
class PackagePurchaseAdmin(admin.ModelAdmin[PackagePurchase]):
    list_display = ["customer", "plan", "purchased_on", "expires_at", "minutes", "price_amount"]
    list_filter = ["plan"]
    search_fields = ["customer__name", "customer__key"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = PackagePurchaseForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else [f.name for f in PackagePurchase._meta.fields]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["customer", "plan", "purchased_on"]
        return [f.name for f in PackagePurchase._meta.fields if f.name != "id"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PackagePurchase, form: Any, change: bool
    ) -> None:
        if change:
            return
        bought = package_purchase(
            customer=obj.customer,
            plan=obj.plan,
            purchased_on=obj.purchased_on,
            actor=request.user.get_username(),
            now=clock.now(),
        )
        obj.pk = bought.pk
        obj.bucket = bought.bucket
