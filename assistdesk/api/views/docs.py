"""The OpenAPI schema, the Swagger UI page and its assets, and the JSON 404.

Swagger UI's files come from the drf-spectacular-sidecar package and are served from
here (not from a CDN), so the docs work offline and tests load nothing from outside.
"""

from __future__ import annotations

import mimetypes
from importlib import resources
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from assistdesk.api.errors import item

ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
    }
)

SCHEMA_SETTINGS: dict[str, Any] = {
    "TITLE": "AssistDesk API",
    "VERSION": "1",
    "DESCRIPTION": "Customers, contracts, plans, tickets, interventions, allowance balances "
    'and invoices. Errors: `{"errors": [{"field", "message", "code"}]}`. See '
    "docs/api.md.",
    # Read-only fields (ids, timestamps) stay out of request bodies.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_PATH_PREFIX_TRIM": False,
    # Several choice sets share a field name (`kind`, `state`): name each set once.
    "ENUM_NAME_OVERRIDES": {
        "TicketStateEnum": "assistdesk.api.serializers.tickets.STATES",
        "TicketKindEnum": "assistdesk.tickets.models.TicketKind",
        "MessageKindEnum": "assistdesk.tickets.models.MessageKind",
        "EventKindEnum": "assistdesk.tickets.models.EventKind",
        "ContractStateEnum": "assistdesk.contracts.models.ContractState",
        "InvoiceKindEnum": "assistdesk.billing.models.InvoiceKind",
        "InvoiceLineKindEnum": "assistdesk.billing.models.LineKind",
    },
}


class SchemaView(SpectacularJSONAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    custom_settings = SCHEMA_SETTINGS


class DocsView(SpectacularSwaggerView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    url_name = "api:schema"
    title = "AssistDesk API"

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return reverse("api:docs-asset", args=[filename])

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return reverse("api:docs-asset", args=["favicon-32x32.png"])


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404(name)
    try:
        root = resources.files("drf_spectacular_sidecar")
    except ModuleNotFoundError:
        raise Http404("drf-spectacular-sidecar is not installed") from None
    path = root / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist" / name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """A wrong path under an API resource: the API's 404 body, not an HTML page."""
    return JsonResponse({"errors": [item(None, "Not found.", "not_found")]}, status=404)
