"""Monitoring webhooks with the recorded payloads of ../shared/samples/alerts/.

Acme (seed 002's Scudo 360) is monitored by an Alertmanager, a Zabbix server and an uptime
checker speaking the generic (events-v2) shape. Every delivery goes through the real
endpoint: secret, body, service, ticket.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assistdesk.channels.models import AlertLink, AlertStatus, MonitoringSource
from assistdesk.channels.monitoring.services import monitoring_source_create
from assistdesk.common import clock
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import Message, MessageKind, Ticket
from assistdesk.tickets.tests.factories import customer_with_contract, load_catalog, plan_spec

ACTOR = "test"
T0 = datetime(2026, 12, 4, 14, 6, tzinfo=UTC)
SCUDO = plan_spec("scudo-360", channels={"origins": ["phone", "email", "monitoring", "other"]})


def sample(shared_dir: Path, name: str) -> dict[str, Any]:
    path = shared_dir / "samples" / "alerts" / name
    if not path.exists():
        pytest.fail(f"recorded payload {path} is missing: the webhook tests need ../shared")
    payload: dict[str, Any] = json.loads(path.read_text())
    return payload


@pytest.fixture
def samples(shared_dir: Path) -> dict[str, dict[str, Any]]:
    names = {
        "am_firing": "alertmanager-v4-firing.json",
        "am_resolved": "alertmanager-v4-resolved.json",
        "zabbix_problem": "zabbix-problem.json",
        "zabbix_recovery": "zabbix-recovery.json",
        "generic_trigger": "generic-events-v2-trigger.json",
        "generic_resolve": "generic-events-v2-resolve.json",
    }
    return {key: sample(shared_dir, name) for key, name in names.items()}


@pytest.fixture
def acme(db: None) -> Customer:
    plan = load_catalog(SCUDO, now=datetime(2026, 1, 1, tzinfo=UTC))["scudo-360"]
    customer, _, _ = customer_with_contract(
        plan, start_on=date(2026, 1, 1), now=datetime(2026, 1, 1, tzinfo=UTC), key="acme"
    )
    return customer


def make_source(kind: str, name: str = "", **settings: Any) -> tuple[MonitoringSource, str]:
    return monitoring_source_create(
        name=name or f"{kind}-main", kind=kind, actor=ACTOR, now=T0, **settings
    )


def deliver(
    source: MonitoringSource,
    body: dict[str, Any] | bytes,
    secret: str | None,
    *,
    at: datetime = T0,
    query: str = "",
) -> Any:
    url = reverse(f"channels:alerts-{source.kind}", args=[source.name]) + query
    data = body if isinstance(body, bytes) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    with clock.frozen_at(at):
        return Client().post(url, data=data, content_type="application/json", **headers)


def notes(ticket: Ticket) -> list[str]:
    return list(
        Message.objects.filter(ticket=ticket, kind=MessageKind.NOTE)
        .order_by("id")
        .values_list("body_text", flat=True)
    )


# --- Alertmanager ----------------------------------------------------------------------------


def test_alertmanager_firing_opens_one_ticket_per_alert(acme: Customer, samples: Any) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    response = deliver(source, samples["am_firing"], secret)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["action"] for r in results] == ["opened", "opened"]
    assert results[0]["key"] == "7c3a9be1d2f40e55@2026-12-04T14:02:31.512Z"
    tickets = Ticket.objects.filter(origin="monitoring").order_by("number")
    assert [(t.customer, t.severity, t.is_urgent, t.received_at) for t in tickets] == [
        (acme, 1, True, T0),
        (acme, 1, True, T0),
    ]
    assert tickets[0].subject == "Disk /srv on fileserver01 is 97% full"
    assert [r["ticket"] for r in results] == [t.reference for t in tickets]
    request = Message.objects.get(ticket=tickets[0], kind=MessageKind.REQUEST)
    assert "less than 3% space left" in request.body_text
    assert "mountpoint = /srv" in request.body_text
    assert AlertLink.objects.filter(status=AlertStatus.FIRING).count() == 2


def test_the_same_fingerprint_while_firing_notes_the_same_ticket(
    acme: Customer, samples: Any
) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    deliver(source, samples["am_firing"], secret)
    later = datetime(2026, 12, 4, 18, 6, tzinfo=UTC)  # Alertmanager's repeat_interval: 4 h
    response = deliver(source, samples["am_firing"], secret, at=later)
    assert [r["action"] for r in response.json()["results"]] == ["noted", "noted"]
    assert Ticket.objects.count() == 2
    for ticket in Ticket.objects.all():
        assert len(notes(ticket)) == 1
        assert notes(ticket)[0].startswith("Still firing (notice 2 from alertmanager-main)")
        assert ticket.state == "new"
    assert set(AlertLink.objects.values_list("notices", "last_payload_at")) == {(2, later)}


def test_resolved_notes_and_resolves_the_tickets(acme: Customer, samples: Any) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    deliver(source, samples["am_firing"], secret)
    cleared = datetime(2026, 12, 4, 15, 53, tzinfo=UTC)
    response = deliver(source, samples["am_resolved"], secret, at=cleared)
    assert response.status_code == 200
    assert [r["action"] for r in response.json()["results"]] == ["resolved", "resolved"]
    for ticket in Ticket.objects.all():
        assert ticket.state == "resolved"
        assert ticket.resolved_at == cleared
        assert notes(ticket)[0].startswith("Resolved at 2026-12-04T15:")
    assert set(AlertLink.objects.values_list("status", "resolved_at")) == {("resolved", cleared)}
    # Alertmanager may send the resolved notice again: nothing more happens.
    again = deliver(source, samples["am_resolved"], secret, at=cleared)
    assert [r["action"] for r in again.json()["results"]] == ["ignored", "ignored"]
    assert sum(len(notes(t)) for t in Ticket.objects.all()) == 2


def test_without_resolve_on_recovery_the_ticket_only_gets_a_note(
    acme: Customer, samples: Any
) -> None:
    source, secret = make_source(
        "alertmanager", customer_label="customer", resolve_on_recovery=False
    )
    deliver(source, samples["am_firing"], secret)
    response = deliver(source, samples["am_resolved"], secret)
    assert [r["action"] for r in response.json()["results"]] == ["noted", "noted"]
    assert set(Ticket.objects.values_list("state", flat=True)) == {"new"}
    assert AlertLink.objects.filter(status=AlertStatus.RESOLVED).count() == 2


def test_a_partial_clear_resolves_only_the_cleared_alert(acme: Customer, samples: Any) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    deliver(source, samples["am_firing"], secret)
    partial = copy.deepcopy(samples["am_firing"])  # group still firing, one alert cleared
    partial["alerts"][0] = samples["am_resolved"]["alerts"][0]
    response = deliver(source, partial, secret)
    assert partial["status"] == "firing"
    assert [r["action"] for r in response.json()["results"]] == ["resolved", "noted"]
    disk, backup = Ticket.objects.order_by("number")
    assert (disk.state, backup.state) == ("resolved", "new")
    assert notes(backup)[0].startswith("Still firing")


def test_a_refire_opens_a_new_ticket_and_a_late_firing_is_stale(
    acme: Customer, samples: Any
) -> None:
    source, secret = make_source("alertmanager", customer_label="customer")
    deliver(source, samples["am_firing"], secret)
    deliver(source, samples["am_resolved"], secret)
    # The firing notice delivered late, after the resolve: the incident is over.
    late = deliver(source, samples["am_firing"], secret)
    assert [r["action"] for r in late.json()["results"]] == ["stale", "stale"]
    assert Ticket.objects.count() == 2
    # The disk fills again: same fingerprint, a new startsAt, a new incident.
    refire = copy.deepcopy(samples["am_firing"])
    refire["alerts"] = [refire["alerts"][0]]
    refire["alerts"][0]["startsAt"] = "2026-12-05T03:10:00Z"
    response = deliver(source, refire, secret, at=datetime(2026, 12, 5, 3, 11, tzinfo=UTC))
    assert [r["action"] for r in response.json()["results"]] == ["opened"]
    assert Ticket.objects.count() == 3
    assert AlertLink.objects.filter(status=AlertStatus.FIRING).count() == 1


# --- Zabbix ------------------------------------------------------------------------------------


def test_zabbix_problem_and_recovery(acme: Customer, samples: Any) -> None:
    source, secret = make_source("zabbix", customer_label="customer")
    response = deliver(source, samples["zabbix_problem"], secret)
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["key"] == "4482107"
    ticket = Ticket.objects.get(origin="monitoring")
    assert (ticket.customer, ticket.severity) == (acme, 1)  # "High"
    assert ticket.subject == "High CPU utilization (over 90% for 5m) on SRV-ERP-01"
    request = Message.objects.get(ticket=ticket, kind=MessageKind.REQUEST)
    assert "Original problem ID: 4482107" in request.body_text
    recovered = deliver(source, samples["zabbix_recovery"], secret)
    assert recovered.json()["results"][0]["action"] == "resolved"
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    assert "resolved in 29m 43s" in notes(ticket)[0]
    # Zabbix retries a delivery it thinks failed: the problem again is stale, not a ticket.
    again = deliver(source, samples["zabbix_problem"], secret)
    assert again.json()["results"][0]["action"] == "stale"
    assert Ticket.objects.count() == 1


def test_zabbix_update_is_a_note_and_the_token_may_be_in_the_query(
    acme: Customer, samples: Any
) -> None:
    source, secret = make_source("zabbix", customer_label="customer")
    deliver(source, samples["zabbix_problem"], None, query=f"?token={secret}")
    update = dict(samples["zabbix_problem"], event_update_status="1")
    update["alert_message"] = "Anna acknowledged problem: looking at it"
    response = deliver(source, update, None, query=f"?token={secret}")
    assert response.status_code == 200
    assert response.json()["results"][0]["action"] == "noted"
    ticket = Ticket.objects.get()
    assert ticket.state == "new"
    assert "Anna acknowledged problem" in notes(ticket)[0]
    assert deliver(source, update, None, query="?token=wrong").status_code == 401


def test_zabbix_severity_follows_the_sources_map(acme: Customer, samples: Any) -> None:
    source, secret = make_source(
        "zabbix", customer_label="customer", severity_map={"high": 2, "disaster": 1}
    )
    deliver(source, samples["zabbix_problem"], secret)
    assert Ticket.objects.get().severity == 2


# --- generic (events-v2 shape) ------------------------------------------------------------------


def test_generic_trigger_and_resolve_by_a_mapping_rule(acme: Customer, samples: Any) -> None:
    source, secret = make_source(
        "generic", customer_rules=[{"label": "group", "value": "acme-prod", "customer": "acme"}]
    )
    response = deliver(source, samples["generic_trigger"], secret)
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.severity, ticket.origin) == (acme, 1, "monitoring")
    assert ticket.subject.startswith("HTTP check failed")
    request = Message.objects.get(ticket=ticket, kind=MessageKind.REQUEST)
    assert "response_time_ms = 10012" in request.body_text
    response = deliver(source, samples["generic_resolve"], secret)
    assert response.json()["results"][0]["action"] == "resolved"
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    # events-v2: a trigger after a resolve with the same dedup_key is a new incident.
    response = deliver(source, samples["generic_trigger"], secret)
    assert response.json()["results"][0]["action"] == "opened"
    assert Ticket.objects.count() == 2
