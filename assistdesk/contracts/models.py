"""Contracts, package purchases and the allowance ledgers (DESIGN.md §2.3).

Ledgers are append-only: an `AllowanceBucket` is one source of prepaid minutes (a month's
included allowance of a contract, or a prepaid package bought) and its `AllowanceEntry`
rows are signed movements: grant (+), use (-), expiry (-, what was left when the bucket
expired) and reversal (the opposite of an earlier entry). A balance is the sum of the
entries, never a stored counter; a correction is a reversing entry. Rows of both tables
refuse to be updated or deleted, in `save()`/`delete()` and in their querysets.

`to_domain()` turns a bucket and its entries into the pure `domain.allowances.Bucket`, on
which consumption order, expiry and balances are computed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from assistdesk.catalog.models import Calendar, Plan
from assistdesk.common.models import TimeStampedModel
from assistdesk.customers.models import Customer
from assistdesk.domain import allowances as domain
from assistdesk.domain import catalog_spec
from assistdesk.domain.errors import SpecError


class BillingCycle(models.TextChoices):
    MONTHLY = "monthly", "monthly"
    ANNUAL = "annual", "annual"


class ContractState(models.TextChoices):
    TRIAL = "trial", "trial"  # a free trial, converts on its day
    ACTIVE = "active", "active"  # in force
    ENDED = "ended", "ended"  # over, not renewed
    CONVERTED = "converted", "converted"  # a trial that became another contract


class Contract(TimeStampedModel):
    """A customer bound to a plan from `start_on` (local dates in the plan's calendar).

    `ends_on` is the last day covered, blank while open-ended. A trial's conversion day
    is the day after its `ends_on`; a plan with `term_months` renews term by term.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contracts")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="contracts")
    start_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="last day covered")
    billing_cycle = models.CharField(
        max_length=10, choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    workstations = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=10, choices=ContractState.choices, default=ContractState.ACTIVE
    )
    is_auto_renewed = models.BooleanField(
        default=True, help_text="a fixed-term contract starts a new term when one ends"
    )
    converts_to_plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="a trial's chosen plan; blank: the plan's default",
    )
    converted_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="converted_to",
        help_text="the trial this contract continues",
    )
    extra_time_calendar = models.ForeignKey(
        Calendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Extra Time hours agreed for this contract; blank: the plan's",
    )

    class Meta:
        ordering = ["customer", "-start_on"]
        indexes = [models.Index(fields=["state", "ends_on"], name="contract_state_ends_on")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("start_on")),
                name="contract_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.plan.key} from {self.start_on}"

    def covers(self, on: date) -> bool:
        return self.start_on <= on and (self.ends_on is None or on <= self.ends_on)

    def extra_time_calendar_or_plans(self) -> Calendar | None:
        return self.extra_time_calendar or self.plan.extra_time_calendar

    def clean(self) -> None:
        if self.ends_on is not None and self.start_on and self.ends_on < self.start_on:
            raise ValidationError({"ends_on": "ends_on: before start_on"})
        if self.plan_id is not None and self.plan.is_package:
            raise ValidationError(
                {"plan": "plan: a package plan is bought as a package, not contracted"}
            )
        if self.converts_to_plan_id is not None and self.converts_to_plan_id == self.plan_id:
            raise ValidationError({"converts_to_plan": "converts_to_plan: the trial's own plan"})
        if self.converts_to_plan_id is not None and self.plan_id and not self.plan.is_trial:
            raise ValidationError({"converts_to_plan": "converts_to_plan: only a trial converts"})


class ContractCoefficient(models.Model):
    """The contract's own surcharge factor, applied to every labour line (§2.6 step 5)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="coefficients")
    name = models.SlugField(max_length=50)
    factor = models.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "name"], name="contractcoefficient_once_per_contract"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} x{self.factor}"

    def clean(self) -> None:
        if self.name in ("out_of_hours", "urgent"):
            raise ValidationError({"name": "name: out_of_hours and urgent belong to the plan"})
        if self.factor is not None:
            try:
                catalog_spec.parse_coefficient(self.name or "x", str(self.factor), "")
            except SpecError:
                raise ValidationError({"factor": "factor: must be greater than 0"}) from None


class ContractEventKind(models.TextChoices):
    CREATED = "created", "created"
    CONVERTED = "converted", "trial converted"
    RENEWED = "renewed", "renewed"
    ENDED = "ended", "ended"


class ContractEvent(models.Model):
    """What happened to a contract, who did it, when."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=ContractEventKind.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["contract", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"


# --- allowance ledgers -----------------------------------------------------------------------


class AppendOnlyError(Exception):
    """An attempt to change or delete a ledger row."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class BucketKind(models.TextChoices):
    MONTHLY = "monthly", "monthly allowance"
    PACKAGE = "package", "prepaid package"


class AllowanceBucket(AppendOnlyModel):
    """One source of prepaid minutes; its balance is the sum of its entries.

    `key` is the statement label ("monthly 2026-01", "package remote12 2026-01-10"),
    unique per customer. Usable while `granted_at <= at < expires_at`.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="buckets")
    kind = models.CharField(max_length=10, choices=BucketKind.choices)
    key = models.CharField(max_length=100)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="buckets"
    )
    month_on = models.DateField(null=True, blank=True, help_text="first day of the month")
    allowance_index = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="which of the plan's included allowances"
    )
    mode = models.CharField(max_length=10, blank=True, help_text="a package's mode")
    rate_keys = models.JSONField(default=list, blank=True, help_text="a monthly allowance's")
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    allows_overdraft = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["customer", "expires_at", "id"]
        indexes = [
            models.Index(fields=["customer", "expires_at"], name="bucket_customer_expires"),
            models.Index(fields=["expires_at"], name="bucket_expires"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="bucket_key_unique"),
            models.UniqueConstraint(
                fields=["contract", "month_on", "allowance_index"],
                condition=models.Q(kind="monthly"),
                name="bucket_one_grant_per_contract_month",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="bucket_expires_after_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.key}"

    def to_domain(self, entries: list[AllowanceEntry] | None = None) -> domain.Bucket:
        """The pure bucket with its ledger (`entries` if given, else loaded)."""
        rows = entries if entries is not None else list(self.entries.all())
        return domain.Bucket(
            key=self.key,
            kind=domain.BucketKind(self.kind),
            granted_at=self.granted_at,
            expires_at=self.expires_at,
            rate_keys=frozenset(self.rate_keys or ()),
            mode=self.mode or None,
            entries=tuple(e.to_domain() for e in sorted(rows, key=lambda e: (e.at, e.pk or 0))),
            allows_overdraft=self.allows_overdraft,
        )


class EntryKind(models.TextChoices):
    GRANT = "grant", "grant"
    USE = "use", "use"
    EXPIRY = "expiry", "expiry write-off"
    REVERSAL = "reversal", "reversal"


class AllowanceEntry(AppendOnlyModel):
    """One signed movement of minutes on a bucket; never changed, never deleted."""

    bucket = models.ForeignKey(AllowanceBucket, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    minutes = models.DecimalField(max_digits=16, decimal_places=6)
    at = models.DateTimeField(help_text="when it counts (a use: the ticket's closing)")
    ref = models.CharField(max_length=100, blank=True, help_text="e.g. the ticket")
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["bucket", "at", "id"]
        verbose_name_plural = "allowance entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="grant", minutes__gt=0, reverses__isnull=True)
                | models.Q(kind__in=["use", "expiry"], minutes__lt=0, reverses__isnull=True)
                | models.Q(kind="reversal", reverses__isnull=False),
                name="entry_sign_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.minutes} min on {self.bucket.key}"

    def to_domain(self) -> domain.Entry:
        return domain.Entry(
            kind=domain.EntryKind(self.kind),
            minutes=self.minutes,
            at=self.at,
            ref=self.ref,
            reverses=domain.EntryKind(self.reverses.kind) if self.reverses else None,
        )


class NoticeKind(models.TextChoices):
    LOW_BALANCE = "low_balance", "balance under the threshold"
    EXPIRING = "expiring", "package expiring soon"


class AllowanceNotice(models.Model):
    """A notice owed to the customer about a bucket, once per bucket and kind.

    The notification outbox (a later issue) picks up rows with `handed_over_at` empty,
    writes its message in the customer's language, and stamps `handed_over_at`.
    """

    bucket = models.ForeignKey(AllowanceBucket, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    at = models.DateTimeField()
    balance_minutes = models.DecimalField(max_digits=16, decimal_places=6)
    handed_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["bucket", "kind"], name="notice_once_per_bucket_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.bucket}"


class PackagePurchase(TimeStampedModel):
    """A prepaid package bought: its price, and the bucket its grant opened."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="purchases")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="purchases")
    purchased_at = models.DateTimeField()
    purchased_on = models.DateField(help_text="local date; the package is valid from it")
    expires_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    price_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    bucket = models.OneToOneField(
        AllowanceBucket, on_delete=models.PROTECT, related_name="purchase"
    )
    actor = models.CharField(max_length=150)

    class Meta:
        ordering = ["customer", "-purchased_at"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.plan.key} on {self.purchased_on}"

    def clean(self) -> None:
        if self.plan_id is not None and not self.plan.is_package:
            raise ValidationError({"plan": "plan: not a package plan (no package hours)"})
