"""The served OpenAPI schema, the docs page, and schemathesis against both.

schemathesis loads `/api/v1/openapi.json` from the WSGI application in-process, generates
requests for every operation from the schema (valid ones, then invalid ones), sends them
with a dispatcher's token and checks each answer: never a server error, always the
schema's shape for its status. The run is bounded (examples per operation) so it ends
in well under a minute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from assistdesk.api.tests.conftest import MakeToken, World

EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}


def test_the_schema_is_served_as_openapi_3(world: World) -> None:
    response = APIClient(HTTP_HOST="localhost").get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    paths = schema["paths"]
    assert all(path.startswith("/api/v1/") for path in paths)
    assert {"get", "post"} <= set(paths["/api/v1/tickets"])
    # The channels' endpoints under /api/v1/ are documented in the same schema.
    assert "/api/v1/ivr/pin" in paths
    assert any(path.startswith("/api/v1/alerts/alertmanager/") for path in paths)
    post = paths["/api/v1/tickets/{number}/transitions"]["post"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])


def test_the_docs_page_loads_nothing_from_outside(world: World) -> None:
    client = APIClient(HTTP_HOST="localhost")
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/v1/openapi.json" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assets = re.findall(r"/api/v1/docs/assets/[\w.-]+", html)
    assert len(assets) >= 3
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        b"".join(served.streaming_content)  # type: ignore[attr-defined]
    assert client.get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404


def test_unknown_paths_answer_the_api_404(world: World) -> None:
    response = APIClient(HTTP_HOST="localhost").get("/api/v1/tickets/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes "old" connections around each request, which would close
    the test's transaction; Django's own test client disconnects them the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.mark.usefixtures("wsgi_keeps_the_test_connection")
@pytest.mark.parametrize("mode", list(EXAMPLES))
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    world: World, make_token: MakeToken, mode: GenerationMode
) -> None:
    _, client = make_token(user=world.dispatcher, name="schemathesis")
    auth = {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", get_wsgi_application(), headers={"Host": "localhost"}
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=mode)

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                headers=auth | {"Host": "localhost"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        try:
            run()
        except Exception as error:  # report every operation, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
