"""Invoices and credit notes, read only: issued documents never change (§2.7)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from assistdesk.api import queries
from assistdesk.api.base import ApiView
from assistdesk.api.models import Scope
from assistdesk.api.serializers.billing import (
    InvoiceDetailSerializer,
    InvoiceFilter,
    InvoiceSerializer,
)
from assistdesk.api.views.customers import ID_MAX, not_found


class InvoiceList(ApiView):
    required_scopes = {"GET": Scope.BILLING_READ}

    @extend_schema(parameters=[InvoiceFilter], responses=InvoiceSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = queries.invoices(self.token.customer, self.query(InvoiceFilter))
        return self.paginated(rows, InvoiceSerializer)


class InvoiceDetail(ApiView):
    required_scopes = {"GET": Scope.BILLING_READ}

    @extend_schema(responses=InvoiceDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        found = queries.invoice(self.token.customer, min(pk, ID_MAX))
        if found is None:
            raise not_found()
        return Response(InvoiceDetailSerializer(found).data)
