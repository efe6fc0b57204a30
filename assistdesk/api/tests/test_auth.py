"""Tokens: bearer auth, scopes, revocation, the customer scope, the management command."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from assistdesk.api.models import ApiToken
from assistdesk.api.tests.conftest import MakeToken, World, client_for, errors
from assistdesk.api.tokens import api_token_create, api_token_revoke
from assistdesk.common import clock


def test_no_token_is_401_with_a_challenge(world: World) -> None:
    response = APIClient(HTTP_HOST="localhost").get("/api/v1/tickets")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert errors(response) == [
        {"field": None, "message": "Authentication credentials were not provided.",
         "code": "not_authenticated"}
    ]  # fmt: skip


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer ad_nope_nope", "Bearer", "Bearer a b", "Token ad_x_y"],
)
def test_a_wrong_token_is_401(world: World, header: str) -> None:
    client = APIClient(HTTP_HOST="localhost", HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/tickets")
    assert response.status_code == 401
    assert errors(response)[0]["code"] == "authentication_failed"


def test_the_right_prefix_with_a_wrong_secret_is_401(make_token: MakeToken) -> None:
    token, _ = make_token()
    response = client_for(f"ad_{token.prefix}_{'x' * 43}").get("/api/v1/tickets")
    assert response.status_code == 401


def test_only_a_digest_is_stored_and_last_use_is_recorded(world: World) -> None:
    token, plaintext = api_token_create(
        name="rmm", scopes="tickets:read", actor="test", now=clock.now()
    )
    secret = plaintext.split("_", 2)[2]  # the secret itself may hold underscores
    assert secret and secret not in token.secret_hash
    assert token.last_used_at is None
    assert client_for(plaintext).get("/api/v1/tickets").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(make_token: MakeToken) -> None:
    token, client = make_token()
    assert client.get("/api/v1/tickets").status_code == 200
    api_token_revoke(token=token, actor="test", now=clock.now())
    assert client.get("/api/v1/tickets").status_code == 401


def test_a_token_of_a_staff_member_who_left_is_refused(make_token: MakeToken, world: World) -> None:
    _, client = make_token(user=world.technician)
    world.technician.is_active = False
    world.technician.save()
    assert client.get("/api/v1/tickets").status_code == 401


def test_each_view_asks_for_its_scope(make_token: MakeToken) -> None:
    _, reader = make_token("tickets:read")
    assert reader.get("/api/v1/tickets").status_code == 200
    denied = reader.post("/api/v1/tickets", {"customer": "acme", "subject": "x"})
    assert denied.status_code == 403
    assert "tickets:write" in errors(denied)[0]["message"]
    for path in ("/api/v1/customers", "/api/v1/plans", "/api/v1/invoices", "/api/v1/contracts"):
        assert reader.get(path).status_code == 403, path


def test_scopes_are_checked_when_a_token_is_made(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        api_token_create(name="x", scopes="tickets:read,tickets:fly", actor="t", now=clock.now())
    assert "scopes" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        api_token_create(
            name="x", scopes="customers:write", customer=world.acme.customer, actor="t",
            now=clock.now(),
        )  # fmt: skip
    assert "customer-scoped" in error.value.message_dict["scopes"][0]
    with pytest.raises(ValidationError):
        api_token_create(name=" ", scopes="all", actor="t", now=clock.now())


def test_a_customer_token_with_all_gets_the_customer_scopes_only(
    make_token: MakeToken, world: World
) -> None:
    token, _ = make_token(customer=world.acme.customer)
    assert "customers:write" not in token.scopes
    assert "tickets:write" in token.scopes


def test_the_command_creates_lists_and_revokes(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "apitoken", "create", "--name", "acme rmm", "--scopes", "tickets:read,tickets:write",
        "--customer", "acme",
    )  # fmt: skip
    out, err = capsys.readouterr()
    plaintext = out.strip()
    assert "Shown once" in err
    token = ApiToken.objects.get(name="acme rmm")
    assert token.customer == world.acme.customer
    assert token.scopes == ["tickets:read", "tickets:write"]
    listed = client_for(plaintext).get("/api/v1/tickets").json()
    assert [t["customer"] for t in listed["results"]] == ["acme"]

    call_command("apitoken", "create", "--name", "dora", "--scopes", "all", "--user", "dora")
    assert ApiToken.objects.get(name="dora").user == world.dispatcher
    capsys.readouterr()
    call_command("apitoken", "list")
    assert "acme rmm" in capsys.readouterr().out

    call_command("apitoken", "revoke", token.prefix)
    assert client_for(plaintext).get("/api/v1/tickets").status_code == 401
    with pytest.raises(CommandError, match="--customer"):
        call_command("apitoken", "create", "--name", "x", "--scopes", "all", "--customer", "zz")
    with pytest.raises(CommandError, match="scopes"):
        call_command("apitoken", "create", "--name", "x", "--scopes", "tickets:fly")
