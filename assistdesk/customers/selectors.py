"""Reads of customers and contacts."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet
from django.db.models.functions import Lower

from assistdesk.customers.models import Contact, Customer


def customer_get(*, key: str) -> Customer:
    return Customer.objects.get(key=key)


def customer_support_pin_matches(*, customer: Customer, pin: str) -> bool:
    """Whether `pin` is the customer's support PIN (checked against the stored hash)."""
    return customer.check_support_pin(pin)


def contacts_authorised(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer, is_authorised=True)


def contact_by_email(*, email: str) -> list[Contact]:
    """Contacts with this address (case-insensitive), across customers."""
    return list(Contact.objects.filter(email__iexact=email).select_related("customer"))


def contacts_by_emails(*, emails: Collection[str]) -> list[Contact]:
    """Contacts with any of these lower-case ASCII addresses, across customers: one query
    for a whole batch of mail (`contact_by_email` for one address, of any alphabet)."""
    return list(
        Contact.objects.alias(email_lower=Lower("email"))
        .filter(email_lower__in=list(emails))
        .select_related("customer")
    )
