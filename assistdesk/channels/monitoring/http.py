"""What the channel endpoints share: the error body, its schema, the base view.

The body is the API's (`{"errors": [{"field", "message", "code"}]}`), written here
because a business app may not import the interface apps; a client has one parser for
both. Each view uses this module's exception handler whatever the project-wide one is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


def error_item(field: str | None, message: str, code: str) -> dict[str, Any]:
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2 :]
    return {"field": field or None, "message": message, "code": code}


def error_response(items: list[dict[str, Any]], status: int, **extra: Any) -> Response:
    return Response({"errors": items, **extra}, status=status)


def _flatten(detail: Any, field: str = "") -> Iterator[dict[str, Any]]:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            yield from _flatten(value, f"{field}.{name}" if field and name else field or name)
    elif isinstance(detail, list):
        for value in detail:
            yield from _flatten(value, field)
    else:
        yield error_item(field or None, str(detail), getattr(detail, "code", "invalid"))


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, dict(context))
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        items = list(_flatten(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        items = [error_item(None, str(exc.detail), codes if isinstance(codes, str) else "error")]
    else:
        items = [error_item(None, str(response.data), "error")]
    response.data = {"errors": items}
    return response


class ChannelView(APIView):
    """JSON in and out, the channels' error body, no session or CSRF: callers are machines."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self) -> Any:
        return exception_handler


# --- schema ----------------------------------------------------------------------------------


class ChannelErrorSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(allow_null=True, help_text="what was wrong: a body field path")
    message = serializers.CharField()
    code = serializers.CharField()


# `errors` would shadow `Serializer.errors` as a declared field: built inline instead.
ErrorBodySerializer = inline_serializer(
    name="ChannelErrorBody", fields={"errors": ChannelErrorSerializer(many=True)}
)
