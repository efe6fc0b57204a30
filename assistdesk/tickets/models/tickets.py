"""The ticket, its number sequence, its event history and its stored SLA targets.

A ticket remembers the contract in force when it was received and that contract's plan:
rating uses "the plan in force when the ticket was received" (§2.6) whatever happens to
the contract later (conversion, renewal, end). The queue columns (`priority_rank`,
`severity`, `next_due_at`, `received_at`, `needs_follow_up`, `in_queue`) are copies kept
by the services so that the queue is one indexed query (§2.4 order).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from assistdesk.catalog.models import Origin, Plan
from assistdesk.common.models import TimeStampedModel
from assistdesk.contracts.models import Contract
from assistdesk.customers.models import Contact, Customer
from assistdesk.tickets.states import TicketState

TAG_PREFIX = "AD"


class TicketKind(models.TextChoices):
    SUPPORT = "support", "support"
    CHANGE = "change", "change"
    DEVELOPMENT = "development", "development"


SEVERITY_CHOICES = [(1, "1 high (blocking)"), (2, "2 medium (partial)"), (3, "3 low (notice)")]


class TicketNumberSequence(models.Model):
    """The last ticket number given; its row is locked while a number is taken (no gaps)."""

    key = models.CharField(max_length=20, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last_number}"


class Ticket(TimeStampedModel):
    number = models.PositiveIntegerField(unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        help_text="the contract in force at receipt",
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        help_text="the contract's plan at receipt: its SLA and rates apply",
    )
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    origin = models.CharField(max_length=12, choices=Origin.choices)
    subject = models.CharField(max_length=300)
    severity = models.PositiveSmallIntegerField(choices=SEVERITY_CHOICES, default=3)
    is_urgent = models.BooleanField("urgent", default=False)
    kind = models.CharField(max_length=12, choices=TicketKind.choices, default=TicketKind.SUPPORT)
    state = models.CharField(
        max_length=20,
        choices=[(s.value, s.value.replace("_", " ")) for s in TicketState],
        default=TicketState.NEW,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    received_at = models.DateTimeField(help_text="the mail's arrival, the call, the alert")
    is_out_of_hours = models.BooleanField(
        default=False, help_text="received outside the plan calendar's working time (Extra Time)"
    )
    needs_follow_up = models.BooleanField(
        default=False, help_text="a non-resolving intervention owes a free visit: top priority"
    )
    is_escalated_onsite = models.BooleanField(
        default=False, help_text="remote work could not solve it: an on-site visit is needed"
    )
    # The mail that opened the ticket: notifications thread under it, and none is sent
    # when a robot wrote it (a monitoring system: nobody reads the answer, and a robot
    # might answer it). Copied from the request so a notification reads no other row.
    request_mail_id = models.CharField(
        max_length=255, blank=True, help_text="Message-ID of the mail that opened it"
    )
    is_request_from_robot = models.BooleanField(
        default=False, help_text="a program wrote the request: the requester is never mailed"
    )
    # Queue and reporting copies, kept by the services.
    priority_rank = models.PositiveSmallIntegerField(help_text="the plan's priority: 1 first")
    next_due_at = models.DateTimeField(
        null=True, blank=True, help_text="earliest due instant of the targets still open"
    )
    in_queue = models.BooleanField(default=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        permissions = [("dispatch_ticket", "Can assign tickets to technicians (dispatcher)")]
        indexes = [
            # The queue (§2.4): one index scan, in the exact ORDER BY of `ticket_queue`.
            # SQLite cannot index NULLS LAST: there the open tickets are sorted after the
            # index scan; PostgreSQL's ascending default already puts NULLs last.
            models.Index(
                fields=[
                    "-needs_follow_up",
                    "priority_rank",
                    "severity",
                    "next_due_at",
                    "received_at",
                    "id",
                ],
                condition=models.Q(in_queue=True),
                name="ticket_queue_order",
            ),
            models.Index(fields=["state", "resolved_at"], name="ticket_state_resolved"),
            models.Index(fields=["customer", "closed_at"], name="ticket_customer_closed"),
            models.Index(fields=["customer", "received_at"], name="ticket_customer_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=[1, 2, 3]), name="ticket_severity_1_2_3"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        """The number as people and ledgers quote it: AD-000123."""
        return f"{TAG_PREFIX}-{self.number:06d}"

    @property
    def subject_tag(self) -> str:
        """The tag mail subjects carry so replies thread: [AD#123]."""
        return f"[{TAG_PREFIX}#{self.number}]"

    @property
    def ticket_state(self) -> TicketState:
        return TicketState(self.state)


class EventKind(models.TextChoices):
    CREATED = "created", "created"
    TRANSITION = "transition", "state changed"
    ACKNOWLEDGEMENT = "acknowledgement", "acknowledged to the customer"
    CLASSIFIED = "classified", "classified"
    ASSIGNED = "assigned", "assigned"
    CONTRACT_SET = "contract_set", "contract set"
    REPLY = "reply", "public reply"
    NOTE = "note", "internal note"
    CONFIRMATION = "confirmation", "confirmation of intervention"
    CUSTOMER_REPLY = "customer_reply", "customer replied"
    ATTACHMENT = "attachment", "attachment added"
    INTERVENTION = "intervention", "intervention logged"
    ESCALATED = "escalated", "escalated on site"
    PART_APPROVAL = "part_approval", "part approved or refused"
    RATED = "rated", "rated"
    RATING_SUPERSEDED = "rating_superseded", "rating superseded"


class TicketEvent(models.Model):
    """One thing that happened to a ticket: who, when, why; never changed.

    `at` is when it counts (an intervention's start), `recorded_at` when it was written.
    `sla_type` is the `domain.sla.EventType` the event means to the SLA clocks, blank
    when it means nothing to them; the SLA is recomputed from these rows alone.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    sla_type = models.CharField(max_length=20, blank=True)
    mode = models.CharField(max_length=10, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["ticket", "at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_at")]

    def __str__(self) -> str:
        move = f" {self.from_state} → {self.to_state}" if self.to_state else ""
        return f"{self.kind}{move} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"


class TicketTarget(models.Model):
    """A target of the ticket's plan as it stands: recomputed on every event.

    One row per target that applies (§2.2), in the plan's order (`ordinal`). While open,
    `actual_at` and `met` are empty and `late_minutes` is the lateness so far.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="targets")
    ordinal = models.PositiveSmallIntegerField(help_text="the target's place in the plan")
    kind = models.CharField(max_length=12)
    due_at = models.DateTimeField()
    actual_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True, blank=True)
    late_minutes = models.PositiveIntegerField(default=0)
    is_overdue = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["ticket", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "ordinal"], name="tickettarget_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M}"
