"""What every API view shares: token auth, scopes, JSON only, the error body, pagination,
validated query parameters, `Idempotency-Key` on POST, and a schema that says all that.

Views here hold no business rules: they check input shapes, call a service or a
selector, and serialise the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.db import transaction
from django.http import HttpResponseBase
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import exceptions, pagination, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from assistdesk.api import idempotency
from assistdesk.api.auth import ApiTokenAuthentication, HasScope, token_of
from assistdesk.api.errors import exception_handler
from assistdesk.api.models import ApiToken

# --- the error body in the schema ------------------------------------------------------


class ErrorItemSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        allow_null=True, help_text="body field, query parameter or header; null: the request"
    )
    message = serializers.CharField()
    code = serializers.CharField()


# Only the schema uses it: `errors` would shadow Serializer.errors on a declared class.
ErrorSerializer = inline_serializer(name="Error", fields={"errors": ErrorItemSerializer(many=True)})


_ERRORS_ALWAYS = ("400", "401", "403", "404")
_ERRORS_POST = ("409", "422")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=idempotency.HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "minLength": 1, "maxLength": idempotency.KEY_MAX},
    description="Send the same key again (same token, same request) to get the first "
    "answer without doing anything twice; another request with it is refused (422).",
)


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema plus our error responses and the idempotency header."""

    def get_description(self) -> str:  # type: ignore[override]
        # The method's docstring, else the view's own (never ApiView's, inherited).
        method = getattr(self.view, self.method.lower(), None)
        own = type(self.view).__dict__.get("__doc__") or ""
        return (getattr(method, "__doc__", None) or own).strip()

    def get_override_parameters(self) -> list[Any]:
        extra = [IDEMPOTENCY_PARAMETER] if self.method == "POST" else []
        return [*super().get_override_parameters(), *extra]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        codes = _ERRORS_ALWAYS + (_ERRORS_POST if self.method == "POST" else ())
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ErrorSerializer, code, direction=direction
                )
        return responses


# --- pagination --------------------------------------------------------------------------


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as error:
            # A page past the end (or not a number) is a bad parameter, named as such.
            raise exceptions.ValidationError({self.page_query_param: [str(error.detail)]}) from None


# --- views -------------------------------------------------------------------------------


class ApiView(GenericAPIView[Any]):
    """Base of every resource view."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [HasScope]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    pagination_class = PageNumberPagination
    schema = ApiAutoSchema()
    # method -> scope; a method not listed is refused with 403.
    required_scopes: ClassVar[Mapping[str, str]] = {}
    # methods a customer-scoped token may not use (provider work: notes, interventions...)
    staff_only_methods: ClassVar[tuple[str, ...]] = ()

    _pending: idempotency.Pending | None = None

    def get_exception_handler(self) -> Callable[..., Response | None]:
        return exception_handler

    @property
    def token(self) -> ApiToken:
        return token_of(self.request)

    @property
    def actor(self) -> str:
        return self.token.actor

    def query(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        """The query parameters, validated; errors name the parameter."""
        params = serializer_class(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return dict(params.validated_data)

    def paginated(
        self, queryset: Any, serializer_class: type[serializers.BaseSerializer[Any]]
    ) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    # An Idempotency-Key makes the POST one transaction: the record row is inserted first
    # (its unique (token, key) is the lock), the work is done, the answer stored with it.
    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST" and idempotency.META_KEY in request.META:
            try:
                with transaction.atomic():
                    return super().dispatch(request, *args, **kwargs)
            except idempotency.KeyTaken:
                # Rolled back: read what the key's first request left.
                return idempotency.answer_for_taken_key(self.request, token_of(self.request))
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication and scopes first
        self._pending = None
        if request.method == "POST" and idempotency.META_KEY in request.META:
            self._pending = idempotency.begin(request, token_of(request))

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._pending is not None:
            idempotency.finish(self._pending, response)
            self._pending = None
        return response
