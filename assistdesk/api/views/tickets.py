"""Tickets: open, list, read; the thread (reply); transitions; history; interventions.

A customer-scoped token acts as its company: it opens tickets for it, writes customer
replies (never internal notes), confirms (close) or reopens, and reads its own tickets'
public thread and interventions. Provider work (notes, dispatching, interventions,
history) needs a provider token.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import ListSerializer, Serializer

from assistdesk.api import queries
from assistdesk.api.base import ApiView
from assistdesk.api.models import Scope
from assistdesk.api.serializers.tickets import (
    CUSTOMER_ACTIONS,
    EventSerializer,
    InterventionCreateSerializer,
    InterventionFilter,
    InterventionSerializer,
    MessageSerializer,
    ReplyCreateSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketFilter,
    TicketSerializer,
    TransitionSerializer,
)
from assistdesk.api.views.customers import ID_MAX, body_customer, not_found
from assistdesk.common import clock
from assistdesk.customers.models import Contact, Customer
from assistdesk.tickets import selectors as ticket_selectors
from assistdesk.tickets import services as ticket_services
from assistdesk.tickets.models import Ticket

NUMBER_MAX = 2**31 - 1
READ_WRITE = {"GET": Scope.TICKETS_READ, "POST": Scope.TICKETS_WRITE}


def _detail(ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
    """The ticket as read by `queries.ticket` or as a service returned it (relations
    loaded); its targets are read if they were not, its rating only once it is closed."""
    if "targets" not in getattr(ticket, "_prefetched_objects_cache", {}):
        queries.with_targets(ticket)
    if ticket.state != "closed":
        return Response(_open_detail_serializer().to_representation(ticket), status=code)
    rating = ticket_selectors.ticket_rating
    data = TicketDetailSerializer(ticket, context={"ticket_rating": rating}).data
    return Response(data, status=code)


@functools.cache
def _open_detail_serializer() -> TicketDetailSerializer:
    """One detail serializer for tickets that are not closed, its fields built once.

    DRF builds a serializer's fields (and its targets' serializer's) for every instance,
    which costs more than representing the ticket; the fields keep no state between
    representations, and the only field reading the context is the rating, which for a
    ticket that is not closed is always None: the JSON is the same.
    """
    serializer = TicketDetailSerializer(context={"ticket_rating": _no_rating})
    targets = serializer.fields["targets"]
    assert isinstance(targets, ListSerializer)
    assert isinstance(targets.child, Serializer)
    targets.child.fields  # noqa: B018  (both built now, not by concurrent first requests)
    return serializer


def _no_rating(*, ticket: Ticket) -> None:
    return None  # a ticket is rated when it closes (§2.6): an open one has no rating


def _ticket(view: ApiView, number: int) -> Ticket:
    found = queries.ticket(view.token.customer, number) if number <= NUMBER_MAX else None
    if found is None:
        raise not_found()
    return found


def _contact(customer: Customer, pk: int | None, field: str) -> Contact | None:
    """A contact of `customer` (an id of another company's contact is no contact)."""
    if pk is None:
        return None
    found = queries.contacts(customer, {}).filter(pk=min(pk, ID_MAX)).first()
    if found is None:
        raise exceptions.ValidationError({field: [f"no contact {pk} of {customer.key}"]})
    return found


def _staff(username: str, field: str) -> User:
    found = User.objects.filter(username=username, is_active=True, is_staff=True).first()
    if found is None:
        raise exceptions.ValidationError({field: [f"no active staff member {username!r}"]})
    return found


class TicketList(ApiView):
    required_scopes = READ_WRITE

    @extend_schema(parameters=[TicketFilter], responses=TicketSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = queries.tickets(self.token.customer, self.query(TicketFilter))
        return self.paginated(rows, TicketSerializer)

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer})
    def post(self, request: Request) -> Response:
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        own = self.token.customer
        key = values.pop("customer", None) or (own.key if own is not None else None)
        if key is None:
            raise exceptions.ValidationError({"customer": ["a provider token names the customer"]})
        # The requester and its company in one query; the two lookups (and their
        # errors) only when that finds nothing.
        requester = None
        if values["requester"] is not None:
            requester = (
                queries.contacts(self.token.customer, {"customer": key})
                .filter(pk=min(values["requester"], ID_MAX))
                .first()
            )
        if requester is not None:
            customer = requester.customer
        else:
            customer = body_customer(self, key)
            requester = _contact(customer, values["requester"], "requester")
        values["requester"] = requester
        ticket = ticket_services.ticket_create(
            customer=customer, **values, actor=self.actor, now=clock.now()
        )
        return _detail(ticket, status.HTTP_201_CREATED)


class TicketDetail(ApiView):
    required_scopes = {"GET": Scope.TICKETS_READ}

    @extend_schema(responses=TicketDetailSerializer)
    def get(self, request: Request, number: int) -> Response:
        return _detail(_ticket(self, number))


class TicketMessages(ApiView):
    """The ticket's thread (a customer token: its public messages) and replies to it."""

    required_scopes = READ_WRITE

    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request: Request, number: int) -> Response:
        ticket = _ticket(self, number)
        messages = ticket_selectors.ticket_thread(
            ticket=ticket, include_internal=self.token.customer is None
        ).order_by("sent_at", "id")
        return self.paginated(messages, MessageSerializer)

    @extend_schema(request=ReplyCreateSerializer, responses={201: MessageSerializer})
    def post(self, request: Request, number: int) -> Response:
        ticket = _ticket(self, number)
        data = ReplyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        contact = _contact(ticket.customer, values["author_contact"], "author_contact")
        now = clock.now()
        if self.token.customer is not None:
            if not values["is_public"]:
                raise exceptions.ValidationError({"is_public": ["a customer writes no notes"]})
            message = ticket_services.ticket_customer_reply(
                ticket=ticket, body=values["body"], contact=contact, actor=self.actor, now=now
            )
        else:
            message = ticket_services.ticket_reply(
                ticket=ticket,
                body=values["body"],
                is_public=values["is_public"],
                author_contact=contact,
                author_user=self.token.user,
                actor=self.actor,
                now=now,
            )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class TicketTransitions(ApiView):
    """Move the ticket: the services walk and record every intermediate state."""

    required_scopes = {"POST": Scope.TICKETS_WRITE}

    @extend_schema(request=TransitionSerializer, responses={200: TicketDetailSerializer})
    def post(self, request: Request, number: int) -> Response:
        ticket = _ticket(self, number)
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        action, reason = values["action"], values["reason"]
        if self.token.customer is not None and action not in CUSTOMER_ACTIONS:
            raise exceptions.PermissionDenied(f"a customer token cannot {action} a ticket")
        actor, now = self.actor, clock.now()
        if action == "assign":
            if self.token.user is None:
                raise exceptions.PermissionDenied("assigning needs a dispatcher's own token")
            assignee = _staff(values["assignee"], "assignee")
            moved = ticket_services.ticket_assign(
                ticket=ticket, assignee=assignee, actor_user=self.token.user, now=now
            )
        elif action == "acknowledge":
            moved = ticket_services.ticket_acknowledge(ticket=ticket, actor=actor, now=now)
        elif action == "transition":
            moved = ticket_services.ticket_transition(
                ticket=ticket, to_state=values["to_state"], reason=reason, actor=actor, now=now
            )
        else:
            move = {
                "wait": ticket_services.ticket_wait_for_customer,
                "resolve": ticket_services.ticket_resolve,
                "close": ticket_services.ticket_close,
                "reopen": ticket_services.ticket_reopen,
            }[action]
            moved = move(ticket=ticket, reason=reason, actor=actor, now=now)
        return _detail(moved)


class TicketHistory(ApiView):
    """Everything that happened to the ticket: who, when, why (provider tokens only)."""

    required_scopes = {"GET": Scope.TICKETS_READ}
    staff_only_methods = ("GET",)

    @extend_schema(responses=EventSerializer(many=True))
    def get(self, request: Request, number: int) -> Response:
        ticket = _ticket(self, number)
        return self.paginated(ticket_selectors.ticket_history(ticket=ticket), EventSerializer)


class TicketInterventions(ApiView):
    required_scopes = READ_WRITE
    staff_only_methods = ("POST",)

    @extend_schema(responses=InterventionSerializer(many=True))
    def get(self, request: Request, number: int) -> Response:
        ticket = _ticket(self, number)
        return self.paginated(queries.ticket_interventions(ticket), InterventionSerializer)

    @extend_schema(request=InterventionCreateSerializer, responses={201: InterventionSerializer})
    def post(self, request: Request, number: int) -> Response:
        ticket = _ticket(self, number)
        data = InterventionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        name = values.pop("technician")
        values["technician"] = _staff(name, "technician") if name else self.token.user
        made = ticket_services.intervention_log(
            ticket=ticket, **values, actor=self.actor, now=clock.now()
        )
        found = queries.intervention(self.token.customer, made.pk)
        return Response(InterventionSerializer(found).data, status=status.HTTP_201_CREATED)


class InterventionList(ApiView):
    required_scopes = {"GET": Scope.TICKETS_READ}

    @extend_schema(parameters=[InterventionFilter], responses=InterventionSerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = queries.interventions(self.token.customer, self.query(InterventionFilter))
        return self.paginated(rows, InterventionSerializer)


class InterventionDetail(ApiView):
    required_scopes = {"GET": Scope.TICKETS_READ}

    @extend_schema(responses=InterventionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        found = queries.intervention(self.token.customer, min(pk, ID_MAX))
        if found is None:
            raise not_found()
        return Response(InterventionSerializer(found).data)
