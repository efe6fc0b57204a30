"""Tickets, their thread, history, transitions and interventions as the API shows them.

Input field names are the services' keyword names, so a `TicketError("severity", ...)`
from `ticket_create` names the body field the client sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assistdesk.api.serializers.fields import InstantField
from assistdesk.catalog.models import Origin, Plan
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import (
    Activity,
    Intervention,
    InterventionMode,
    Message,
    Part,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketTarget,
)
from assistdesk.tickets.states import TicketState

TEXT_MAX = 100_000
SEVERITIES = [(1, "1 high (blocking)"), (2, "2 medium (partial)"), (3, "3 low (notice)")]
STATES = [(s.value, s.value) for s in TicketState]

# --- tickets --------------------------------------------------------------------------------


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    customer: serializers.SlugRelatedField[Customer] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    plan: serializers.SlugRelatedField[Plan] = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )
    assignee: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    reference = serializers.CharField(read_only=True, help_text="AD-000123")
    severity = serializers.ChoiceField(choices=SEVERITIES, read_only=True)
    state = serializers.ChoiceField(choices=STATES, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "number", "reference", "customer", "requester", "contract", "plan", "origin",
            "subject", "severity", "is_urgent", "kind", "state", "assignee", "received_at",
            "is_out_of_hours", "needs_follow_up", "is_escalated_onsite", "priority_rank",
            "next_due_at", "resolved_at", "closed_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class TargetSerializer(serializers.ModelSerializer[TicketTarget]):
    class Meta:
        model = TicketTarget
        fields = ["kind", "due_at", "actual_at", "met", "late_minutes", "is_overdue"]
        read_only_fields = fields


class RatingSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField(read_only=True)
    total_amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    rated_at = serializers.DateTimeField(read_only=True)


class TicketDetailSerializer(TicketSerializer):
    targets = TargetSerializer(many=True, read_only=True, help_text="the SLA targets that apply")
    rating = serializers.SerializerMethodField(help_text="the charges once closed")

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "targets", "rating"]
        read_only_fields = fields

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, ticket: Ticket) -> dict[str, Any] | None:
        rating = self.context["ticket_rating"](ticket=ticket)
        return None if rating is None else RatingSerializer(rating).data


class TicketCreateSerializer(serializers.Serializer[Any]):
    customer = serializers.SlugField(
        max_length=50, required=False, help_text="the customer's key (a customer token: its own)"
    )
    requester = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="a contact's id"
    )
    origin = serializers.ChoiceField(choices=Origin.choices, default=Origin.WEB)
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=SEVERITIES, default=3)
    urgent = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="blank: severity 1 is urgent"
    )
    kind = serializers.ChoiceField(choices=TicketKind.choices, default=TicketKind.SUPPORT)
    received_at = InstantField(required=False, help_text="blank: now; never in the future")


class TicketFilter(serializers.Serializer[Any]):
    customer = serializers.SlugField(max_length=50, required=False)
    state = serializers.ChoiceField(choices=STATES, required=False)
    origin = serializers.ChoiceField(choices=Origin.choices, required=False)
    severity = serializers.ChoiceField(choices=SEVERITIES, required=False)
    kind = serializers.ChoiceField(choices=TicketKind.choices, required=False)
    assignee = serializers.CharField(max_length=150, required=False, help_text="a username")
    is_open = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: in the queue"
    )
    updated_since = InstantField(required=False)
    received_since = InstantField(required=False)
    ordering = serializers.ChoiceField(
        choices=[
            "queue", "number", "-number", "received_at", "-received_at", "updated_at",
            "-updated_at", "severity", "-severity",
        ],
        default="-received_at",
        help_text="queue: the desk's order (priority, severity, due time, receipt)",
    )  # fmt: skip


# --- thread and history ---------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer[Message]):
    author_user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Message
        fields = [
            "id", "kind", "is_public", "author_user", "author_contact", "body_text", "body_html",
            "sent_at", "planned_at", "planned_mode", "expected_minutes",
        ]  # fmt: skip
        read_only_fields = fields


class ReplyCreateSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=TEXT_MAX)
    is_public = serializers.BooleanField(default=True, help_text="false: an internal note")
    author_contact = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None,
        help_text="the customer's words, entered by staff (a call noted down)",
    )  # fmt: skip


class EventSerializer(serializers.ModelSerializer[TicketEvent]):
    class Meta:
        model = TicketEvent
        fields = [
            "id", "kind", "at", "recorded_at", "actor", "reason", "from_state", "to_state", "data",
        ]  # fmt: skip
        read_only_fields = fields


ACTIONS = ["acknowledge", "assign", "wait", "resolve", "close", "reopen", "transition"]
CUSTOMER_ACTIONS = frozenset({"close", "reopen"})


class TransitionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(
        choices=ACTIONS,
        help_text="acknowledge; assign (needs assignee, a dispatcher's token); wait for the "
        "customer (needs reason); resolve; close (the requester confirms; rates the ticket); "
        "reopen (needs reason); transition (one step to to_state). A customer token: close "
        "and reopen only.",
    )
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    assignee = serializers.CharField(max_length=150, required=False, help_text="a username")
    to_state = serializers.ChoiceField(choices=STATES, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        needs = {"assign": "assignee", "transition": "to_state"}.get(attrs["action"])
        if needs and not attrs.get(needs):
            raise serializers.ValidationError({needs: f"needed to {attrs['action']}"})
        return attrs


# --- interventions --------------------------------------------------------------------------


class PartSerializer(serializers.ModelSerializer[Part]):
    class Meta:
        model = Part
        fields = ["id", "name", "quantity", "unit_price_amount", "needs_approval", "is_approved"]
        read_only_fields = fields


class InterventionSerializer(serializers.ModelSerializer[Intervention]):
    ticket: serializers.SlugRelatedField[Ticket] = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )
    technician: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    parts = PartSerializer(many=True, read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id", "ticket", "technician", "mode", "activity", "start_at", "end_at", "description",
            "km", "has_remote_tool_setup", "is_warranty", "is_follow_up", "is_resolved",
            "is_out_of_hours", "parts", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class PartInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    quantity = serializers.DecimalField(
        max_digits=10, decimal_places=3, min_value=Decimal(0), default=Decimal(1)
    )
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0))
    approved = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="the customer answered already"
    )


class InterventionCreateSerializer(serializers.Serializer[Any]):
    technician = serializers.CharField(
        max_length=150, required=False, allow_null=True, default=None,
        help_text="a username; blank: the token's staff member",
    )  # fmt: skip
    mode = serializers.ChoiceField(choices=InterventionMode.choices)
    activity = serializers.ChoiceField(choices=Activity.choices, default=Activity.SUPPORT)
    start_at = InstantField()
    end_at = InstantField()
    description = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, default="")
    km = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal(0), default=Decimal(0)
    )
    remote_tool_setup = serializers.BooleanField(default=False)
    warranty = serializers.BooleanField(default=False)
    follow_up = serializers.BooleanField(default=False)
    resolved = serializers.BooleanField(default=False)
    parts = serializers.ListField(child=PartInputSerializer(), default=list, max_length=100)


class InterventionFilter(serializers.Serializer[Any]):
    customer = serializers.SlugField(max_length=50, required=False)
    ticket = serializers.IntegerField(min_value=1, max_value=2_000_000_000, required=False)
    technician = serializers.CharField(max_length=150, required=False, help_text="a username")
    mode = serializers.ChoiceField(choices=InterventionMode.choices, required=False)
    started_since = InstantField(required=False)
    recorded_since = InstantField(required=False)
