"""Exchange rates, billing periods, invoices, credit notes, credits and statements (§2.7).

Terms
- *exchange rate*: `rate` units of `to_currency` for one unit of `from_currency`, as a
  central bank published it on `published_on` (BNR: RON per unit; ECB: units per EUR).
  A feed that quotes per 100 units (BNR's HUF, JPY, KRW) is divided by its `multiplier`
  on import, exactly; the multiplier is kept for the record.
- *billing period*: a calendar month, `YYYY-MM`; an *invoicing run* bills one period.
- *invoice*: what a customer owes for one period, in the customer's currency, numbered
  per series and year without gaps. *credit note*: a negative invoice correcting an
  issued one, numbered in its own series.
- *line*: one priced item; it remembers where it came from (contract and month, package
  purchase, ticket rating, credit, corrected line), its amount in the plan's currency and
  in the invoice's, and the rate used between them.

Invariants
- An issued invoice and its lines never change and are never deleted: `save()` on an
  existing row, `delete()` and queryset `update()`/`delete()` raise `ImmutableError`.
- One invoice per customer and period; a fee, package purchase, rating line or credit is
  billed at most once (partial unique constraints), so a repeated run issues nothing new.
- `net_amount` is the sum of the lines; `total_amount = net_amount + vat_amount`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from assistdesk.common.models import TimeStampedModel
from assistdesk.contracts.models import Contract, PackagePurchase
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import TicketRating


class ImmutableError(Exception):
    """An attempt to change or delete an issued invoice or one of its lines."""


class ImmutableQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableError(f"an issued {self.model.__name__} never changes")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError(f"an issued {self.model.__name__} is never deleted")


class ImmutableModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"an issued {type(self).__name__} never changes")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(f"an issued {type(self).__name__} is never deleted")


# --- exchange rates --------------------------------------------------------------------------


class FxSource(models.TextChoices):
    BNR = "bnr", "National Bank of Romania"
    ECB = "ecb", "European Central Bank"
    MANUAL = "manual", "entered by hand"


class ExchangeRate(TimeStampedModel):
    """One published reference rate: `rate` `to_currency` per one `from_currency`."""

    source = models.CharField(max_length=10, choices=FxSource.choices)
    published_on = models.DateField(help_text="the date the bank's feed gives the rate")
    from_currency = models.CharField(max_length=3)
    to_currency = models.CharField(max_length=3)
    rate = models.DecimalField(
        max_digits=24, decimal_places=12, help_text="per one unit of from_currency"
    )
    multiplier = models.PositiveIntegerField(
        default=1, help_text="units the feed quoted for (BNR: 100 for HUF, JPY, KRW)"
    )

    class Meta:
        ordering = ["-published_on", "source", "from_currency", "to_currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "published_on", "from_currency", "to_currency"],
                name="exchangerate_once_per_day",
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_positive"),
        ]
        indexes = [
            models.Index(
                fields=["from_currency", "to_currency", "published_on"], name="exchangerate_pair"
            )
        ]

    def __str__(self) -> str:
        pair = f"1 {self.from_currency} = {self.rate} {self.to_currency}"
        return f"{self.source} {self.published_on}: {pair}"


# --- periods and runs ------------------------------------------------------------------------


class BillingPeriod(TimeStampedModel):
    """A calendar month that is invoiced together."""

    key = models.CharField(max_length=7, unique=True, help_text="YYYY-MM")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="last day of the month")

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return self.key


class BillingRun(models.Model):
    """One invoicing run of a period: when, by whom, what it issued, what it could not."""

    period = models.ForeignKey(BillingPeriod, on_delete=models.PROTECT, related_name="runs")
    invoice_on = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.CharField(max_length=150)
    invoices_issued = models.PositiveIntegerField(default=0)
    lines_issued = models.PositiveIntegerField(default=0)
    customers_already_invoiced = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="customer key: why not billed")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"run {self.period} dated {self.invoice_on} at {self.started_at:%Y-%m-%d %H:%M}"


# --- invoices --------------------------------------------------------------------------------


class InvoiceSeries(models.Model):
    """The last number given in a series and year; locked while the next one is taken."""

    code = models.CharField(
        max_length=10, blank=True, help_text='"" for invoices, CN for credit notes'
    )
    year = models.PositiveSmallIntegerField()
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "invoice series"
        constraints = [
            models.UniqueConstraint(fields=["code", "year"], name="invoiceseries_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.code or 'invoices'} {self.year}: {self.last_sequence}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "invoice"
    CREDIT_NOTE = "credit_note", "credit note"


class Invoice(ImmutableModel):
    """An issued invoice or credit note; the customer's details as they were at issue."""

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    period = models.ForeignKey(BillingPeriod, on_delete=models.PROTECT, related_name="invoices")
    run = models.ForeignKey(
        BillingRun, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    series = models.CharField(max_length=10, blank=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=30, unique=True)
    issued_on = models.DateField()
    issued_at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    # the customer as invoiced
    customer_name = models.CharField(max_length=200)
    customer_vat_id = models.CharField(max_length=32, blank=True)
    customer_country = models.CharField(max_length=2)
    language = models.CharField(max_length=2)
    # money
    currency = models.CharField(max_length=3)
    net_amount = models.DecimalField(max_digits=14, decimal_places=2)
    vat_amount = models.DecimalField(max_digits=14, decimal_places=2)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="blank: reverse charge"
    )
    is_reverse_charge = models.BooleanField(default=False)
    # the conversion, when lines were priced in another currency
    fx_rate = models.DecimalField(
        max_digits=24,
        decimal_places=12,
        null=True,
        blank=True,
        help_text="applied: central rate x (1 + markup)",
    )
    fx_central_rate = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    fx_markup = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    fx_from_currency = models.CharField(max_length=3, blank=True)
    fx_source = models.CharField(max_length=10, choices=FxSource.choices, blank=True)
    fx_published_on = models.DateField(null=True, blank=True)
    # a credit note
    credited_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    reason = models.CharField(max_length=300, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period"],
                condition=models.Q(kind="invoice"),
                name="invoice_once_per_customer_period",
            ),
            models.UniqueConstraint(
                fields=["series", "year", "sequence"], name="invoice_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", credited_invoice__isnull=True)
                | models.Q(kind="credit_note", credited_invoice__isnull=False),
                name="invoice_credit_note_credits_an_invoice",
            ),
        ]
        indexes = [models.Index(fields=["issued_on"], name="invoice_issued_on")]

    def __str__(self) -> str:
        return f"{self.number} {self.customer_name} {self.total_amount} {self.currency}"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


class LineKind(models.TextChoices):
    FEE = "fee", "fee"
    PACKAGE = "package", "package"
    LABOUR = "labour", "labour"
    TRAVEL = "travel", "travel"
    PART = "part", "part"
    CREDIT = "credit", "credit"


class LineSource(models.TextChoices):
    MONTHLY_FEE = "monthly_fee", "monthly fee"
    ANNUAL_FEE = "annual_fee", "annual fee"
    WORKSTATION_FEE = "workstation_fee", "per-workstation fee"
    PACKAGE = "package", "package bought"
    TICKET = "ticket", "rated ticket"
    TICKET_REVERSAL = "ticket_reversal", "rated ticket taken back (reopened)"
    CREDIT = "credit", "credit"
    CORRECTION = "correction", "credit note line"


FEE_SOURCES = [LineSource.MONTHLY_FEE, LineSource.ANNUAL_FEE, LineSource.WORKSTATION_FEE]


class InvoiceLine(ImmutableModel):
    """One line of an invoice, with where it came from and how it was priced."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    source = models.CharField(max_length=20, choices=LineSource.choices)
    description = models.CharField(max_length=300)
    plan_key = models.CharField(max_length=50, blank=True)
    ticket_label = models.CharField(max_length=100, blank=True, help_text="ticket number or key")
    quantity = models.DecimalField(max_digits=12, decimal_places=4, default=1)
    # in the plan's currency, before conversion
    source_currency = models.CharField(max_length=3)
    source_unit_amount = models.DecimalField(max_digits=14, decimal_places=4)
    source_amount = models.DecimalField(max_digits=14, decimal_places=2)
    fx_rate = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    # in the invoice's currency
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # where it came from
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    month_on = models.DateField(null=True, blank=True, help_text="a fee's month (first day)")
    purchase = models.ForeignKey(
        PackagePurchase, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rating = models.ForeignKey(
        TicketRating, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credit = models.ForeignKey(
        "Credit", on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    credited_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "month_on", "source"],
                condition=models.Q(source__in=FEE_SOURCES),
                name="invoiceline_fee_once",
            ),
            models.UniqueConstraint(
                fields=["purchase"],
                condition=models.Q(source="package"),
                name="invoiceline_package_once",
            ),
            models.UniqueConstraint(
                fields=["rating", "kind"],
                condition=models.Q(source="ticket"),
                name="invoiceline_rating_kind_once",
            ),
            models.UniqueConstraint(
                fields=["credited_line"],
                condition=models.Q(source="ticket_reversal"),
                name="invoiceline_reversal_once",
            ),
            models.UniqueConstraint(
                fields=["credit"],
                condition=models.Q(source="credit"),
                name="invoiceline_credit_once",
            ),
            models.UniqueConstraint(
                fields=["invoice", "position"], name="invoiceline_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class Credit(TimeStampedModel):
    """An amount the provider owes the customer, deducted as a line of a coming invoice.

    Pending until a line bills it; `amount` is positive and in the invoice currency (the
    customer's), so deducting it needs no conversion.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credits")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=300)
    granted_on = models.DateField(help_text="deducted from the first invoice dated on or after")
    actor = models.CharField(max_length=150)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer", "granted_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_positive")
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.amount} {self.currency} ({self.reason})"


class InvoiceDocument(models.Model):
    """The PDF of an invoice as sent, and when it was handed to the outbox.

    Kept beside the invoice, never on it: rendering and sending happen after issue.
    """

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="document")
    pdf = models.BinaryField()
    rendered_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, help_text="handed to the outbox")
    outbox_ref = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"PDF of {self.invoice.number}"


class Statement(models.Model):
    """A customer's monthly statement (§2.7) as sent: PDF and when it went out."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="statements")
    period = models.ForeignKey(BillingPeriod, on_delete=models.PROTECT, related_name="statements")
    language = models.CharField(max_length=2)
    pdf = models.BinaryField()
    issued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    outbox_ref = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "period"], name="statement_once_per_customer_period"
            )
        ]

    def __str__(self) -> str:
        return f"statement {self.period} {self.customer}"
