"""How an alert finds its customer and its severity: the source's settings applied to its
labels. Pure reads."""

from __future__ import annotations

from dataclasses import dataclass

from assistdesk.channels.models import MonitoringSource
from assistdesk.channels.monitoring.formats import AlertNotice
from assistdesk.customers.models import Customer


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str
    code: str


def customer_for(
    source: MonitoringSource, notice: AlertNotice
) -> tuple[Customer | None, Problem | None]:
    """The customer by the source's rules, then its customer label, then its default."""
    for rule in source.customer_rules_list():
        label, value = str(rule.get("label", "")), str(rule.get("value", ""))
        if label and notice.labels.get(label) == value:
            customer = Customer.objects.filter(key=str(rule.get("customer", ""))).first()
            if customer is not None:
                return customer, None
    tried = "no mapping rule matched"
    field = notice.labels_path
    if source.customer_label:
        field = notice.path_of(source.customer_label)
        value = notice.labels.get(source.customer_label, "")
        if value:
            customer = Customer.objects.filter(key=value).first()
            if customer is not None:
                return customer, None
            tried = f"{value!r} is no customer's key and no mapping rule matched"
        else:
            tried = "it is missing and no mapping rule matched"
    if source.default_customer is not None:
        return source.default_customer, None
    return None, Problem(
        field,
        f"no customer for this alert: {tried}, and source {source.name} has no default "
        "customer; the alert waits in the quarantine",
        "unmapped",
    )


def severity_for(source: MonitoringSource, notice: AlertNotice) -> int:
    """The sender's severity word through the source's map (case-insensitive), else its default."""
    mapping = {str(k).strip().lower(): v for k, v in (source.severity_map or {}).items()}
    value = mapping.get(notice.severity.strip().lower())
    if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2, 3):
        return value
    return source.default_severity
