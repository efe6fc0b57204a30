"""Webhook authentication: the per-source secret, in a header or (Zabbix, others) the query.

The request's `auth` is the `MonitoringSource`; no user is involved. A missing secret, a
wrong one and an unknown source name all get the same 401.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from assistdesk.channels.models import MonitoringSource
from assistdesk.channels.monitoring import secrets
from assistdesk.channels.monitoring.selectors import monitoring_source_authenticate

REFUSED = "the source's secret is missing or wrong"


def presented(request: Request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    token = request.query_params.get("token")
    return secrets.presented_secret(header if isinstance(header, str) else "", token)


class MonitoringSourceAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, MonitoringSource] | None:
        secret = presented(request)
        if secret is None:
            return None
        context = request.parser_context or {}
        view, kwargs = context.get("view"), context.get("kwargs") or {}
        kind = getattr(view, "monitoring_kind", "")
        source = monitoring_source_authenticate(
            kind=kind, name=str(kwargs.get("source", "")), presented=secret
        )
        if source is None:
            raise exceptions.AuthenticationFailed(REFUSED)
        return AnonymousUser(), source

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="alerts"'  # a missing secret is a 401 with a challenge, not a 403


class IsMonitoringSource(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, MonitoringSource):
            raise exceptions.NotAuthenticated(REFUSED)
        return True


class MonitoringSecretScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "assistdesk.channels.monitoring.auth.MonitoringSourceAuthentication"
    name = "monitoringSourceSecret"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The source's secret, shown once when the source is made: "
            "`Authorization: Bearer <secret>`, or `?token=<secret>` for senders that cannot "
            "set a header (Zabbix media types can; the query ends up in access logs).",
        }
