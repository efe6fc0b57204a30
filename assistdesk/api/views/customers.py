"""Customers, contacts, contracts, plans and allowance balances."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from assistdesk.api import queries
from assistdesk.api.base import ApiView
from assistdesk.api.models import Scope
from assistdesk.api.serializers.customers import (
    AllowanceSerializer,
    ContactCreateSerializer,
    ContactFilter,
    ContactSerializer,
    ContractCreateSerializer,
    ContractFilter,
    ContractSerializer,
    CustomerCreateSerializer,
    CustomerFilter,
    CustomerSerializer,
    PlanFilter,
    PlanSerializer,
)
from assistdesk.catalog import selectors as catalog_selectors
from assistdesk.catalog.models import Plan
from assistdesk.common import clock
from assistdesk.contracts import selectors as contract_selectors
from assistdesk.contracts.services import contract_create
from assistdesk.customers.models import Customer
from assistdesk.customers.services import contact_create, customer_create

ID_MAX = 2**63 - 1


def not_found() -> exceptions.NotFound:
    return exceptions.NotFound()


def body_customer(view: ApiView, key: str, field: str = "customer") -> Customer:
    """The customer a request body names; one outside the token's scope does not exist."""
    found = queries.customer(view.token.customer, key)
    if found is None:
        raise exceptions.ValidationError({field: [f"no customer {key!r}"]})
    return found


def body_plan(key: str, field: str) -> Plan:
    try:
        return catalog_selectors.plan_get(key=key)
    except Plan.DoesNotExist:
        raise exceptions.ValidationError({field: [f"no plan {key!r}"]}) from None


class CustomerList(ApiView):
    required_scopes = {"GET": Scope.CUSTOMERS_READ, "POST": Scope.CUSTOMERS_WRITE}

    @extend_schema(parameters=[CustomerFilter], responses=CustomerSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = queries.customers(self.token.customer, self.query(CustomerFilter))
        return self.paginated(rows, CustomerSerializer)

    @extend_schema(request=CustomerCreateSerializer, responses={201: CustomerSerializer})
    def post(self, request: Request) -> Response:
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = customer_create(**data.validated_data, actor=self.actor, now=clock.now())
        return Response(CustomerSerializer(made).data, status=status.HTTP_201_CREATED)


class CustomerDetail(ApiView):
    required_scopes = {"GET": Scope.CUSTOMERS_READ}

    @extend_schema(responses=CustomerSerializer)
    def get(self, request: Request, key: str) -> Response:
        found = queries.customer(self.token.customer, key)
        if found is None:
            raise not_found()
        return Response(CustomerSerializer(found).data)


class CustomerAllowances(ApiView):
    """The customer's buckets of prepaid minutes (monthly allowances, packages), in expiry
    order: granted, used, expired and left, each the sum of its ledger."""

    required_scopes = {"GET": Scope.CONTRACTS_READ}

    @extend_schema(responses=AllowanceSerializer(many=True))
    def get(self, request: Request, key: str) -> Response:
        found = queries.customer(self.token.customer, key)
        if found is None:
            raise not_found()
        lines = contract_selectors.customer_allowances(customer=found)
        return self.paginated(lines, AllowanceSerializer)


class ContactList(ApiView):
    required_scopes = {"GET": Scope.CUSTOMERS_READ, "POST": Scope.CUSTOMERS_WRITE}

    @extend_schema(parameters=[ContactFilter], responses=ContactSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = queries.contacts(self.token.customer, self.query(ContactFilter))
        return self.paginated(rows, ContactSerializer)

    @extend_schema(request=ContactCreateSerializer, responses={201: ContactSerializer})
    def post(self, request: Request) -> Response:
        data = ContactCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        values["customer"] = body_customer(self, values["customer"])
        made = contact_create(**values, actor=self.actor, now=clock.now())
        return Response(ContactSerializer(made).data, status=status.HTTP_201_CREATED)


class ContactDetail(ApiView):
    required_scopes = {"GET": Scope.CUSTOMERS_READ}

    @extend_schema(responses=ContactSerializer)
    def get(self, request: Request, pk: int) -> Response:
        found = queries.contacts(self.token.customer, {}).filter(pk=min(pk, ID_MAX)).first()
        if found is None:
            raise not_found()
        return Response(ContactSerializer(found).data)


class ContractList(ApiView):
    required_scopes = {"GET": Scope.CONTRACTS_READ, "POST": Scope.CONTRACTS_WRITE}

    @extend_schema(parameters=[ContractFilter], responses=ContractSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = queries.contracts(self.token.customer, self.query(ContractFilter))
        return self.paginated(rows, ContractSerializer)

    @extend_schema(request=ContractCreateSerializer, responses={201: ContractSerializer})
    def post(self, request: Request) -> Response:
        data = ContractCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        values["customer"] = body_customer(self, values["customer"])
        values["plan"] = body_plan(values["plan"], "plan")
        if values["converts_to_plan"] is not None:
            values["converts_to_plan"] = body_plan(values["converts_to_plan"], "converts_to_plan")
        made = contract_create(**values, actor=self.actor, now=clock.now())
        return Response(ContractSerializer(made).data, status=status.HTTP_201_CREATED)


class ContractDetail(ApiView):
    required_scopes = {"GET": Scope.CONTRACTS_READ}

    @extend_schema(responses=ContractSerializer)
    def get(self, request: Request, pk: int) -> Response:
        found = queries.contracts(self.token.customer, {}).filter(pk=min(pk, ID_MAX)).first()
        if found is None:
            raise not_found()
        return Response(ContractSerializer(found).data)


def _plan_context() -> dict[str, Any]:
    return {"plan_spec": catalog_selectors.plan_spec}


class PlanList(ApiView):
    """The catalog: what the provider sells, each plan with its full spec."""

    required_scopes = {"GET": Scope.CATALOG_READ}

    @extend_schema(parameters=[PlanFilter], responses=PlanSerializer(many=True))
    def get(self, request: Request) -> Response:
        f = self.query(PlanFilter)
        rows = catalog_selectors.plan_list(is_active=f.get("is_active")).order_by("key")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            PlanSerializer(page, many=True, context=_plan_context()).data
        )


class PlanDetail(ApiView):
    required_scopes = {"GET": Scope.CATALOG_READ}

    @extend_schema(responses=PlanSerializer)
    def get(self, request: Request, key: str) -> Response:
        try:
            plan = catalog_selectors.plan_get(key=key)
        except Plan.DoesNotExist:
            raise not_found() from None
        return Response(PlanSerializer(plan, context=_plan_context()).data)
