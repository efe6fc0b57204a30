"""Token authentication and scope permissions.

`Authorization: Bearer ad_<prefix>_<secret>`. The request's `auth` is the `ApiToken`;
its `user` is the staff member the token belongs to, or anonymous for an integration.
Every view names the scope each method needs (`required_scopes`); a customer-scoped
token additionally sees only its company (the views filter by `token.customer`) and may
not do what only the provider does (`staff_only_methods`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from assistdesk.api.models import ApiToken
from assistdesk.api.tokens import api_token_authenticate
from assistdesk.common import clock

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization: Bearer followed by the token")
        try:
            presented = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("the token is not valid") from None
        token = api_token_authenticate(presented=presented, now=clock.now())
        if token is None:
            raise exceptions.AuthenticationFailed("the token is not valid or was revoked")
        return (token.user if token.user is not None else AnonymousUser()), token

    def authenticate_header(self, request: Request) -> str:
        # Makes a missing token a 401 with a challenge, not a 403.
        return 'Bearer realm="api"'


def token_of(request: Request) -> ApiToken:
    token = request.auth
    if not isinstance(token, ApiToken):
        raise exceptions.NotAuthenticated()
    return token


class HasScope(permissions.BasePermission):
    """The token holds the scope the view names for the method, and may use the method."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            raise exceptions.NotAuthenticated()
        method = "GET" if request.method in ("HEAD", "OPTIONS") else str(request.method)
        scope = getattr(view, "required_scopes", {}).get(method)
        if scope is None or not token.has_scope(scope):
            raise exceptions.PermissionDenied(f"this token lacks the scope {scope}")
        if token.customer_id is not None and method in getattr(view, "staff_only_methods", ()):
            raise exceptions.PermissionDenied("not available to a customer-scoped token")
        return True


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "assistdesk.api.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer ad_<prefix>_<secret>` "
            "(`assistdesk apitoken create`)",
        }
