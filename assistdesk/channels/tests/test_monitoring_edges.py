"""Monitoring webhooks at their edges: secrets, bodies we cannot read, alerts without a
customer (kept, released later), plans that refuse them, concurrent deliveries, the schema."""

# ruff: noqa: F811 (the fixtures are imported from the sibling test module)

from __future__ import annotations

import copy
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from assistdesk.channels.models import (
    AlertLink,
    MonitoringSource,
    QuarantinedAlert,
    QuarantineReason,
)
from assistdesk.channels.monitoring import secrets
from assistdesk.channels.monitoring.services import (
    alert_dismiss,
    alert_receive,
    alert_release,
    monitoring_source_rotate_secret,
)
from assistdesk.channels.tests.test_monitoring import (  # noqa: F401 (fixtures)
    T0,
    acme,
    deliver,
    make_source,
    samples,
)
from assistdesk.customers.models import Customer
from assistdesk.customers.tests.factories import CustomerFactory
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.tests.factories import customer_with_contract, load_catalog, plan_spec

# --- who may deliver ---------------------------------------------------------------------------


def test_the_secret_is_stored_hashed_and_rotates(acme: Customer, samples: Any) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    stored = MonitoringSource.objects.get(pk=source.pk)
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    assert stored.secret_hash == secrets.digest(secret)
    new = monitoring_source_rotate_secret(source=source, actor="test", now=T0)
    assert deliver(source, samples["am_firing"], secret).status_code == 401
    assert deliver(source, samples["am_firing"], new).status_code == 200


def test_refusals_are_401_and_all_alike(acme: Customer, samples: Any) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    other, other_secret = make_source("alertmanager", name="other", customer_label="customer")
    zabbix, zabbix_secret = make_source("zabbix", name="zbx")
    body = samples["am_firing"]
    answers = [
        deliver(source, body, "wrong-secret"),
        deliver(source, body, other_secret),  # another source's secret
        deliver(source, body, secret + "x"),
        deliver(MonitoringSource(name="nosuch", kind="alertmanager"), body, secret),
        # a zabbix source's own secret, at the Alertmanager endpoint with its name
        deliver(MonitoringSource(name="zbx", kind="alertmanager"), body, zabbix_secret),
    ]
    assert {a.status_code for a in answers} == {401}
    assert {a.content for a in answers} == {answers[0].content}
    assert answers[0].json() == {
        "errors": [
            {"field": None, "message": "the source's secret is missing or wrong",
             "code": "authentication_failed"}
        ]
    }  # fmt: skip
    missing = deliver(source, body, None)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="alerts"'
    MonitoringSource.objects.filter(pk=source.pk).update(is_active=False)
    assert deliver(source, body, secret).status_code == 401
    assert Ticket.objects.count() == 0
    assert not QuarantinedAlert.objects.exists()  # nothing is written for a stranger
    assert other.pk and zabbix.pk


# --- bodies we cannot read ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (b'{"alerts": [', None, "the body is not JSON: Expecting value at line 1 column 13"),
        (b"", None, "the body is empty: a JSON object is expected"),
        (b"[1, 2]", None, "the body must be a JSON object, not list"),
        (b"\xff\xfe{}", None, "the body is not UTF-8 text (invalid start byte)"),
        (b'{"version": "4"}', "alerts", "required: a list of alerts"),
        (b'{"alerts": [{"status": "firing"}]}', "alerts[0].fingerprint",
         "required: a non-empty string"),
        (b'{"alerts": [{"status": "ok"}]}', "alerts[0].status", "firing or resolved, not 'ok'"),
        (b'{"version": "3", "alerts": []}', "version", "only version 4 is understood, not '3'"),
    ],
)  # fmt: skip
def test_a_body_we_cannot_read_is_400_naming_the_problem_and_kept(
    acme: Customer, body: bytes, field: str | None, message: str
) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    response = deliver(source, body, secret)
    assert response.status_code == 400
    code = "parse_error" if field is None else "invalid"
    assert response.json() == {"errors": [{"field": field, "message": message, "code": code}]}
    kept = QuarantinedAlert.objects.get()
    assert (kept.reason, kept.field, kept.message) == ("malformed", field or "", message)
    assert kept.raw == body.decode("utf-8", "replace") or kept.payload is not None
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("zabbix", {"event_value": "1"}, "event_id"),
        ("zabbix", {"event_id": "1", "event_value": "7"}, "event_value"),
        ("zabbix", {"event_id": "1", "event_value": "1", "event_tags_json": "[{"},
         "event_tags_json"),
        ("generic", {"event_action": "explode"}, "event_action"),
        ("generic", {"event_action": "trigger", "payload": {}}, "payload.summary"),
        ("generic", {"event_action": "resolve"}, "dedup_key"),
    ],
)  # fmt: skip
def test_each_format_names_its_missing_field(
    acme: Customer, kind: str, body: dict[str, Any], field: str
) -> None:
    source, secret = make_source(kind, default_customer=acme)
    response = deliver(source, body, secret)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


# --- alerts without a customer ----------------------------------------------------------------


def test_an_unmapped_alert_is_422_kept_and_released_once_mapped(
    acme: Customer, samples: Any
) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    body = copy.deepcopy(samples["am_firing"])
    body["alerts"][1]["labels"]["customer"] = "globex"  # not (yet) a customer
    response = deliver(source, body, secret)
    assert response.status_code == 422
    payload = response.json()
    assert [r["action"] for r in payload["results"]] == ["opened", "quarantined"]
    assert payload["errors"] == [
        {
            "field": "alerts[1].labels.customer",
            "message": "no customer for this alert: 'globex' is no customer's key and no "
            "mapping rule matched, and source alertmanager-main has no default customer; the "
            "alert waits in the quarantine",
            "code": "unmapped",
        }
    ]
    kept = QuarantinedAlert.objects.get()
    assert (kept.reason, kept.field) == (QuarantineReason.UNMAPPED, "alerts[1].labels.customer")
    assert kept.payload["alerts"] == [body["alerts"][1]]  # the one alert, re-playable
    # Alertmanager retries: the same alert is counted on the same row.
    deliver(source, body, secret)
    kept.refresh_from_db()
    assert kept.deliveries == 2
    assert QuarantinedAlert.objects.count() == 1
    assert Ticket.objects.count() == 1
    # Released before Globex exists: still kept, nothing changed.
    outcome = alert_release(quarantined=kept, actor="dispatcher", now=T0)
    assert outcome.problems and outcome.problems[0].code == "unmapped"
    kept.refresh_from_db()
    assert kept.handled_at is None and kept.deliveries == 2
    globex = CustomerFactory(key="globex")
    outcome = alert_release(quarantined=kept, actor="dispatcher", now=T0)
    assert [r.action for r in outcome.results] == ["opened"]
    kept.refresh_from_db()
    assert kept.handled_by == "dispatcher" and kept.outcome.startswith("released: AD-")
    assert Ticket.objects.filter(customer=globex).count() == 1
    assert alert_release(quarantined=kept, actor="dispatcher", now=T0).results == []


def test_the_default_customer_takes_what_no_rule_maps(acme: Customer, samples: Any) -> None:
    source, secret = make_source("zabbix", default_customer=acme)
    body = dict(samples["zabbix_problem"], event_tags_json="[]")
    assert deliver(source, body, secret).status_code == 200
    assert Ticket.objects.get().customer == acme


def test_a_plan_that_refuses_monitoring_keeps_the_alert(samples: Any, db: None) -> None:
    plan = load_catalog(
        plan_spec("mail-only", channels={"origins": ["email"]}),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )["mail-only"]
    customer, _, _ = customer_with_contract(
        plan, start_on=date(2026, 1, 1), now=datetime(2026, 1, 1, tzinfo=UTC), key="acme"
    )
    source, secret = make_source("zabbix", customer_label="customer")
    response = deliver(source, samples["zabbix_problem"], secret)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "origin" and error["code"] == "refused"
    assert "takes no requests by monitoring" in error["message"]
    assert QuarantinedAlert.objects.get().reason == QuarantineReason.REFUSED
    assert not AlertLink.objects.exists() and not Ticket.objects.filter(customer=customer)
    assert alert_dismiss(quarantined=QuarantinedAlert.objects.get(), actor="d", now=T0)


# --- concurrency ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_alert_open_one_ticket(samples: Any) -> None:
    plan = load_catalog(
        plan_spec("scudo", channels={"origins": ["monitoring"]}),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )["scudo"]
    customer_with_contract(
        plan, start_on=date(2026, 1, 1), now=datetime(2026, 1, 1, tzinfo=UTC), key="acme"
    )
    source, _ = make_source("zabbix", customer_label="customer")
    barrier, errors = threading.Barrier(8), []

    def one() -> None:
        try:
            barrier.wait()
            alert_receive(source=source, payload=samples["zabbix_problem"], now=T0)
        except Exception as error:  # reported below, with the thread's traceback
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Ticket.objects.count() == 1
    link = AlertLink.objects.get()
    assert link.notices == 8


# --- the schema and the admin ------------------------------------------------------------------


def test_the_endpoints_are_in_the_openapi_schema() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in (
        "/api/v1/alerts/alertmanager/{source}",
        "/api/v1/alerts/zabbix/{source}",
        "/api/v1/alerts/generic/{source}",
    ):
        post = paths[path]["post"]
        assert set(post["responses"]) == {"200", "400", "401", "422"}
        assert post["security"] == [{"monitoringSourceSecret": []}]
    assert "monitoringSourceSecret" in schema["components"]["securitySchemes"]


def test_the_admin_shows_a_new_sources_secret_once(
    acme: Customer, samples: Any, settings: Any
) -> None:
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.test", "pw"))
    response = client.post(
        "/admin/channels/monitoringsource/add/",
        {
            "name": "acme-prom", "kind": "alertmanager", "is_active": "on",
            "customer_label": "customer", "customer_rules": "[]", "severity_label": "severity",
            "severity_map": '{"critical": 1}', "default_severity": "2",
            "resolve_on_recovery": "on",
        },
        follow=True,
    )  # fmt: skip
    shown = [str(m) for m in response.context["messages"] if "shown this once" in str(m)]
    assert len(shown) == 1 and shown[0].startswith("Secret of acme-prom, shown this once: ")
    secret = shown[0].rsplit(" ", 1)[1]
    assert secret not in client.get("/admin/channels/monitoringsource/1/change/").content.decode()
    source = MonitoringSource.objects.get(name="acme-prom")
    assert deliver(source, samples["am_firing"], secret).status_code == 200
    bad = client.post(
        "/admin/channels/monitoringsource/add/",
        {"name": "x", "kind": "generic", "customer_rules": '[{"label": "a"}]',
         "severity_label": "severity", "severity_map": "{}", "default_severity": "2"},
    )  # fmt: skip
    assert "customer_rules[0]: expected {label, value, customer}" in bad.content.decode()


def test_nul_characters_are_dropped_not_a_server_error(acme: Customer) -> None:
    """PostgreSQL stores no U+0000 in text or jsonb; a monitor that sends one still gets a
    ticket (and a body with a raw NUL byte is kept as malformed)."""
    source, secret = make_source("generic", default_customer=acme)
    body = b'{"event_action": "trigger", "dedup_key": "k\\u0000", "payload": {"summary": '
    body += b'"disk\\u0000 full", "custom_details": {"a\\u0000": "b\\u0000"}}}'
    response = deliver(source, body, secret)
    assert response.status_code == 200, response.content
    assert Ticket.objects.get().subject == "disk full"
    assert AlertLink.objects.get().dedup_key == "k"
    assert deliver(source, b'{"event_action": "trigger"\x00}', secret).status_code == 400
    assert "\x00" not in QuarantinedAlert.objects.get().raw
