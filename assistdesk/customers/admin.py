"""Admin of customers, with their sites and contacts inline.

The support PIN is write-only: a new one is typed in, only its hash is kept. The number
of authorised contacts is checked against the plans in force, as the service does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from assistdesk.common import clock
from assistdesk.customers.models import Contact, Customer, Site
from assistdesk.customers.services import PIN_LENGTH, authorised_contacts_check


class CustomerAdminForm(forms.ModelForm[Customer]):
    new_support_pin = forms.CharField(
        required=False,
        min_length=PIN_LENGTH,
        max_length=PIN_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text="type a new 6-digit PIN to replace the current one; only its hash is stored",
    )

    class Meta:
        model = Customer
        fields = ["key"]  # the admin passes the fields of its fieldsets

    def clean_new_support_pin(self) -> str:
        pin = str(self.cleaned_data.get("new_support_pin") or "")
        if pin and not (pin.isascii() and pin.isdigit()):
            raise forms.ValidationError(f"new_support_pin: exactly {PIN_LENGTH} digits")
        return pin


class ContactFormSet(BaseInlineFormSet[Contact, Customer, forms.ModelForm[Contact]]):
    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None:
            return
        authorised = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("is_authorised")
        ]
        try:
            authorised_contacts_check(
                customer=self.instance, authorised_count=len(authorised), now=clock.now()
            )
        except forms.ValidationError as error:
            newly = [
                f for f in authorised if not (f.instance.pk and f.initial.get("is_authorised"))
            ]
            for form in newly or authorised[-1:]:
                form.add_error("is_authorised", error.message_dict["is_authorised"])


class SiteInline(admin.TabularInline[Site, Customer]):
    model = Site
    extra = 0


class ContactInline(admin.TabularInline[Contact, Customer]):
    model = Contact
    formset = ContactFormSet
    extra = 0
    fields = ["name", "email", "phone", "language", "is_requester", "is_authorised",
              "is_accounting", "user"]  # fmt: skip
    raw_id_fields = ["user"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    form = CustomerAdminForm
    list_display = ["key", "name", "country", "language", "currency", "workstations",
                    "is_in_town"]  # fmt: skip
    list_filter = ["country", "language", "currency"]
    search_fields = ["key", "name", "vat_id"]
    inlines = [SiteInline, ContactInline]
    readonly_fields = ["has_support_pin"]
    fieldsets = [
        (None, {"fields": ["key", "name", "vat_id", "country", "language"]}),
        ("Invoicing", {"fields": ["currency", "vat_rate", "is_vat_reverse_charge"]}),
        (
            "Service",
            {
                "fields": [
                    "workstations",
                    "is_in_town",
                    "is_part_approval_required",
                    "has_support_pin",
                    "new_support_pin",
                ]
            },
        ),
    ]

    @admin.display(boolean=True, description="support PIN set")
    def has_support_pin(self, obj: Customer) -> bool:
        return obj.has_support_pin

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        pin = form.cleaned_data.get("new_support_pin")
        if pin:
            obj.set_support_pin(pin)
        super().save_model(request, obj, form, change)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ["name", "customer", "email", "is_authorised", "is_requester", "is_accounting"]
    list_filter = ["is_authorised", "is_accounting"]
    search_fields = ["name", "email", "customer__name"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None) -> list[str]:
        # Authorising happens with the customer's contacts in view, where the limit is checked.
        return ["is_authorised"]
