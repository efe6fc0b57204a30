"""Customers, their sites and contacts.

A customer is a company the provider supports: where it is (country, in town or not, for
travel), how it is invoiced (currency, VAT rate or reverse charge), what it asked for
("tell me before replacing any part") and how the after-hours line knows it (a support PIN,
stored only as a password hash).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import models

from assistdesk.common.models import TimeStampedModel


class Language(models.TextChoices):
    EN = "en", "English"
    IT = "it", "Italiano"
    FR = "fr", "Français"
    RO = "ro", "Română"


class Customer(TimeStampedModel):
    key = models.SlugField(max_length=50, unique=True, help_text="short code, e.g. acme")
    name = models.CharField("company name", max_length=200)
    vat_id = models.CharField("VAT id", max_length=32, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. IT")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    currency = models.CharField("invoice currency", max_length=3, default="EUR")
    vat_rate = models.DecimalField(
        "VAT rate %", max_digits=5, decimal_places=2, null=True, blank=True
    )
    is_vat_reverse_charge = models.BooleanField("VAT reverse charge", default=False)
    workstations = models.PositiveIntegerField(default=0)
    is_in_town = models.BooleanField(
        "in town", default=True, help_text="chooses the in-town or out-of-town travel fee"
    )
    is_part_approval_required = models.BooleanField(
        "tell me before replacing any part",
        default=False,
        help_text="every spare part needs the customer's approval, whatever its value",
    )
    support_pin_hash = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_support_pin(self) -> bool:
        return bool(self.support_pin_hash)

    def set_support_pin(self, pin: str) -> None:
        """Store `pin` hashed (the service checks its shape first)."""
        self.support_pin_hash = make_password(pin)

    def check_support_pin(self, pin: str) -> bool:
        return bool(self.support_pin_hash) and check_password(pin, self.support_pin_hash)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.country and not (len(self.country) == 2 and self.country.isupper()):
            errors["country"] = "country: a two-letter upper-case code such as IT"
        if self.currency and not (len(self.currency) == 3 and self.currency.isupper()):
            errors["currency"] = "currency: an ISO 4217 code such as EUR"
        if self.is_vat_reverse_charge and self.vat_rate:
            errors["vat_rate"] = "vat_rate: leave it empty under reverse charge"
        elif not self.is_vat_reverse_charge and self.vat_rate is None:
            errors["vat_rate"] = "vat_rate: required unless VAT is reverse charged"
        elif self.vat_rate is not None and not 0 <= self.vat_rate < 100:
            errors["vat_rate"] = "vat_rate: a percentage between 0 and 100"
        if errors:
            raise ValidationError(errors)


class Site(TimeStampedModel):
    """An address of the customer where on-site work happens."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=100)
    address = models.TextField(blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["customer", "name"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.name}"


class Contact(TimeStampedModel):
    """A person at a customer. Roles: requester, authorised contact, accounting."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(
        max_length=2, choices=Language.choices, blank=True, help_text="blank: the customer's"
    )
    is_requester = models.BooleanField("requester", default=True)
    is_authorised = models.BooleanField(
        "authorised contact",
        default=False,
        help_text="may open billable requests; the plan may limit how many",
    )
    is_accounting = models.BooleanField("accounting", default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
        help_text="portal login",
    )

    class Meta:
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "email"],
                condition=~models.Q(email=""),
                name="contact_email_unique_per_customer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer})"

    @property
    def language_or_customers(self) -> str:
        return self.language or self.customer.language
