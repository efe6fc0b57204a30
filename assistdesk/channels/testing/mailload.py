"""Realistic mail load for the fault test and the benchmarks, from the shared generator.

`generate()` runs `shared/bench/gen_emails.py` (seeded: the same mail on every machine)
with our subject tag, so the replies it writes thread to the tickets opened earlier in
the run: by Message-ID (the customer's earlier mail), by our tag `[AD#n]` (the generator
numbers tickets in delivery order from 1, as a fresh database does), or both.
`build_customers()` makes every sender an authorised contact of the customer of its
domain, under a contract whose plan takes e-mail. `verdict()` compares what the
database holds with the generator's manifest: every message stored once, one ticket per
expected new request, one reply per expected reply, on the right ticket.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from assistdesk.channels.mail.parse import parse

SHARED_GENERATOR = Path(__file__).resolve().parents[3].parent / "shared/bench/gen_emails.py"
TAG_FORMAT = "[AD#{n}]"
NEW_KINDS = frozenset({"new", "alert", "malformed"})
ROBOT_KINDS = frozenset({"bounce"})  # their senders are mail systems, not contacts
PLAN_KEY = "mail-bench"
BENCH_PLAN = {
    "key": PLAN_KEY,
    "currency": "EUR",
    "calendar": "office",
    "channels": {"origins": ["email", "web", "phone", "monitoring"]},
    "rates": {
        "remote": {
            "activity": "support",
            "mode": "remote",
            "price": "45",
            "per_minutes": 60,
            "round_to_minutes": 15,
        },
    },
    "minimum_minutes": 15,
    "sla": [
        {"kind": "response", "urgent": False, "working_hours": 8},
        {"kind": "resolution", "urgent": False, "working_days": 5},
    ],
}
OFFICE = {
    "timezone": "Europe/Rome",
    "week": {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "IT"},
}


@dataclass(frozen=True)
class GeneratedMail:
    file: Path
    kind: str
    message_id: str  # "" for a message without one (the parser synthesises it)
    ticket: int | None  # the ticket it opens (new) or answers (reply)
    sender: str  # the address routing will see
    language: str

    @property
    def raw(self) -> bytes:
        return self.file.read_bytes()


def generate(count: int, folder: Path, *, seed: int = 42) -> list[GeneratedMail]:
    """`count` messages in delivery order (the generator's files, parsed for their sender)."""
    if not SHARED_GENERATOR.exists():
        raise FileNotFoundError(f"{SHARED_GENERATOR} is missing: shared/ must sit beside main/")
    out = folder / "mail"
    subprocess.run(  # noqa: S603 - our interpreter running the project's generator
        [sys.executable, str(SHARED_GENERATOR), "--count", str(count), "--seed", str(seed),
         "--out", str(out), "--tag-format", TAG_FORMAT],
        check=True, capture_output=True,
    )  # fmt: skip
    rows = list(csv.DictReader((folder / "mail.manifest.csv").open(encoding="utf-8")))
    mails = []
    for row in rows:
        path = out / row["file"]
        parsed = parse(path.read_bytes(), received_at=datetime.now(UTC))
        mails.append(
            GeneratedMail(
                file=path,
                kind=row["kind"],
                message_id=row["message_id"],
                ticket=int(row["ticket"]) if row["ticket"] else None,
                sender=parsed.from_address,
                language=row["lang"] if row["lang"] in ("en", "it", "fr", "ro") else "en",
            )
        )
    return mails


def build_customers(mails: list[GeneratedMail], *, now: datetime) -> int:
    """A customer per sender domain, its senders authorised contacts; how many customers."""
    from assistdesk.catalog.services import catalog_load_from_spec
    from assistdesk.contracts.models import Contract
    from assistdesk.customers.models import Contact, Customer

    _, plans = catalog_load_from_spec(
        spec={"calendars": {"office": OFFICE}, "plans": [BENCH_PLAN]}, actor="bench", now=now
    )
    plan = plans[PLAN_KEY]
    domains: dict[str, tuple[str, set[str]]] = {}
    for mail in mails:
        if mail.kind in ROBOT_KINDS or "@" not in mail.sender:
            continue
        domain = mail.sender.rpartition("@")[2].removeprefix("monitor.")
        domains.setdefault(domain, (mail.language, set()))[1].add(mail.sender)
    customers = Customer.objects.bulk_create(
        Customer(key=f"c{i}", name=domain, country="IT", language=language, vat_rate=22)
        for i, (domain, (language, _)) in enumerate(sorted(domains.items()))
    )
    contacts, contracts = [], []
    for customer, (_, (_, addresses)) in zip(customers, sorted(domains.items()), strict=True):
        contracts.append(
            Contract(customer=customer, plan=plan, start_on=date(2020, 1, 1), state="active")
        )
        contacts += [
            Contact(customer=customer, name=address.partition("@")[0], email=address,
                    is_authorised=True)
            for address in sorted(addresses)
        ]  # fmt: skip
    Contract.objects.bulk_create(contracts)
    Contact.objects.bulk_create(contacts)
    return len(customers)


@dataclass
class Verdict:
    messages: int
    stored: int
    lost: int
    duplicated: int
    tickets: int
    expected_tickets: int
    replies: int
    expected_replies: int
    misplaced: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verdict(mails: list[GeneratedMail]) -> Verdict:
    """What the database holds against what the generator meant (module docstring)."""
    from assistdesk.channels.models import InboundMessage
    from assistdesk.tickets.models import Message, MessageKind, Ticket

    stored_ids = Counter(InboundMessage.objects.values_list("message_id", flat=True))
    known = [m for m in mails if m.message_id]
    lost = sum(1 for m in known if m.message_id not in stored_ids)
    lost += max(0, len(mails) - sum(stored_ids.values()) - lost)
    thread = Message.objects.exclude(mail_message_id="").values_list(
        "mail_message_id", "kind", "ticket__number"
    )
    by_id: dict[str, list[tuple[str, int]]] = {}
    for mail_id, kind, number in thread:
        by_id.setdefault(mail_id, []).append((kind, number))
    duplicated = sum(len(v) - 1 for v in by_id.values() if len(v) > 1)
    duplicated += sum(n - 1 for n in stored_ids.values() if n > 1)
    misplaced, problems = 0, []
    for mail in known:
        if mail.kind not in NEW_KINDS | {"reply"}:
            continue
        want = MessageKind.REQUEST if mail.kind in NEW_KINDS else MessageKind.CUSTOMER_REPLY
        got = by_id.get(mail.message_id, [])
        if got and (got[0][0] != want or got[0][1] != mail.ticket):
            misplaced += 1
            problems.append(f"{mail.file.name}: {got[0]} instead of ({want}, #{mail.ticket})")
        elif not got:
            problems.append(f"{mail.file.name} ({mail.kind}): not on any ticket")
    result = Verdict(
        messages=len(mails),
        stored=sum(stored_ids.values()),
        lost=lost,
        duplicated=duplicated,
        tickets=Ticket.objects.count(),
        expected_tickets=sum(1 for m in mails if m.kind in NEW_KINDS),
        replies=Message.objects.filter(kind=MessageKind.CUSTOMER_REPLY).count(),
        expected_replies=sum(1 for m in mails if m.kind == "reply"),
        misplaced=misplaced,
        problems=problems,
    )
    if result.lost or result.duplicated:
        problems.insert(0, f"lost {result.lost}, duplicated {result.duplicated}")
    if (result.tickets, result.replies) != (result.expected_tickets, result.expected_replies):
        problems.insert(
            0,
            f"tickets {result.tickets}/{result.expected_tickets}, "
            f"replies {result.replies}/{result.expected_replies}",
        )
    return result
