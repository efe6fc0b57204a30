"""Every portal page for a signed-in contact: what it shows of their company, never of
another (each test has its cross-customer denial case), and how many queries a list
costs whatever its length."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from assistdesk.billing.models import BillingPeriod, Invoice
from assistdesk.customers.tests.factories import ContactFactory
from assistdesk.portal.tests.conftest import PASSWORD, World, at, signed_in
from assistdesk.tickets import services
from assistdesk.tickets.tests.factories import open_ticket

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return response.content.decode()


# --- sign-in ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_portal_login(client: Client, world: World) -> None:
    response = client.get(reverse("portal:tickets"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login") + "?next=")


def test_a_contact_signs_in_and_lands_home_in_the_contact_language(
    client: Client, world: World
) -> None:
    page = client.get(reverse("portal:login"))
    assert page.status_code == 200
    response = client.post(reverse("portal:login"), {"username": "alfa-boss", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    # customer_with_contract makes Italian customers: the page follows the contact.
    assert response.cookies["django_language"].value == "it"
    home = client.get(reverse("portal:home"))
    assert "Ciao, Alfa Authorised" in text(home)


def test_staff_cannot_use_the_portal(client: Client, world: World) -> None:
    User.objects.create_user(username="tech", password=PASSWORD, is_staff=True)
    refused = client.post(reverse("portal:login"), {"username": "tech", "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    # Signed in elsewhere (console), a staff user gets a page saying what the portal is for.
    client.force_login(User.objects.get(username="tech"))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 403
    assert "Alfa" not in text(response) and "Beta" not in text(response)


def test_a_user_without_a_contact_is_not_a_portal_user(client: Client, world: World) -> None:
    client.force_login(User.objects.create_user(username="nobody", password=PASSWORD))
    assert client.get(reverse("portal:tickets")).status_code == 403


# --- home ----------------------------------------------------------------------------------------


def test_home_shows_open_tickets_allowances_and_the_contract(alfa: Client, world: World) -> None:
    body = text(alfa.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en"))
    assert world.a.open_ticket.reference in body
    assert world.a.resolved_ticket.reference in body  # waits for confirmation
    assert world.a.closed_ticket.reference not in body
    assert "Expert" in body
    # denial: nothing of company B
    for ticket in (world.b.open_ticket, world.b.resolved_ticket):
        assert ticket.reference not in body
    assert "beta" not in body.lower()


def test_home_asks_to_confirm_resolved_tickets(alfa: Client, world: World) -> None:
    alfa.cookies["django_language"] = "en"
    body = text(alfa.get(reverse("portal:home")))
    assert "resolved and waits for you" in body
    assert reverse("portal:ticket", args=[world.a.resolved_ticket.number]) in body


# --- tickets list -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "shown", "hidden"),
    [
        ("open", ["open_ticket", "resolved_ticket"], ["closed_ticket"]),
        ("resolved", ["resolved_ticket"], ["open_ticket", "closed_ticket"]),
        ("closed", ["closed_ticket"], ["open_ticket", "resolved_ticket"]),
        ("all", ["open_ticket", "resolved_ticket", "closed_ticket"], []),
    ],
)
def test_ticket_list_filters_by_state(
    alfa: Client, world: World, state: str, shown: list[str], hidden: list[str]
) -> None:
    body = text(alfa.get(reverse("portal:tickets"), {"state": state}))
    for name in shown:
        assert getattr(world.a, name).reference in body
    for name in hidden:
        assert getattr(world.a, name).reference not in body
    for name in ("open_ticket", "resolved_ticket", "closed_ticket"):
        assert getattr(world.b, name).reference not in body  # denial


def test_ticket_search_by_subject_and_number_stays_in_the_company(
    alfa: Client, world: World
) -> None:
    by_subject = text(alfa.get(reverse("portal:tickets"), {"state": "all", "q": "printer"}))
    assert world.a.open_ticket.reference in by_subject
    assert world.a.closed_ticket.reference not in by_subject
    # B's number typed in the search box finds nothing
    by_number = text(
        alfa.get(reverse("portal:tickets"), {"state": "all", "q": world.b.open_ticket.reference})
    )
    assert reverse("portal:ticket", args=[world.b.open_ticket.number]) not in by_number
    assert 'class="list"' not in by_number  # no row at all


def test_ticket_list_answers_htmx_with_the_rows_only(alfa: Client, world: World) -> None:
    response = alfa.get(reverse("portal:tickets"), {"state": "all"}, HTTP_HX_REQUEST="true")
    body = text(response)
    assert "<html" not in body
    assert world.a.closed_ticket.reference in body
    assert world.b.closed_ticket.reference not in body


def test_ticket_list_query_count_does_not_grow_with_the_list(
    alfa: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        open_ticket(
            world.a.customer,
            requester=world.a.authorised,
            received_at=at("2026-04-15 09:00"),
            subject=f"bulk {n}",
        )
    with django_assert_max_num_queries(8):
        response = alfa.get(reverse("portal:tickets"), {"state": "all"})
    assert response.status_code == 200
    assert "bulk 29" in text(response)


# --- contract and allowances -----------------------------------------------------------------


def test_contract_page_shows_granted_used_left_and_expiring(alfa: Client, world: World) -> None:
    alfa.cookies["django_language"] = "en"
    body = text(alfa.get(reverse("portal:contract")))
    assert "Expert" in body
    # April's 300 included minutes; the closed ticket used 60 (two 30-minute tickets).
    assert "Included in April 2026" in body
    assert "4 h" in body and "5 h" in body and "1 h" in body
    # the 12-hour package bought on 1 May 2025 expires on 1 May 2026: within 30 days
    assert "Prepaid package, remote" in body
    assert "12 h" in body
    assert "expiring soon" in body
    assert "First written answer within 6 working hours" in body
    assert "beta" not in body.lower()  # denial


def test_home_and_contract_cost_a_bounded_number_of_queries(
    alfa: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(14):
        assert alfa.get(reverse("portal:home")).status_code == 200
    with django_assert_max_num_queries(14):
        assert alfa.get(reverse("portal:contract")).status_code == 200


# --- languages and documents ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words", "amount", "day"),
    [
        ("en", "Contract and hours", "1,506.09 EUR", "April 1, 2026"),
        ("it", "Contratto e ore", "1.506,09 EUR", "1 aprile 2026"),
        ("fr", "Contrat et heures", "1\u00a0506,09 EUR", "1 avril 2026"),
        ("ro", "Contract și ore", "1.506,09 EUR", "1 aprilie 2026"),
    ],
)
def test_pages_speak_the_chosen_language_with_its_dates_and_money(
    alfa: Client, world: World, language: str, words: str, amount: str, day: str
) -> None:
    response = alfa.post(
        reverse("set_language"), {"language": language, "next": reverse("portal:invoices")}
    )
    assert response.status_code == 302
    body = text(alfa.get(reverse("portal:invoices")))
    assert words in body
    assert amount in body
    contract = text(alfa.get(reverse("portal:contract")))
    assert day in contract


def test_statements_list_and_download(alfa: Client, world: World) -> None:
    body = text(alfa.get(reverse("portal:statements")))
    assert reverse("portal:statement-pdf", args=[world.a.statement.pk]) in body
    assert reverse("portal:statement-pdf", args=[world.b.statement.pk]) not in body
    pdf = alfa.get(reverse("portal:statement-pdf", args=[world.a.statement.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_invoices_list_and_download(alfa: Client, world: World) -> None:
    body = text(alfa.get(reverse("portal:invoices")))
    assert world.a.invoice.number in body
    assert world.b.invoice.number not in body
    pdf = alfa.get(reverse("portal:invoice-pdf", args=[world.a.invoice.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_invoices_are_for_accounting_and_authorised_contacts(client: Client, world: World) -> None:
    reader = signed_in(client, world.a.others["reader"])
    reader.cookies["django_language"] = "en"
    body = text(reader.get(reverse("portal:invoices")))
    assert world.a.invoice.number not in body
    assert "Alfa Accounting" in body  # whom to ask
    # the PDF of the company's own invoice is then the same 404 as any other
    assert reader.get(reverse("portal:invoice-pdf", args=[world.a.invoice.pk])).status_code == 404


def test_invoice_statement_and_report_lists_cost_bounded_queries(
    alfa: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    for name in ("portal:invoices", "portal:statements", "portal:reports"):
        with django_assert_max_num_queries(8):
            assert alfa.get(reverse(name)).status_code == 200


def test_reports_list_query_count_does_not_grow_with_the_list(
    alfa: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    ticket = world.a.open_ticket
    for n in range(12):
        start = at("2026-04-15 09:00") + timedelta(minutes=5 * n)
        services.intervention_log(
            ticket=ticket,
            mode="remote",
            activity="support",
            start_at=start,
            end_at=start + timedelta(minutes=4),
            actor="user:1",
            now=at("2026-04-15 11:00"),
        )
    with django_assert_max_num_queries(8):
        response = alfa.get(reverse("portal:reports"))
    assert text(response).count(reverse("portal:ticket", args=[ticket.number])) == 12


def test_an_invoice_without_a_stored_pdf_is_rendered_from_its_rows(
    alfa: Client, world: World
) -> None:
    period = BillingPeriod.objects.create(
        key="2026-02", starts_on=date(2026, 2, 1), ends_on=date(2026, 2, 28)
    )
    bare = Invoice.objects.create(
        customer=world.a.customer,
        period=period,
        series="T",
        year=2026,
        sequence=99,
        number="T-2026-0099",
        issued_on=date(2026, 3, 1),
        issued_at=at("2026-03-01 06:00"),
        actor="test",
        customer_name=world.a.customer.name,
        customer_country="IT",
        language="it",
        currency="EUR",
        net_amount=Decimal("10.00"),
        vat_amount=Decimal("2.20"),
        total_amount=Decimal("12.20"),
        vat_rate=Decimal("22"),
    )
    pdf = alfa.get(reverse("portal:invoice-pdf", args=[bare.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_reports_list_and_pdf(alfa: Client, world: World) -> None:
    body = text(alfa.get(reverse("portal:reports")))
    url = reverse("portal:report-pdf", args=[world.a.intervention.pk])
    assert url in body
    assert reverse("portal:report-pdf", args=[world.b.intervention.pk]) not in body
    pdf = alfa.get(url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_second_contact_of_the_same_company_sees_the_same_tickets(
    client: Client, world: World
) -> None:
    colleague = ContactFactory(customer=world.a.customer, name="Colleague")
    colleague.user = User.objects.create_user(username="colleague", password=PASSWORD)
    colleague.save()
    body = text(signed_in(client, colleague).get(reverse("portal:tickets"), {"state": "all"}))
    assert world.a.open_ticket.reference in body
    assert world.b.open_ticket.reference not in body


# --- what the browser may run --------------------------------------------------------------


def test_pages_forbid_inline_code_and_carry_none(client: Client, world: World) -> None:
    """The portal shows what strangers wrote: a CSP runs only our own files, and no page
    relies on inline scripts, handlers or styles (they would be blocked)."""
    pages = [reverse("portal:login")]
    signed_in(client, world.a.authorised)
    pages += [
        reverse(name)
        for name in (
            "portal:home",
            "portal:contract",
            "portal:tickets",
            "portal:ticket-new",
            "portal:reports",
            "portal:statements",
            "portal:invoices",
        )
    ]
    pages += [reverse("portal:ticket", args=[world.a.resolved_ticket.number])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        body = text(response)
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), url
        assert not re.search(r"\son[a-z]+\s*=", body), url
        assert "style=" not in body, url


def test_the_portal_login_is_throttled_like_the_staff_login(client: Client, world: World) -> None:
    url = reverse("portal:login")
    for _ in range(5):
        client.post(url, {"username": "alfa-boss", "password": "wrong"})
    refused = client.post(url, {"username": "alfa-boss", "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Too many failed logins" in text(refused)
    # another company's contact, from the same address, is not locked by it
    other = client.post(url, {"username": "beta-boss", "password": PASSWORD})
    assert other.status_code == 302


def test_a_contact_signed_in_elsewhere_gets_their_language_on_the_first_portal_page(
    client: Client, world: World
) -> None:
    """Signed in through /accounts/login/ (no language chosen yet): the contact's."""
    signed_in(client, world.a.authorised)
    first = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Ciao, Alfa Authorised" in text(first)
    assert first.cookies["django_language"].value == "it"
    # a choice made afterwards is kept
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("portal:home")})
    assert "Bonjour, Alfa Authorised" in text(client.get(reverse("portal:home")))
