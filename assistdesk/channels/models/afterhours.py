"""The after-hours line (seed 002 "Extra Time"): IVR lines, PIN guards, attempts, on-call rota.

- `IvrLine`: the phone system that calls us, with its own secret (SHA-256 stored, the
  plaintext shown once) and the language it prompts in before a customer is known.
- `AfterHoursAccess`: one row per customer that has called: the keypad customer code a
  caller from an unknown number types, and the support PIN's counter of wrong attempts
  and its lock. The row is locked (`select_for_update`) while a PIN is checked, so the
  count holds across concurrent calls from any number.
- `PinAttempt`: every attempt that got as far as a PIN check or a refusal, for the staff;
  attempts on a locked PIN are only counted on `AfterHoursAccess`.
- `OnCallShift`: who answers the after-hours line between two instants, and on which phone.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from assistdesk.customers.models import Customer, Language
from assistdesk.tickets.models import Ticket


class IvrLine(models.Model):
    name = models.SlugField(max_length=50, unique=True)
    secret_hash = models.CharField(
        max_length=64, unique=True, editable=False, help_text="SHA-256, hex"
    )
    language = models.CharField(
        max_length=2,
        choices=Language.choices,
        default=Language.EN,
        help_text="prompts before the customer is known, and every refusal",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "IVR line"

    def __str__(self) -> str:
        return self.name


customer_code_validator = RegexValidator(r"^[0-9]{4,10}$", "4 to 10 digits")


class AfterHoursAccess(models.Model):
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="after_hours_access"
    )
    customer_code = models.CharField(
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[customer_code_validator],
        help_text="typed on the keypad when calling from a number we do not know; "
        "blank: only registered contact numbers can call",
    )
    failed_count = models.PositiveIntegerField(
        default=0, help_text="wrong PINs since the last right one or the last unlock"
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    is_locked_until_reset = models.BooleanField(default=False)
    refused_while_locked = models.PositiveIntegerField(
        default=0, help_text="attempts refused unread because the PIN was locked"
    )
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_refused_at = models.DateTimeField(null=True, blank=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["customer"]
        verbose_name = "after-hours access"
        verbose_name_plural = "after-hours access"

    def __str__(self) -> str:
        return f"{self.customer} after-hours access"

    def is_locked(self, now: datetime) -> bool:
        return self.is_locked_until_reset or (
            self.locked_until is not None and now < self.locked_until
        )


class PinResult(models.TextChoices):
    GRANTED = "granted", "PIN right, Extra Time now"
    NOT_COVERED = "not_covered", "PIN right, no Extra Time now"
    WRONG_PIN = "wrong_pin", "wrong PIN"
    NO_PIN = "no_pin", "refused: the customer has no PIN"
    UNKNOWN_CUSTOMER = "unknown_customer", "refused: no such customer key or code"
    UNIDENTIFIED = "unidentified", "caller's number unknown: customer code asked for"


class PinAttempt(models.Model):
    at = models.DateTimeField()
    line = models.ForeignKey(IvrLine, on_delete=models.SET_NULL, null=True, blank=True)
    caller = models.CharField(max_length=40, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    result = models.CharField(max_length=20, choices=PinResult.choices)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "at"], name="pinattempt_customer_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.caller or 'withheld'}: {self.result}"


class OnCallShift(models.Model):
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="on_call_shifts",
        limit_choices_to={"is_staff": True},
    )
    phone = models.CharField(max_length=40, help_text="the number the line connects callers to")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="oncallshift_span")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="oncallshift_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "ends_at: after starts_at"})
        if self.phone and sum(ch.isdigit() for ch in self.phone) < 3:
            raise ValidationError({"phone": "phone: a number to dial"})
