"""A small world for the API tests, built through the real services.

Two companies under seed 001's annual contract (Rome office calendar): `acme` and
`bravo`, each with an authorised contact and an open ticket; a remote package plan.
Tokens: a dispatcher's (every scope), an integration's (every scope), and one scoped to
`acme`. Clients send `Authorization: Bearer ...` and JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import LazySettings
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from assistdesk.api.models import ApiToken
from assistdesk.api.tokens import api_token_create
from assistdesk.catalog.models import Plan
from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.common import clock
from assistdesk.contracts.models import Contract
from assistdesk.contracts.services import contract_create
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.services import contact_create, customer_create
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.services import ticket_create
from assistdesk.tickets.tests.factories import ROME_OFFICE, plan_spec

ACTOR = "test"
PACKAGE_PLAN = {
    "key": "remote12",
    "currency": "EUR",
    "calendar": "office",
    "rates": {
        "remote": {"activity": "support", "mode": "remote", "price": "45", "per_minutes": 60}
    },
    "package": {"mode": "remote", "hours": 12, "validity_months": 12, "price": "540"},
}


@dataclass
class Company:
    customer: Customer
    contract: Contract
    contact: Contact
    ticket: Ticket


@dataclass
class World:
    plan: Plan
    package: Plan
    acme: Company
    bravo: Company
    dispatcher: User
    technician: User


def company(key: str, plan: Plan) -> Company:
    now = clock.now()
    customer = customer_create(
        key=key,
        name=f"{key.title()} S.p.A.",
        country="IT",
        currency="EUR",
        language="it",
        vat_rate=Decimal("22"),
        actor=ACTOR,
        now=now,
    )
    contract = contract_create(
        customer=customer,
        plan=plan,
        start_on=(now - timedelta(days=60)).date(),
        actor=ACTOR,
        now=now,
    )
    contact = contact_create(
        customer=customer,
        name=f"Anna {key.title()}",
        email=f"anna@{key}.example",
        is_authorised=True,
        actor=ACTOR,
        now=now,
    )
    ticket = ticket_create(
        customer=customer,
        requester=contact,
        origin="email",
        subject=f"{key}: printer offline",
        body="The printer on the second floor is offline.",
        severity=2,
        actor=ACTOR,
        now=now,
    )
    return Company(customer, contract, contact, ticket)


@pytest.fixture
def world(db: None) -> World:
    now = clock.now()
    _, plans = catalog_load_from_spec(
        spec={"calendars": {"office": ROME_OFFICE}, "plans": [plan_spec(), PACKAGE_PLAN]},
        actor=ACTOR,
        now=now,
    )
    dispatcher = User.objects.create_user("dora", is_staff=True)
    dispatcher.user_permissions.add(Permission.objects.get(codename="dispatch_ticket"))
    technician = User.objects.create_user("tom", is_staff=True)
    return World(
        plan=plans["annual"],
        package=plans["remote12"],
        acme=company("acme", plans["annual"]),
        bravo=company("bravo", plans["annual"]),
        dispatcher=User.objects.get(pk=dispatcher.pk),
        technician=technician,
    )


def client_for(plaintext: str) -> APIClient:
    client = APIClient(HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    client.default_format = "json"
    return client


MakeToken = Callable[..., tuple[ApiToken, APIClient]]


@pytest.fixture
def make_token(world: World) -> MakeToken:
    def make(scopes: str = "all", **kwargs: Any) -> tuple[ApiToken, APIClient]:
        token, plaintext = api_token_create(
            name=kwargs.pop("name", "test"), scopes=scopes, actor=ACTOR, now=clock.now(), **kwargs
        )
        return token, client_for(plaintext)

    return make


@pytest.fixture
def staff(make_token: MakeToken, world: World) -> APIClient:
    """The dispatcher's own token, every scope."""
    return make_token(user=world.dispatcher, name="dora's scripts")[1]


@pytest.fixture
def integration(make_token: MakeToken) -> APIClient:
    return make_token(name="rmm bridge")[1]


@pytest.fixture
def acme(make_token: MakeToken, world: World) -> APIClient:
    """A token of acme's: sees acme only."""
    return make_token(customer=world.acme.customer, name="acme portal")[1]


@pytest.fixture(autouse=True)
def media_root(settings: LazySettings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def errors(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert set(body) == {"errors"}, body
    return list(body["errors"])


def fields(response: Any) -> list[str | None]:
    return [e["field"] for e in errors(response)]
