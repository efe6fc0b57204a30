"""Interventions (one session of work on a ticket, §2.5) and the parts they used.

`to_domain()` gives the pure `domain.rating.Intervention` the rating works on. A part
needs the customer's approval when the customer asked to be told before any replacement
(seed 001); otherwise small parts are accepted automatically. A part still waiting for
an answer when the ticket is rated counts as not approved (charged 0, and the report
says so): the provider should have asked first.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from assistdesk.domain import rating
from assistdesk.tickets.models.tickets import Ticket


class InterventionMode(models.TextChoices):
    REMOTE = "remote", "remote"
    ONSITE = "onsite", "on site"
    PHONE = "phone", "phone"


class Activity(models.TextChoices):
    SUPPORT = "support", "support"
    PROGRAMMING = "programming", "programming"
    CHANGE = "change", "change"


class Intervention(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="interventions")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interventions",
    )
    mode = models.CharField(max_length=10, choices=InterventionMode.choices)
    activity = models.CharField(max_length=12, choices=Activity.choices)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    description = models.TextField(blank=True)
    km = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal(0))
    has_remote_tool_setup = models.BooleanField(
        "remote tool installed", default=False, help_text="labour counts at least 60 minutes"
    )
    is_warranty = models.BooleanField("warranty", default=False)
    is_follow_up = models.BooleanField(
        "free follow-up", default=False, help_text="the free visit owed after a non-resolving one"
    )
    is_resolved = models.BooleanField("resolved the problem", default=False)
    is_out_of_hours = models.BooleanField(
        default=False, help_text="started outside the plan calendar's working time"
    )
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["ticket", "start_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_at__gte=models.F("start_at")),
                name="intervention_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.activity} {self.start_at:%Y-%m-%d %H:%M}"

    @property
    def minutes(self) -> Decimal:
        """Labour minutes as the rating counts them (remote tool: at least 60)."""
        return self.to_domain().minutes

    def to_domain(self, parts: list[Part] | None = None) -> rating.Intervention:
        rows = parts if parts is not None else list(self.parts.all())
        return rating.Intervention(
            start_at=self.start_at,
            end_at=self.end_at,
            mode=self.mode,
            activity=self.activity,
            km=self.km,
            has_remote_tool_setup=self.has_remote_tool_setup,
            is_warranty=self.is_warranty,
            is_follow_up=self.is_follow_up,
            is_resolved=self.is_resolved,
            parts=tuple(p.to_domain() for p in rows),
        )


class Part(models.Model):
    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="parts")
    name = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    unit_price_amount = models.DecimalField(max_digits=12, decimal_places=2)
    needs_approval = models.BooleanField(
        default=False, help_text="the customer asked to be told before any replacement"
    )
    is_approved = models.BooleanField(null=True, blank=True, help_text="blank: no answer yet")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["intervention", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0, unit_price_amount__gte=0),
                name="part_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"

    @property
    def is_accepted(self) -> bool:
        """Whether the part may be charged: accepted automatically, or approved."""
        return not self.needs_approval or self.is_approved is True

    def to_domain(self) -> rating.Part:
        return rating.Part(
            name=self.name,
            quantity=self.quantity,
            unit_price_amount=self.unit_price_amount,
            is_approved=self.is_accepted,
        )
