"""Monitoring webhooks: sources, the alert ↔ ticket links, and alerts waiting for a dispatcher.

A `MonitoringSource` is one sender (an Alertmanager, a Zabbix server, a tool posting the
generic events-v2 shape) with its own secret; only the secret's SHA-256 is stored, the
plaintext is shown once. It says how an alert finds its customer (rules on labels, a
label holding the customer key, a default) and its severity (a label's value through a
map).

An `AlertLink` ties one incident of one alert to its ticket. The incident is named by the
source's de-duplication key (Alertmanager: `fingerprint@startsAt`, Zabbix: `event_id`,
generic: `dedup_key`). At most one link per key is `firing` at a time (a partial unique
index), which is what makes concurrent deliveries of the same alert open one ticket.

A `QuarantinedAlert` keeps what could not be turned into a ticket (no customer found,
the ticket refused, a payload we could not read) so nothing a monitor sends is lost.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from assistdesk.customers.models import Customer
from assistdesk.tickets.models import Ticket


class MonitoringKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager (webhook v4)"
    ZABBIX = "zabbix", "Zabbix (helpdesk media type)"
    GENERIC = "generic", "generic JSON (events-v2 shape)"


def default_severity_map() -> dict[str, int]:
    """Alertmanager's customary labels, Zabbix's six names and the events-v2 four, to 1/2/3.

    Seed 002: 1 = blocking, 2 = partial, 3 = a notice.
    """
    return {
        "critical": 1,
        "disaster": 1,
        "high": 1,
        "error": 2,
        "average": 2,
        "warning": 2,
        "info": 3,
        "information": 3,
        "not classified": 3,
        "none": 3,
    }


class MonitoringSource(models.Model):
    name = models.SlugField(max_length=50, unique=True, help_text="the last part of its URL")
    kind = models.CharField(max_length=20, choices=MonitoringKind.choices)
    secret_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256, hex")
    is_active = models.BooleanField(default=True)
    default_customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="the customer of an alert no rule maps; blank: such alerts wait in quarantine",
    )
    customer_label = models.CharField(
        max_length=100,
        blank=True,
        help_text="a label (Zabbix: tag) whose value is the customer's key, e.g. customer",
    )
    customer_rules = models.JSONField(
        default=list,
        blank=True,
        help_text='checked first, in order: [{"label": "group", "value": "acme-prod", '
        '"customer": "acme"}]',
    )
    severity_label = models.CharField(
        max_length=100,
        default="severity",
        help_text="Alertmanager: the label holding the severity (Zabbix and generic payloads "
        "have a severity field)",
    )
    severity_map = models.JSONField(
        default=default_severity_map, help_text='label value → 1, 2 or 3: {"critical": 1}'
    )
    default_severity = models.PositiveSmallIntegerField(
        default=2, help_text="when the alert has no severity the map knows"
    )
    resolve_on_recovery = models.BooleanField(
        default=True, help_text="a resolved alert resolves its ticket (a note is added anyway)"
    )
    created_at = models.DateTimeField()
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_severity__in=[1, 2, 3]),
                name="monitoringsource_default_severity_1_2_3",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        rules = self.customer_rules
        if not isinstance(rules, list):
            errors["customer_rules"] = "customer_rules: a list of {label, value, customer}"
        else:
            for index, rule in enumerate(rules):
                where = f"customer_rules[{index}]"
                if not isinstance(rule, dict) or not {"label", "value", "customer"} <= set(rule):
                    errors["customer_rules"] = f"{where}: expected {{label, value, customer}}"
                    break
                if not Customer.objects.filter(key=str(rule["customer"])).exists():
                    errors["customer_rules"] = (
                        f"{where}.customer: no customer with the key {rule['customer']!r}"
                    )
                    break
        severity_map = self.severity_map
        if not isinstance(severity_map, dict) or any(
            isinstance(v, bool) or v not in (1, 2, 3) for v in severity_map.values()
        ):
            errors["severity_map"] = 'severity_map: {"label value": 1, 2 or 3, ...}'
        if self.default_severity not in (1, 2, 3):
            errors["default_severity"] = "default_severity: 1, 2 or 3"
        if errors:
            raise ValidationError(errors)

    def customer_rules_list(self) -> list[dict[str, Any]]:
        rules = self.customer_rules if isinstance(self.customer_rules, list) else []
        return [rule for rule in rules if isinstance(rule, dict)]


class AlertStatus(models.TextChoices):
    FIRING = "firing", "firing"
    RESOLVED = "resolved", "resolved"


class AlertLink(models.Model):
    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="links")
    dedup_key = models.CharField(max_length=255)
    # Null only inside the transaction that claims the key and then opens the ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, related_name="alert_links"
    )
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    summary = models.CharField(max_length=300, blank=True)
    severity = models.PositiveSmallIntegerField()
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_payload_at = models.DateTimeField()
    notices = models.PositiveIntegerField(default=1, help_text="deliveries received")

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["source", "dedup_key"], name="alertlink_source_key")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "dedup_key"],
                condition=models.Q(status="firing"),
                name="alertlink_one_firing_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source.name}:{self.dedup_key} ({self.status})"


class QuarantineReason(models.TextChoices):
    UNMAPPED = "unmapped", "no customer found for the alert"
    REFUSED = "refused", "the ticket could not be opened"
    MALFORMED = "malformed", "the payload could not be read"


class QuarantinedAlert(models.Model):
    source = models.ForeignKey(
        MonitoringSource, on_delete=models.CASCADE, related_name="quarantined"
    )
    dedup_key = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=20, choices=QuarantineReason.choices)
    field = models.CharField(max_length=200, blank=True, help_text="what was missing or wrong")
    message = models.TextField(blank=True)
    # One alert's payload, re-playable as it stands (an Alertmanager group is cut down to
    # the one alert); `raw` instead when the body was not a JSON object.
    payload = models.JSONField(null=True, blank=True)
    raw = models.TextField(blank=True)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    deliveries = models.PositiveIntegerField(default=1)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-last_received_at", "-id"]
        indexes = [
            models.Index(
                fields=["source", "dedup_key"],
                condition=models.Q(handled_at__isnull=True),
                name="quarantinedalert_open_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.reason} {self.field}"
