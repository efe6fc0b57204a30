"""schemathesis against the channels' endpoints (alerts and the after-hours line).

The schema is generated from `channels/urls.py` the way the API's `openapi.json` is, then
schemathesis sends generated requests (valid ones, then invalid ones) with the right
secrets and a real source name, so the bodies reach the services: never a server error,
always the declared shape for the status.
"""

from __future__ import annotations

# ruff: noqa: F811 (the fixtures are imported from the sibling test module)
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from assistdesk.channels.afterhours.services import ivr_line_create
from assistdesk.channels.models import PinAttempt
from assistdesk.channels.tests.test_monitoring import T0, acme, make_source  # noqa: F401
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import Ticket

EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}


@pytest.fixture
def wsgi_keeps_the_test_connection() -> Iterator[None]:
    """The WSGI handler would close the test's connection (and its transaction)."""
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
    acme: Customer, mode: GenerationMode
) -> None:
    secrets = {
        kind: make_source(kind, name=f"{kind}-src", default_customer=acme)[1]
        for kind in ("alertmanager", "zabbix", "generic")
    }
    _, line_secret = ivr_line_create(name="ivr", actor="test", now=T0)
    generated = SchemaGenerator(
        patterns=[path("api/v1/", include("assistdesk.channels.urls"))]
    ).get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(generated)
    schema.app = get_wsgi_application()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5
    failures: list[str] = []
    for operation in operations:
        kind = operation.path.split("/")[4] if "/alerts/" in operation.path else ""
        try:
            fuzz(operation, mode, kind, secrets.get(kind, line_secret))
        except Exception as error:  # report every operation, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
    if mode is GenerationMode.POSITIVE:  # the schema's examples reached the services
        assert Ticket.objects.filter(origin="monitoring").count() == 3
        assert PinAttempt.objects.exists()


def fuzz(operation: Any, mode: GenerationMode, kind: str, secret: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        if kind:  # a real source, so the body reaches the service
            case.path_parameters = {"source": f"{kind}-src"}
        case.call_and_validate(
            headers={"Authorization": f"Bearer {secret}", "Host": "localhost"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    run()
