"""Reads for the after-hours line: who is calling, whether Extra Time applies, who is on call."""

from __future__ import annotations

from datetime import datetime

from assistdesk.channels.afterhours import phone
from assistdesk.channels.models import IvrLine, OnCallShift
from assistdesk.channels.monitoring import secrets
from assistdesk.contracts.models import Contract
from assistdesk.contracts.selectors import contracts_in_force
from assistdesk.customers.models import Contact, Customer


def ivr_line_authenticate(*, presented: str) -> IvrLine | None:
    """The active line whose secret was presented. The lookup is by the secret's SHA-256:
    256 random bits leave nothing to learn from how long an index lookup takes."""
    line = IvrLine.objects.filter(secret_hash=secrets.digest(presented), is_active=True).first()
    is_match = secrets.matches(presented, line.secret_hash if line else secrets.DUMMY_DIGEST)
    return line if line is not None and is_match else None


def contacts_with_number(*, caller: str) -> list[Contact]:
    """The contacts whose phone is the caller's number, one per customer (first by id).

    Phones are typed free-form, so they are compared in Python after normalising; a few
    thousand contacts take milliseconds.
    """
    key = phone.match_key(caller)
    if not key:
        return []
    found: dict[int, int] = {}
    rows = Contact.objects.exclude(phone="").order_by("customer_id", "id")
    for pk, customer_id, number in rows.values_list("pk", "customer_id", "phone"):
        if customer_id not in found and phone.match_key(number) == key:
            found[customer_id] = pk
    if not found:
        return []
    return list(Contact.objects.filter(pk__in=found.values()).select_related("customer"))


def extra_time_contract(*, customer: Customer, at: datetime) -> Contract | None:
    """The contract in force whose Extra Time calendar (its own, else its plan's) is open
    at `at`; the best-ranked if several are."""
    for contract in contracts_in_force(customer=customer, at=at):
        calendar = contract.extra_time_calendar_or_plans()
        if calendar is not None and calendar.to_domain().is_working(at):
            return contract
    return None


def on_call_at(*, at: datetime) -> OnCallShift | None:
    """The shift covering `at`; of overlapping shifts the latest to start (a swap or cover
    entered on top of the regular rota wins)."""
    return (
        OnCallShift.objects.filter(starts_at__lte=at, ends_at__gt=at)
        .select_related("technician")
        .order_by("-starts_at", "-id")
        .first()
    )
