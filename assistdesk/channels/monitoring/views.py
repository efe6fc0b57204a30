"""POST /api/v1/alerts/{alertmanager,zabbix,generic}/<source>: the webhook endpoints.

They authenticate the source, hand the bytes to `alert_receive_body` and say what
happened: 200 with one result per alert, 400 when the body could not be read, 422 when
an alert found no customer (kept in the quarantine; the others were received).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from assistdesk.channels.models import MonitoringKind, MonitoringSource
from assistdesk.channels.monitoring.auth import IsMonitoringSource, MonitoringSourceAuthentication
from assistdesk.channels.monitoring.http import (
    ChannelErrorSerializer,
    ChannelView,
    ErrorBodySerializer,
    error_item,
    error_response,
)
from assistdesk.channels.monitoring.services import Outcome, alert_receive_body
from assistdesk.common import clock


class AlertResultSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="the incident's de-duplication key")
    # Plain strings, not enums: enum components named after the field ("StatusEnum") would
    # collide with the API's when both are in one schema.
    status = serializers.CharField(help_text="firing, resolved or update")
    action = serializers.CharField(
        help_text="opened, noted, resolved, stale (a late notice of a finished incident), "
        "ignored (nothing open to resolve) or quarantined"
    )
    ticket = serializers.CharField(allow_null=True, help_text="the ticket's reference, AD-000123")
    path = serializers.CharField(help_text="the alert inside the delivery, e.g. alerts[1]")


class AlertReceivedSerializer(serializers.Serializer[Any]):
    results = AlertResultSerializer(many=True)


AlertQuarantinedSerializer = inline_serializer(
    name="AlertQuarantined",
    fields={
        "errors": ChannelErrorSerializer(many=True),
        "results": AlertResultSerializer(many=True),
    },
)


def render(outcome: Outcome) -> Response:
    results = [
        {"key": r.key, "status": r.status, "action": r.action, "ticket": r.ticket, "path": r.path}
        for r in outcome.results
    ]
    if outcome.malformed is not None:
        problem = outcome.malformed
        return error_response(
            [error_item(problem.field, problem.message, problem.code)], status.HTTP_400_BAD_REQUEST
        )
    if outcome.problems:
        items = [error_item(p.field, p.message, p.code) for p in outcome.problems]
        return error_response(items, status.HTTP_422_UNPROCESSABLE_ENTITY, results=results)
    return Response({"results": results})


RESPONSES = {
    200: AlertReceivedSerializer,
    400: ErrorBodySerializer,
    401: ErrorBodySerializer,
    422: AlertQuarantinedSerializer,
}


class AlertWebhookView(ChannelView):
    authentication_classes = [MonitoringSourceAuthentication]
    permission_classes = [IsMonitoringSource]
    monitoring_kind = ""

    def post(self, request: Request, source: str) -> Response:
        assert isinstance(request.auth, MonitoringSource)
        return render(alert_receive_body(source=request.auth, body=request.body, now=clock.now()))


_DESCRIPTION = (
    "One ticket (origin `monitoring`) per incident; the same incident while firing adds an "
    "internal note; resolved adds a note and, if the source says so, resolves the ticket. "
    "An alert without a customer is kept in the quarantine and answered 422 naming the "
    "field. docs/monitoring.md."
)


@extend_schema_view(
    post=extend_schema(
        operation_id="alerts_alertmanager_receive",
        tags=["monitoring"],
        summary="Prometheus Alertmanager webhook (version 4)",
        description=_DESCRIPTION + " Key: `fingerprint` + `startsAt`.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses=RESPONSES,
        examples=[
            OpenApiExample(
                "firing",
                request_only=True,
                value={
                    "version": "4",
                    "status": "firing",
                    "alerts": [
                        {
                            "status": "firing",
                            "labels": {"alertname": "HostDiskFull", "customer": "acme"},
                            "annotations": {"summary": "Disk /srv on fileserver01 is 97% full"},
                            "startsAt": "2026-12-04T14:02:31.512Z",
                            "endsAt": "0001-01-01T00:00:00Z",
                            "fingerprint": "7c3a9be1d2f40e55",
                        }
                    ],
                },
            )
        ],
    )
)
class AlertmanagerWebhookView(AlertWebhookView):
    monitoring_kind = MonitoringKind.ALERTMANAGER


@extend_schema_view(
    post=extend_schema(
        operation_id="alerts_zabbix_receive",
        tags=["monitoring"],
        summary="Zabbix webhook (the helpdesk media type)",
        description=_DESCRIPTION + " Key: `event_id`; `event_value` 1 problem, 0 recovery; "
        "`event_update_status` 1 an update (a note).",
        request={"application/json": OpenApiTypes.OBJECT},
        responses=RESPONSES,
        examples=[
            OpenApiExample(
                "problem",
                request_only=True,
                value={
                    "event_id": "4482107",
                    "event_value": "1",
                    "event_name": "High CPU utilization",
                    "event_severity": "High",
                    "event_tags_json": '[{"tag":"customer","value":"acme"}]',
                    "host_name": "SRV-ERP-01",
                },
            )
        ],
    )
)
class ZabbixWebhookView(AlertWebhookView):
    monitoring_kind = MonitoringKind.ZABBIX


@extend_schema_view(
    post=extend_schema(
        operation_id="alerts_generic_receive",
        tags=["monitoring"],
        summary="Generic alert webhook (events-v2 shape)",
        description=_DESCRIPTION + " Key: `dedup_key`; `event_action` trigger, acknowledge "
        "(a note) or resolve.",
        request={"application/json": OpenApiTypes.OBJECT},
        responses=RESPONSES,
        examples=[
            OpenApiExample(
                "trigger",
                request_only=True,
                value={
                    "event_action": "trigger",
                    "dedup_key": "uptime:acme:shop",
                    "payload": {"summary": "shop returned 503", "severity": "critical"},
                },
            )
        ],
    )
)
class GenericWebhookView(AlertWebhookView):
    monitoring_kind = MonitoringKind.GENERIC
