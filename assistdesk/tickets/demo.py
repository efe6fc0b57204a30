"""Demo tickets: four weeks of the help desk's life, every state, with interventions.

Runs after the contracts demo. Each demo customer gets a few tickets told as short
stories (answered and closed, visited on site with a part, a warranty visit and its free
follow-up, escalated from remote to on site, reopened and closed again, waiting for the
customer, ...), replayed through the real services with `now` set to each step's time, so
the SLA, the queue, the ratings and the allowance ledgers are what the services make of
them. The random choices come from a fixed seed: the same demo every time for the same
starting instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission, User

from assistdesk.contracts.models import Contract
from assistdesk.contracts.selectors import contract_in_force
from assistdesk.customers.models import Contact, Customer
from assistdesk.domain.calendar import Calendar
from assistdesk.tickets import services
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.sla import domain_calendar

SEED = 20260105
DISPATCHERS = "Dispatchers"
# username, first name, last name
STAFF = [
    ("luca", "Luca", "Bruno"),
    ("chiara", "Chiara", "Fontana"),
    ("mihai", "Mihai", "Ionescu"),
    ("claire", "Claire", "Morel"),
]
SUBJECTS = [
    "Printer does not print from the accounting PC",
    "Cannot reach the shared folder",
    "Outlook asks for the password again and again",
    "Backup job failed last night",
    "New workstation for the front desk",
    "VPN drops every few minutes",
    "Fiscal receipt printer blocked",
    "Invoice report shows wrong totals",
    "Wi-Fi in the meeting room is slow",
    "Antivirus alert on a laptop",
    "Add a field to the delivery note",
    "Server disk almost full",
]
STORIES_PER_CUSTOMER = 3


@dataclass
class Desk:
    """What a story needs: the clock, the staff and the dice."""

    now: datetime
    rng: random.Random
    technicians: list[User]
    dispatcher: User

    def tech(self) -> User:
        return self.rng.choice(self.technicians)

    def actor(self, user: User) -> str:
        return f"user:{user.pk}"


@dataclass
class Case:
    """One ticket being told: its customer, contract, calendar and current time."""

    desk: Desk
    customer: Customer
    contract: Contract
    contact: Contact | None
    calendar: Calendar
    at: datetime
    ticket: Ticket | None = None

    def later(self, minutes: int, *, working: bool = True) -> datetime:
        """Move the story's clock on (to working time if asked), never past the demo's now."""
        at = self.at + timedelta(minutes=minutes)
        if working:
            at = self.calendar.next_working(at)
        self.at = min(at, self.desk.now)
        return self.at

    def fresh(self) -> Ticket:
        assert self.ticket is not None
        self.ticket = Ticket.objects.get(pk=self.ticket.pk)
        return self.ticket


def _staff() -> tuple[list[User], User]:
    group, _ = Group.objects.get_or_create(name=DISPATCHERS)
    group.permissions.add(Permission.objects.get(codename="dispatch_ticket"))
    technicians = []
    for username, first, last in STAFF:
        user = User.objects.create(
            username=username, first_name=first, last_name=last, is_staff=True
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        technicians.append(user)
    dispatcher = User.objects.create(
        username="dispatch", first_name="Elena", last_name="Ricci", is_staff=True
    )
    dispatcher.set_unusable_password()
    dispatcher.save(update_fields=["password"])
    dispatcher.groups.add(group)
    return technicians, User.objects.get(pk=dispatcher.pk)


def _origin(case: Case, *, urgent: bool) -> str:
    plan = case.contract.plan
    origins = [o for o in plan.channels if o != "monitoring"] or list(plan.channels)
    if plan.is_phone_emergency_only and not urgent:
        origins = [o for o in origins if o != "phone"] or origins
    return str(case.desk.rng.choice(sorted(origins)))


def _mode(case: Case, wanted: str) -> str:
    """`wanted` if the plan prices support work in that mode, else remote."""
    modes = {r.mode for r in case.contract.plan.rates.all() if r.activity == "support"}
    return wanted if wanted in modes or "any" in modes else "remote"


def _open(case: Case, *, urgent: bool = False) -> Ticket:
    rng = case.desk.rng
    severity = 1 if urgent else rng.choice([2, 3, 3])
    case.ticket = services.ticket_create(
        customer=case.customer,
        requester=case.contact,
        origin=_origin(case, urgent=urgent),
        subject=rng.choice(SUBJECTS),
        body="Hello, could you have a look? Thank you.",
        severity=severity,
        received_at=case.at,
        actor=f"contact:{case.contact.pk}" if case.contact else "system:demo",
        now=case.at,
    )
    return case.ticket


def _dispatch(case: Case) -> User:
    desk = case.desk
    services.ticket_acknowledge(ticket=case.fresh(), actor="system:demo", now=case.later(5))
    technician = desk.tech()
    services.ticket_assign(
        ticket=case.fresh(), assignee=technician, actor_user=desk.dispatcher, now=case.later(20)
    )
    return technician


def _answer(case: Case, technician: User) -> None:
    services.ticket_reply(
        ticket=case.fresh(),
        body="We are looking into it and will be in touch shortly.",
        author_user=technician,
        actor=case.desk.actor(technician),
        now=case.later(case.desk.rng.randint(15, 120)),
    )


def _work(case: Case, technician: User, *, mode: str = "remote", **flags: Any) -> None:
    start = case.later(case.desk.rng.randint(10, 90))
    minutes = case.desk.rng.randint(20, 100)
    end = min(start + timedelta(minutes=minutes), case.desk.now)
    case.at = end
    services.intervention_log(
        ticket=case.fresh(),
        technician=technician,
        mode=_mode(case, mode),
        activity="support",
        start_at=start,
        end_at=end,
        description="Checked the configuration, applied the fix and tested with the user.",
        actor=case.desk.actor(technician),
        now=end,
        **flags,
    )


def _resolve_and_close(case: Case, *, close: bool = True) -> None:
    services.ticket_resolve(ticket=case.fresh(), actor="system:demo", now=case.later(10))
    if close:
        requester = f"contact:{case.contact.pk}" if case.contact else "system:demo"
        services.ticket_close(ticket=case.fresh(), actor=requester, now=case.later(24 * 60))


# --- the stories -----------------------------------------------------------------------


def story_closed_remote(case: Case) -> None:
    _open(case)
    technician = _dispatch(case)
    _answer(case, technician)
    _work(case, technician, resolved=True)
    _resolve_and_close(case)


def story_closed_onsite_with_part(case: Case) -> None:
    _open(case, urgent=case.desk.rng.random() < 0.4)
    technician = _dispatch(case)
    services.ticket_confirm_intervention(
        ticket=case.fresh(),
        planned_at=case.at + timedelta(hours=20),
        mode="onsite",
        expected_minutes=90,
        author_user=technician,
        actor=case.desk.actor(technician),
        now=case.later(30),
    )
    _work(
        case,
        technician,
        mode="onsite",
        km=Decimal(case.desk.rng.choice([0, 12, 35])),
        resolved=True,
        parts=[("Toner cartridge", 1, Decimal("64.90"))],
    )
    ticket = case.fresh()
    part = ticket.interventions.get().parts.get()
    if part.needs_approval:
        services.part_approve(part=part, approved=True, actor="system:demo", now=case.later(30))
    _resolve_and_close(case)


def story_warranty_and_follow_up(case: Case) -> None:
    _open(case)
    technician = _dispatch(case)
    _answer(case, technician)
    _work(case, technician, mode="onsite", warranty=True, resolved=False)
    case.later(18 * 60)
    _work(case, technician, mode="onsite", follow_up=True, resolved=True)
    _resolve_and_close(case)


def story_escalated(case: Case) -> None:
    _open(case)
    technician = _dispatch(case)
    _answer(case, technician)
    _work(case, technician, mode="remote", resolved=False)
    services.ticket_escalate_onsite(
        ticket=case.fresh(),
        reason="The network card must be replaced on site.",
        actor=case.desk.actor(technician),
        now=case.later(5),
    )
    case.later(20 * 60)
    _work(case, technician, mode="onsite", resolved=True)
    _resolve_and_close(case)


def story_reopened_and_closed_again(case: Case) -> None:
    story_closed_remote(case)
    services.ticket_reopen(
        ticket=case.fresh(),
        reason="The problem came back this morning.",
        actor=f"contact:{case.contact.pk}" if case.contact else "system:demo",
        now=case.later(24 * 60),
    )
    technician = case.desk.tech()
    _work(case, technician, resolved=True)
    _resolve_and_close(case)


def story_reopened(case: Case) -> None:
    _open(case)
    technician = _dispatch(case)
    _answer(case, technician)
    _work(case, technician, resolved=True)
    _resolve_and_close(case, close=False)
    services.ticket_reopen(
        ticket=case.fresh(),
        reason="Still not working on the second PC.",
        actor=f"contact:{case.contact.pk}" if case.contact else "system:demo",
        now=case.later(90),
    )


def story_resolved(case: Case) -> None:
    _open(case)
    technician = _dispatch(case)
    _work(case, technician, resolved=True)
    _resolve_and_close(case, close=False)


def story_waiting(case: Case) -> None:
    _open(case)
    technician = _dispatch(case)
    services.ticket_reply(
        ticket=case.fresh(),
        body="Could you send us a screenshot of the error?",
        author_user=technician,
        actor=case.desk.actor(technician),
        now=case.later(40),
    )
    services.ticket_wait_for_customer(
        ticket=case.fresh(),
        reason="Screenshot of the error asked",
        actor=case.desk.actor(technician),
        now=case.later(1),
    )


def story_in_progress(case: Case) -> None:
    _open(case, urgent=case.desk.rng.random() < 0.3)
    technician = _dispatch(case)
    _work(case, technician, resolved=False)


def story_assigned(case: Case) -> None:
    _open(case)
    _dispatch(case)


def story_acknowledged(case: Case) -> None:
    _open(case)
    services.ticket_acknowledge(ticket=case.fresh(), actor="system:demo", now=case.later(5))


def story_new(case: Case) -> None:
    _open(case)


# (story, how many days before the demo's now it starts)
STORIES: list[tuple[Callable[[Case], None], int]] = [
    (story_closed_remote, 24),
    (story_closed_onsite_with_part, 20),
    (story_warranty_and_follow_up, 16),
    (story_escalated, 13),
    (story_reopened_and_closed_again, 10),
    (story_in_progress, 1),
    (story_waiting, 2),
    (story_resolved, 2),
    (story_reopened, 3),
    (story_assigned, 1),
    (story_acknowledged, 1),
    (story_new, 0),
]


def load(*, now: datetime) -> None:
    rng = random.Random(SEED)  # noqa: S311 - repeatable demo data, not secrets
    technicians, dispatcher = _staff()
    desk = Desk(now=now, rng=rng, technicians=technicians, dispatcher=dispatcher)
    customers = list(Customer.objects.order_by("key"))
    # Every story as often as the customers allow, dealt in a shuffled (seeded) order.
    deck = [STORIES[i % len(STORIES)] for i in range(len(customers) * STORIES_PER_CUSTOMER)]
    rng.shuffle(deck)
    for index, customer in enumerate(customers):
        hand = deck[index * STORIES_PER_CUSTOMER : (index + 1) * STORIES_PER_CUSTOMER]
        for story, days_ago in hand:
            start = now - timedelta(days=days_ago, hours=rng.randint(1, 6))
            contract = contract_in_force(customer=customer, at=start)
            if contract is None:
                continue
            calendar = domain_calendar(contract.plan.calendar)
            start = min(calendar.next_working(start), now - timedelta(minutes=30))
            contact = customer.contacts.filter(is_authorised=True).order_by("id").first()
            story(Case(desk, customer, contract, contact, calendar, start))
