"""Demo portal logins: every demo contact can sign in to the customer portal.

The user name is the contact's e-mail address and the password the fixed demo value
below, written in docs/portal.md: the demo database is for trying the product on one's
own machine, never for a deployment. Runs after the customers and tickets demos
(INSTALLED_APPS order), so the contacts and their companies' tickets exist.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from assistdesk.customers.models import Contact

DEMO_PASSWORD = "demo-portal"  # noqa: S105 - a published demo value, see the docstring


def load(*, now: datetime) -> None:
    contacts = Contact.objects.filter(user__isnull=True).exclude(email="").order_by("pk")
    with transaction.atomic():
        for contact in contacts:
            if User.objects.filter(username=contact.email).exists():
                continue
            first, _, last = contact.name.partition(" ")
            user = User.objects.create_user(
                username=contact.email,
                email=contact.email,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                date_joined=now,
            )
            contact.user = user
            contact.save(update_fields=["user", "updated_at"])
