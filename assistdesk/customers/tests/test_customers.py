"""Customers and contacts: support PIN, validation, the authorised-contacts limit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from assistdesk.catalog.tests.factories import ticket_plan
from assistdesk.contracts.services import contract_create, contract_end
from assistdesk.customers import services
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.selectors import contacts_authorised, customer_support_pin_matches
from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def errors(call: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        call(**kwargs)
    return raised.value.message_dict


def test_a_customer_is_created_with_what_invoicing_and_travel_need() -> None:
    customer = services.customer_create(
        key="acme",
        name="Acme Distributie S.R.L.",
        country="RO",
        language="ro",
        currency="RON",
        vat_rate=Decimal("21"),
        workstations=4,
        is_in_town=False,
        is_part_approval_required=True,
        actor="staff",
        now=NOW,
    )
    assert customer.pk and not customer.is_in_town and customer.is_part_approval_required


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"vat_rate": None}, "vat_rate", "vat_rate: required unless VAT is reverse charged"),
        ({"is_vat_reverse_charge": True}, "vat_rate", "vat_rate: leave it empty under reverse"),
        ({"country": "Romania"}, "country", "Ensure this value has at most 2 characters"),
        ({"country": "ro"}, "country", "country: a two-letter upper-case code"),
        ({"currency": "lei"}, "currency", "currency: an ISO 4217 code"),
        ({"language": "de"}, "language", "Value 'de' is not a valid choice."),
    ],
)
def test_a_wrong_customer_field_is_named(changes: dict[str, Any], field: str, message: str) -> None:
    kwargs: dict[str, Any] = {"key": "acme", "name": "Acme", "country": "RO", "currency": "RON",
                              "vat_rate": Decimal("21"), "actor": "staff", "now": NOW}  # fmt: skip
    found = errors(services.customer_create, **(kwargs | changes))
    assert any(m.startswith(message) for m in found[field]), found
    assert not Customer.objects.exists()


def test_reverse_charge_customer_has_no_vat_rate() -> None:
    customer = services.customer_create(
        key="atelier", name="Atelier", country="FR", currency="EUR", is_vat_reverse_charge=True,
        actor="staff", now=NOW,
    )  # fmt: skip
    assert customer.vat_rate is None


def test_the_support_pin_is_stored_hashed_and_checked() -> None:
    customer = CustomerFactory()
    services.customer_set_support_pin(customer=customer, pin="482913", actor="staff", now=NOW)

    customer.refresh_from_db()
    assert customer.has_support_pin
    assert "482913" not in customer.support_pin_hash
    assert customer.support_pin_hash.startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt", "md5"))
    assert customer_support_pin_matches(customer=customer, pin="482913")
    assert not customer_support_pin_matches(customer=customer, pin="482914")
    assert not customer_support_pin_matches(customer=CustomerFactory(), pin="482913")


@pytest.mark.parametrize("pin", ["12345", "1234567", "12a456", "", "١٢٣٤٥٦"])
def test_a_support_pin_is_six_digits(pin: str) -> None:
    customer = CustomerFactory()
    found = errors(
        services.customer_set_support_pin, customer=customer, pin=pin, actor="s", now=NOW
    )
    assert found == {"support_pin": ["support_pin: exactly 6 digits"]}
    customer.refresh_from_db()
    assert not customer.has_support_pin


def test_the_plan_limits_authorised_contacts_and_the_error_names_the_field() -> None:
    # Seed 004, Tip 0: "o singura persoana de contact"
    customer = CustomerFactory()
    contract_create(customer=customer, plan=ticket_plan(authorised_contacts_limit=1),
                    start_on=date(2026, 1, 1), actor="staff", now=NOW)  # fmt: skip
    first = services.contact_create(
        customer=customer, name="Ion", is_authorised=True, actor="staff", now=NOW
    )
    second = ContactFactory(customer=customer)

    found = errors(
        services.contact_set_authorised, contact=second, is_authorised=True, actor="s", now=NOW
    )
    assert found == {
        "is_authorised": [
            f"is_authorised: the plan allows 1 authorised contact and {customer} would have 2"
        ]
    }
    assert list(contacts_authorised(customer=customer)) == [first]
    found = errors(services.contact_create, customer=customer, name="Maria", is_authorised=True,
                   actor="staff", now=NOW)  # fmt: skip
    assert "is_authorised" in found
    assert Contact.objects.filter(customer=customer).count() == 2

    # Swapping who is authorised works: one out, the other in.
    services.contact_set_authorised(contact=first, is_authorised=False, actor="s", now=NOW)
    services.contact_set_authorised(contact=second, is_authorised=True, actor="s", now=NOW)
    assert list(contacts_authorised(customer=customer)) == [second]


def test_without_a_contract_in_force_there_is_no_limit() -> None:
    customer = CustomerFactory()
    contract = contract_create(customer=customer, plan=ticket_plan(authorised_contacts_limit=1),
                               start_on=date(2025, 1, 1), actor="staff", now=NOW)  # fmt: skip
    contract_end(contract=contract, last_on=date(2025, 12, 31), actor="staff", now=NOW)
    for name in ("A", "B", "C"):
        services.contact_create(customer=customer, name=name, is_authorised=True,
                                actor="staff", now=NOW)  # fmt: skip
    assert contacts_authorised(customer=customer).count() == 3


def test_the_customer_admin_enforces_the_limit_on_the_contacts_inline(
    admin_client: Client, settings: Any
) -> None:
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    customer = CustomerFactory()
    contract_create(customer=customer, plan=ticket_plan(authorised_contacts_limit=1),
                    start_on=date(2026, 1, 1), actor="staff", now=datetime.now(UTC))  # fmt: skip
    data = {
        "key": customer.key, "name": customer.name, "vat_id": "", "country": "RO",
        "language": "ro", "currency": "RON", "vat_rate": "21", "workstations": "4",
        "is_in_town": "on", "new_support_pin": "730146",
        "sites-TOTAL_FORMS": "0", "sites-INITIAL_FORMS": "0",
        "contacts-TOTAL_FORMS": "2", "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Ion", "contacts-0-is_authorised": "on", "contacts-0-is_requester": "on",
        "contacts-1-name": "Maria", "contacts-1-is_authorised": "on",
    }  # fmt: skip
    url = f"/admin/customers/customer/{customer.pk}/change/"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "the plan allows 1 authorised contact" in response.content.decode()
    assert not Contact.objects.exists()
    del data["contacts-1-is_authorised"]
    assert admin_client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert customer.check_support_pin("730146")
    assert contacts_authorised(customer=customer).count() == 1
