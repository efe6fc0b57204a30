"""A closed ticket's rating (§2.6): its charges, kept with the ticket, billed when closed.

A ticket has at most one current rating. Reopening a closed ticket supersedes it
(`superseded_at`) and reverses its allowance uses; closing again writes a new one. The
rows are never edited otherwise: billing reads the current rating of the tickets closed
in a period, and can credit a superseded rating that was already invoiced.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from assistdesk.tickets.models.tickets import Ticket
from assistdesk.tickets.models.work import Intervention


class TicketRating(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="ratings")
    rated_at = models.DateTimeField(help_text="the closing instant: billed in its period")
    currency = models.CharField(max_length=3, help_text="the plan's currency")
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    labour_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    travel_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    parts_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    actor = models.CharField(max_length=150)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["ticket", "-rated_at", "-id"]
        indexes = [models.Index(fields=["rated_at"], name="ticketrating_rated_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(superseded_at__isnull=True),
                name="ticketrating_one_current_per_ticket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.total_amount} {self.currency}"


class ChargeType(models.TextChoices):
    LABOUR = "labour", "labour"
    TRAVEL = "travel", "travel"
    PART = "part", "part"


class Charge(models.Model):
    """One rated line, with everything FORMAT.md's `charges` shows and why (`explanation`).

    Minutes are Decimal (coefficients make consumed minutes fractional); amounts are in
    the rating's currency, each rounded once to the cent by the domain.
    """

    rating = models.ForeignKey(TicketRating, on_delete=models.CASCADE, related_name="charges")
    ordinal = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=10, choices=ChargeType.choices)
    intervention = models.ForeignKey(
        Intervention,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        help_text="a labour line's first intervention; a trip's or a part's own",
    )
    intervention_numbers = models.JSONField(
        default=list, blank=True, help_text="the interventions (by number, 1 = first) it covers"
    )
    # labour
    rate_key = models.CharField(max_length=50, blank=True)
    mode = models.CharField(max_length=10, blank=True)
    minutes = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    billed_minutes = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    coefficient = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    coefficient_names = models.JSONField(default=list, blank=True)
    allowance_minutes = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    debits = models.JSONField(default=list, blank=True, help_text="[{bucket, minutes}]")
    gross_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    discount = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # travel
    km = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    is_in_town = models.BooleanField(null=True, blank=True)
    # part
    name = models.CharField(max_length=200, blank=True)
    quantity = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    unit_price_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # every line
    free_reason = models.CharField(max_length=200, blank=True, help_text="why it costs nothing")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    explanation = models.TextField()

    class Meta:
        ordering = ["rating", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "ordinal"], name="charge_ordinal_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.amount}"
