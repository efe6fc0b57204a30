"""The queue page: §2.4 order, filters, search, pagination, htmx partial, query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from assistdesk.accounts.roles import Role
from assistdesk.common import clock
from assistdesk.console.tests.builders import Desk, desk, email_ticket, staff
from assistdesk.tickets import services
from assistdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db
QUEUE = reverse("console:queue")


@pytest.fixture
def farmacia() -> Desk:
    return desk(now=clock.now())


@pytest.fixture
def dispatcher_client(client: Client) -> Client:
    client.force_login(staff(Role.DISPATCHER))
    return client


def rows(response: object) -> list[str]:
    return [t.reference for t in response.context["page"].object_list]  # type: ignore[attr-defined]


def test_the_queue_needs_a_signed_in_staff_member(client: Client, farmacia: Desk) -> None:
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    contact_user = staff(Role.TECHNICIAN, "former")
    contact_user.is_staff = False
    contact_user.save()
    client.force_login(contact_user)
    assert client.get(QUEUE).status_code == 403


def test_queue_in_design_order_with_countdowns(dispatcher_client: Client, farmacia: Desk) -> None:
    now = clock.now()
    low = email_ticket(farmacia, now=now, subject="Toner low", severity=3, ago=timedelta(hours=2))
    blocking = email_ticket(farmacia, now=now, subject="Server down", severity=1)
    medium = email_ticket(farmacia, now=now, subject="Slow VPN", severity=2)
    response = dispatcher_client.get(QUEUE)
    assert response.status_code == 200
    assert rows(response) == [blocking.reference, medium.reference, low.reference]
    page = response.content.decode()
    assert 'class="sla sla-' in page and "data-due=" in page
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_filters_and_search(dispatcher_client: Client, farmacia: Desk) -> None:
    now = clock.now()
    other = desk(now=now, key="studio", name="Studio Legale Neri")
    printer = email_ticket(farmacia, now=now, subject="Printer offline")
    vpn = email_ticket(other, now=now, subject="VPN drops", severity=1)
    tech = staff(Role.TECHNICIAN, "marco")
    services.ticket_assign(
        ticket=vpn, assignee=tech, actor_user=staff(Role.DISPATCHER, "boss"), now=now
    )

    def get(**params: object) -> list[str]:
        return rows(dispatcher_client.get(QUEUE, params))

    assert get(customer=farmacia.customer.pk) == [printer.reference]
    assert get(assignee=tech.pk) == [vpn.reference]
    assert get(assignee="none") == [printer.reference]
    assert get(state="assigned") == [vpn.reference]
    assert get(severity=1) == [vpn.reference]
    assert get(origin="phone") == []
    assert get(q="printer") == [printer.reference]
    assert get(q=printer.reference) == [printer.reference]
    assert get(q=str(vpn.number)) == [vpn.reference]
    assert get(customer="not-a-number") == sorted(
        [printer.reference, vpn.reference], key=lambda r: r != vpn.reference
    )


def test_breached_filter(dispatcher_client: Client, farmacia: Desk) -> None:
    now = clock.now()
    fresh = email_ticket(farmacia, now=now, subject="Fresh")
    late = email_ticket(farmacia, now=now, subject="Late", ago=timedelta(days=10))
    assert fresh.next_due_at is not None and fresh.next_due_at > now
    assert late.next_due_at is not None and late.next_due_at < now
    assert rows(dispatcher_client.get(QUEUE, {"breached": "on"})) == [late.reference]


def test_htmx_gets_only_the_results(dispatcher_client: Client, farmacia: Desk) -> None:
    email_ticket(farmacia, now=clock.now())
    response = dispatcher_client.get(
        QUEUE, {"q": "printer"}, headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="queue-results"')
    assert "<html" not in page
    assert 'hx-get="/console/?q=printer"' in page


def test_pages_of_fifty(dispatcher_client: Client, farmacia: Desk) -> None:
    from assistdesk.tickets.tests.factories import TicketFactory

    TicketFactory.create_batch(55, customer=farmacia.customer)
    first = dispatcher_client.get(QUEUE)
    assert len(rows(first)) == 50 and first.context["page"].paginator.count == 55
    second = dispatcher_client.get(QUEUE, {"page": 2})
    assert len(rows(second)) == 5
    assert "page=2" in first.content.decode()


def test_constant_number_of_queries(
    dispatcher_client: Client, farmacia: Desk, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """Three tickets or forty, with targets, filters and search: the same ten queries
    (session, user, two for permissions, roles, staff, customers, count, rows, targets)."""
    now = clock.now()
    params = {"q": "print", "breached": "", "severity": "3"}
    for n in range(3):
        email_ticket(farmacia, now=now, subject=f"Printer {n}")
    dispatcher_client.get(QUEUE, params)  # warm the session and the calendar cache
    with django_assert_num_queries(10) as few:
        assert len(rows(dispatcher_client.get(QUEUE, params))) == 3
    for n in range(37):
        email_ticket(farmacia, now=now, subject=f"Printer {n + 3}")
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(rows(dispatcher_client.get(QUEUE, params))) == 40
    assert Ticket.objects.count() == 40
