"""Isolation: a contact of company A requests EVERY portal URL with the ids of company
B's objects. Each answer is the same 404 as for an id that does not exist (same status,
same body), and B's data is unchanged afterwards. Pages without ids show nothing of B.

The URLs come from the portal's URLconf itself, so a URL added tomorrow is tried too; a
URL whose id this test does not know fails the test until it is added to `ids_of_b`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from assistdesk.billing.models import Invoice, Statement
from assistdesk.portal import urls as portal_urls
from assistdesk.portal.tests.conftest import World
from assistdesk.tickets.models import Attachment, Intervention, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout"}  # the only portal URLs that are not `portal_view`s
# What a write would send: valid data, so that only the scoping can refuse it.
POST_DATA = {
    "body": "from company A",
    "reason": "from company A",
    "subject": "from company A",
    "severity": "3",
}


def patterns() -> list[URLPattern]:
    found = [p for p in portal_urls.urlpatterns if isinstance(p, URLPattern)]
    assert len(found) == len(portal_urls.urlpatterns), "nested includes: walk them too"
    return found


def ids_of_b(world: World) -> dict[str, list[int]]:
    """Every id of company B that a portal URL parameter may name."""
    b = world.b
    return {
        "number": [b.open_ticket.number, b.resolved_ticket.number, b.closed_ticket.number],
        "intervention_id": [b.intervention.pk],
        "attachment_id": [b.attachment.pk, b.note_attachment.pk],
        "statement_id": [b.statement.pk],
        "invoice_id": [b.invoice.pk],
    }


def missing_ids() -> dict[str, int]:
    """An id of each kind that nobody has."""
    last: dict[str, Callable[[], int]] = {
        "number": lambda: max(Ticket.objects.values_list("number", flat=True)),
        "intervention_id": lambda: max(Intervention.objects.values_list("pk", flat=True)),
        "attachment_id": lambda: max(Attachment.objects.values_list("pk", flat=True)),
        "statement_id": lambda: max(Statement.objects.values_list("pk", flat=True)),
        "invoice_id": lambda: max(Invoice.objects.values_list("pk", flat=True)),
    }
    return {name: find() + 1000 for name, find in last.items()}


def state_of_b(world: World) -> list[Any]:
    customer = world.b.customer
    return [
        list(Ticket.objects.filter(customer=customer).values_list("pk", "state", "closed_at")),
        Message.objects.filter(ticket__customer=customer).count(),
        TicketEvent.objects.filter(ticket__customer=customer).count(),
        Attachment.objects.filter(message__ticket__customer=customer).count(),
    ]


def call(client: Client, method: str, url: str) -> Any:
    if method == "POST":
        return client.post(url, POST_DATA)
    return client.generic(method, url)


def normalised(response: Any, url: str) -> tuple[int, bytes]:
    """Status and body, with the requested path taken out (a 404 page may echo it)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body.replace(url.encode(), b"<url>")


def test_every_portal_view_is_scoped(world: World) -> None:
    for pattern in patterns():
        if pattern.name in PUBLIC:
            continue
        assert hasattr(pattern.callback, "portal_methods"), (
            f"portal:{pattern.name} is not a scoping.portal_view"
        )


def test_ids_of_another_company_answer_exactly_like_ids_that_do_not_exist(
    alfa: Client, world: World
) -> None:
    known = ids_of_b(world)
    missing = missing_ids()
    before = state_of_b(world)
    tried = 0
    for pattern in patterns():
        params = list(pattern.pattern.converters)
        if not params:
            continue
        unknown = [p for p in params if p not in known]
        assert not unknown, f"portal:{pattern.name}: add {unknown} to ids_of_b"
        assert len(params) == 1, f"portal:{pattern.name}: combine the ids of several params"
        param = params[0]
        methods = pattern.callback.portal_methods  # type: ignore[attr-defined]
        for method in methods:
            absent_url = reverse(f"portal:{pattern.name}", kwargs={param: missing[param]})
            absent = normalised(call(alfa, method, absent_url), absent_url)
            assert absent[0] == 404, f"{method} {absent_url} answered {absent[0]}"
            for other in known[param]:
                url = reverse(f"portal:{pattern.name}", kwargs={param: other})
                answer = normalised(call(alfa, method, url), url)
                assert answer == absent, f"{method} {url} differs from an id that does not exist"
                tried += 1
    assert tried >= 10
    assert state_of_b(world) == before


def test_pages_without_ids_show_nothing_of_another_company(alfa: Client, world: World) -> None:
    b = world.b
    secrets = [
        b.customer.name,
        b.authorised.name,
        b.open_ticket.subject,
        b.resolved_ticket.subject,
        b.closed_ticket.subject,
        b.invoice.number,
        reverse("portal:ticket", args=[b.open_ticket.number]),
        reverse("portal:statement-pdf", args=[b.statement.pk]),
        reverse("portal:report-pdf", args=[b.intervention.pk]),
    ]
    for pattern in patterns():
        if pattern.pattern.converters or pattern.name in PUBLIC:
            continue
        url = reverse(f"portal:{pattern.name}")
        for query in ({}, {"state": "all"}, {"state": "closed"}):
            response = alfa.get(url, query)
            assert response.status_code == 200, url
            body = response.content.decode()
            for secret in secrets:
                assert secret not in body, f"{url} shows {secret!r} of company B"
