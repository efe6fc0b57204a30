"""Low or expiring balances: the contracts app's notices handed over to the outbox.

The allowance ledgers record an `AllowanceNotice` once per bucket and kind (balance under
the plan's threshold, package expiring soon) with `handed_over_at` empty. This job (every
few minutes) writes each into the outbox and stamps `handed_over_at` in one transaction,
the notice row locked, so a notice is mailed once even with two workers running it.

Recipients: the customer's accounting contacts with an address, else its authorised
contacts (as the billing documents do); in the customer's language. A customer with
nobody to tell gets the notice stamped and a warning logged: it is on the statement.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from assistdesk.channels.notify import provider_name
from assistdesk.channels.services import outbox_enqueue_notification
from assistdesk.contracts.models import AllowanceNotice, BucketKind
from assistdesk.customers.models import Contact, Customer

log = logging.getLogger(__name__)


def recipients(customer: Customer) -> list[Contact]:
    contacts = list(
        Contact.objects.filter(customer=customer).exclude(email="").order_by("name", "id")
    )
    return [c for c in contacts if c.is_accounting] or [c for c in contacts if c.is_authorised]


def _hours(minutes: Decimal) -> str:
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    return f"{hours.normalize():f}"


def notice_hand_over(*, notice_pk: int, now: datetime) -> bool:
    """Queue one notice's mail and stamp it; False when it was handed over already."""
    with transaction.atomic():
        notice = (
            AllowanceNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("bucket__customer", "bucket__plan__calendar")
            .filter(pk=notice_pk, handed_over_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        bucket = notice.bucket
        customer = bucket.customer
        to = recipients(customer)
        if to:
            zone = bucket.plan.calendar.zone()
            outbox_enqueue_notification(
                name="low_balance",
                language=customer.language,
                context={
                    "customer_name": customer.name,
                    "contact_name": to[0].name if len(to) == 1 else "",
                    "provider_name": provider_name(),
                    "allowance": f"{bucket.plan.name} ({bucket.key})",
                    "balance_hours": _hours(notice.balance_minutes),
                    "expires_on": (
                        bucket.expires_at.astimezone(zone).date()
                        if bucket.kind == BucketKind.PACKAGE
                        else None
                    ),
                    "timezone": str(zone),
                },
                to=[c.email for c in to],
                context_ref=f"allowance-notice:{notice.pk}",
                now=now,
            )
        else:
            log.warning("allowance notice %s: %s has nobody to tell", notice.pk, customer)
        AllowanceNotice.objects.filter(pk=notice.pk).update(handed_over_at=now)
    return True


def notices_hand_over(*, now: datetime) -> int:
    """Hand over every notice not handed over yet (the periodic job); how many."""
    pending = AllowanceNotice.objects.filter(handed_over_at__isnull=True).order_by("at", "pk")
    return sum(
        notice_hand_over(notice_pk=pk, now=now) for pk in pending.values_list("pk", flat=True)
    )
