"""Write operations on customers, sites and contacts.

Errors are `ValidationError`s keyed by the field they concern, so a form shows them
next to it and an API can name it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from assistdesk.contracts.selectors import authorised_contacts_limit
from assistdesk.customers.models import Contact, Customer, Site

PIN_LENGTH = 6


def customer_create(
    *,
    key: str,
    name: str,
    country: str,
    currency: str,
    language: str = "en",
    vat_rate: Decimal | None = None,
    is_vat_reverse_charge: bool = False,
    vat_id: str = "",
    workstations: int = 0,
    is_in_town: bool = True,
    is_part_approval_required: bool = False,
    actor: str,
    now: datetime,
) -> Customer:
    customer = Customer(
        key=key,
        name=name,
        vat_id=vat_id,
        country=country,
        language=language,
        currency=currency,
        vat_rate=vat_rate,
        is_vat_reverse_charge=is_vat_reverse_charge,
        workstations=workstations,
        is_in_town=is_in_town,
        is_part_approval_required=is_part_approval_required,
    )
    customer.full_clean()
    with transaction.atomic():
        customer.save()
    return customer


def customer_set_support_pin(*, customer: Customer, pin: str, actor: str, now: datetime) -> None:
    """Give the customer a new support PIN (six digits), stored only as a hash."""
    if not (len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()):
        raise ValidationError({"support_pin": f"support_pin: exactly {PIN_LENGTH} digits"})
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        locked.set_support_pin(pin)
        locked.save(update_fields=["support_pin_hash", "updated_at"])
    customer.support_pin_hash = locked.support_pin_hash


def site_create(
    *,
    customer: Customer,
    name: str,
    address: str = "",
    city: str = "",
    postcode: str = "",
    country: str = "",
    actor: str,
    now: datetime,
) -> Site:
    site = Site(
        customer=customer,
        name=name,
        address=address,
        city=city,
        postcode=postcode,
        country=country or customer.country,
    )
    site.full_clean()
    with transaction.atomic():
        site.save()
    return site


def authorised_contacts_check(*, customer: Customer, authorised_count: int, now: datetime) -> None:
    """Raise, on `is_authorised`, if `authorised_count` exceeds what the contracts allow."""
    limit = authorised_contacts_limit(customer=customer, at=now)
    if limit is not None and authorised_count > limit:
        raise ValidationError(
            {
                "is_authorised": f"is_authorised: the plan allows {limit} authorised "
                f"contact{'s' if limit != 1 else ''} and {customer} would have {authorised_count}"
            }
        )


def contact_create(
    *,
    customer: Customer,
    name: str,
    email: str = "",
    phone: str = "",
    language: str = "",
    is_requester: bool = True,
    is_authorised: bool = False,
    is_accounting: bool = False,
    user: User | None = None,
    actor: str,
    now: datetime,
) -> Contact:
    contact = Contact(
        customer=customer,
        name=name,
        email=email,
        phone=phone,
        language=language,
        is_requester=is_requester,
        is_authorised=is_authorised,
        is_accounting=is_accounting,
        user=user,
    )
    contact.full_clean()
    with transaction.atomic():
        if is_authorised:
            Customer.objects.select_for_update().get(pk=customer.pk)
            count = Contact.objects.filter(customer=customer, is_authorised=True).count()
            authorised_contacts_check(customer=customer, authorised_count=count + 1, now=now)
        contact.save()
    return contact


def contact_set_authorised(
    *, contact: Contact, is_authorised: bool, actor: str, now: datetime
) -> Contact:
    """Make a contact authorised to open billable requests, or not; the plan limits how many."""
    with transaction.atomic():
        # The customer's row serialises authorisations, so two at once cannot both pass.
        Customer.objects.select_for_update().get(pk=contact.customer_id)
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if is_authorised and not locked.is_authorised:
            others = (
                Contact.objects.filter(customer_id=locked.customer_id, is_authorised=True)
                .exclude(pk=locked.pk)
                .count()
            )
            authorised_contacts_check(
                customer=locked.customer, authorised_count=others + 1, now=now
            )
        locked.is_authorised = is_authorised
        locked.save(update_fields=["is_authorised", "updated_at"])
    contact.is_authorised = is_authorised
    return contact
