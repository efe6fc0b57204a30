"""IVR line authentication: the line's secret as a Bearer token, the password of HTTP Basic
auth (credentials in a Twilio webhook URL), or `?token=`. The request's `auth` is the line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from assistdesk.channels.afterhours.selectors import ivr_line_authenticate
from assistdesk.channels.models import IvrLine
from assistdesk.channels.monitoring.auth import presented

REFUSED = "the IVR line's secret is missing or wrong"


class IvrLineAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, IvrLine] | None:
        secret = presented(request)
        if secret is None:
            return None
        line = ivr_line_authenticate(presented=secret)
        if line is None:
            raise exceptions.AuthenticationFailed(REFUSED)
        return AnonymousUser(), line

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="ivr"'


class IsIvrLine(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.auth, IvrLine):
            raise exceptions.NotAuthenticated(REFUSED)
        return True


class IvrLineSecretScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "assistdesk.channels.afterhours.auth.IvrLineAuthentication"
    name = "ivrLineSecret"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The IVR line's secret, shown once when the line is made: "
            "`Authorization: Bearer <secret>`, HTTP Basic with the secret as password, or "
            "`?token=<secret>`.",
        }
