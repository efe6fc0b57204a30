"""One error body for every refusal: `{"errors": [{"field", "message", "code"}]}`.

`field` names what was wrong: a body field (`severity`, `parts[0].quantity`), a query
parameter (`updated_since`), a header (`Idempotency-Key`), or null when the whole request
is refused (not found, not authenticated). Serializer errors, the services' domain errors
(`TicketError.field`, `SpecError.key`, a Django `ValidationError`'s dict keys) and HTTP
errors all come out in this shape, so a client has one parser and can point at the field.

Status codes: 400 invalid input (a serializer or a service said no), 401 no or bad token,
403 a scope or role is missing, 404 not found (or not yours: a customer-scoped token gets
the same 404 for another company's object as for none), 409 the object's state forbids
it (a closed ticket cannot be closed again), 422 an `Idempotency-Key` reused with another
request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from assistdesk.domain.errors import DomainError, SpecError
from assistdesk.tickets.errors import TicketError

ErrorItem = dict[str, Any]
# TicketError fields that are about the caller, not the request body.
_FORBIDDEN_FIELDS = frozenset({"actor_user"})
# TicketError fields that say the ticket's current state forbids the move.
_CONFLICT_FIELDS = frozenset({"state"})


class ApiError(exceptions.APIException):
    """An error naming one field, with any status (e.g. 422 for the idempotency header)."""

    def __init__(self, *, status_code: int, field: str | None, message: str, code: str) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.field = field
        self.message = message
        self.error_code = code


class DomainConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def item(field: str | None, message: str, code: str) -> ErrorItem:
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2 :]  # the body already names it
    return {"field": field or None, "message": message, "code": code}


def _join(parent: str, child: str | int) -> str:
    if isinstance(child, int):
        return f"{parent}[{child}]"
    return f"{parent}.{child}" if parent else child


def flatten(detail: Any, field: str = "") -> Iterator[ErrorItem]:
    """DRF's nested error detail as a flat list with dotted/indexed field paths."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS):
                yield from flatten(value, field)
            else:  # a ListField keys its items' errors by their int index
                yield from flatten(value, _join(field, key if isinstance(key, int) else str(key)))
    elif isinstance(detail, list):
        if all(isinstance(v, str) for v in detail):
            for value in detail:
                yield item(field, str(value), getattr(value, "code", "invalid") or "invalid")
        else:
            for index, value in enumerate(detail):
                if value:  # DRF puts {} for the list items that were fine
                    yield from flatten(value, _join(field, index))
    else:
        yield item(field, str(detail), getattr(detail, "code", "invalid") or "invalid")


def django_validation_items(error: DjangoValidationError) -> list[ErrorItem]:
    if hasattr(error, "error_dict"):
        return [
            item(None if name == NON_FIELD_ERRORS else name, message, "invalid")
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [item(None, message, "invalid") for message in error.messages]


def _translate(exc: Exception) -> tuple[Exception, list[ErrorItem] | None]:
    """Domain and Django errors as the DRF exception of their status, with their items."""
    if isinstance(exc, TicketError):
        if exc.field in _FORBIDDEN_FIELDS:
            return exceptions.PermissionDenied(exc.message), [item(None, exc.message, "forbidden")]
        if exc.field in _CONFLICT_FIELDS:
            return DomainConflict(exc.message), [item(exc.field, exc.message, "conflict")]
        return exceptions.ValidationError(exc.message), [item(exc.field, exc.message, "invalid")]
    if isinstance(exc, SpecError):
        return exceptions.ValidationError(str(exc)), [item(exc.key or None, exc.message, "invalid")]
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(str(exc)), django_validation_items(exc)
    if isinstance(exc, DomainError):
        return exceptions.ValidationError(str(exc)), [item(None, str(exc), "invalid")]
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return exceptions.NotFound(), None
    return exc, None


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's handler (status, WWW-Authenticate, Retry-After) with our body."""
    exc, items = _translate(exc)
    response = drf_exception_handler(exc, dict(context))
    if response is None:
        return None  # a server error: let it propagate (500, logged, transaction rolled back)
    if items is None:
        if isinstance(exc, ApiError):
            items = [item(exc.field, exc.message, exc.error_code)]
        elif isinstance(exc, exceptions.ValidationError):
            items = list(flatten(exc.detail))
        elif isinstance(exc, exceptions.APIException):
            codes = exc.get_codes()
            items = [item(None, str(exc.detail), codes if isinstance(codes, str) else "error")]
        else:
            items = [item(None, str(response.data), "error")]
    response.data = {"errors": items}
    return response


def not_found_response() -> Response:
    return Response(
        {"errors": [item(None, "Not found.", "not_found")]}, status=status.HTTP_404_NOT_FOUND
    )
