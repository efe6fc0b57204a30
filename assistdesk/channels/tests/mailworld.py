"""A small world for the mail-to-ticket tests: a provider's customers and their contacts,
and a builder of the mail they write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from assistdesk.catalog.models import Plan
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory
from assistdesk.tickets.tests.factories import customer_with_contract, load_catalog, plan_spec

NOW = datetime(2026, 4, 14, 10, 0, tzinfo=UTC)  # a Tuesday, office hours in Rome
ARRIVED = datetime(2026, 4, 14, 9, 12, 40, tzinfo=UTC)
DESK = "support@helpdesk.example"

# Seed 004's Expert plan, as far as mail is concerned: written requests only (e-mail,
# web), the phone for emergencies, three authorised contacts.
EXPERT = plan_spec(
    "expert",
    channels={"origins": ["email", "web", "phone"], "phone_emergency_only": True},
    authorised_contacts=3,
)
PHONE_ONLY = plan_spec("phone-only", channels={"origins": ["phone"]}, priority=5)


@dataclass
class World:
    plan: Plan
    rossi: Customer  # Edil Rossi, on the Expert plan
    marco: Contact  # authorised, Italian
    giulia: Contact  # Edil Rossi's receptionist: a contact, not authorised
    verde: Customer  # Studio Verde, another customer
    anna: Contact  # authorised at Studio Verde
    no_mail: Customer  # a customer whose plan takes no mail
    paolo: Contact


def build_world() -> World:
    plans = load_catalog(EXPERT, PHONE_ONLY, now=datetime(2026, 1, 1, tzinfo=UTC))
    rossi, _, marco = customer_with_contract(
        plans["expert"], start_on=date(2026, 1, 1), now=NOW, key="edil-rossi", name="Edil Rossi"
    )
    Contact.objects.filter(pk=marco.pk).update(
        email="Marco.Rossi@edil-rossi.it", name="Marco Rossi", language="it"
    )
    marco.refresh_from_db()
    giulia = ContactFactory(
        customer=rossi, email="giulia@edil-rossi.it", name="Giulia Bianchi", is_authorised=False
    )
    verde, _, anna = customer_with_contract(
        plans["expert"], start_on=date(2026, 1, 1), now=NOW, key="studio-verde",
        name="Studio Verde", language="fr",
    )  # fmt: skip
    Contact.objects.filter(pk=anna.pk).update(email="anna@studio-verde.it", name="Anna Verdi")
    anna.refresh_from_db()
    no_mail, _, paolo = customer_with_contract(
        plans["phone-only"], start_on=date(2026, 1, 1), now=NOW, key="bar-sport"
    )
    Contact.objects.filter(pk=paolo.pk).update(email="paolo@bar-sport.it")
    paolo.refresh_from_db()
    return World(plans["expert"], rossi, marco, giulia, verde, anna, no_mail, paolo)


def other_customer_contact(email: str, *, is_authorised: bool = True) -> Contact:
    return ContactFactory(customer=CustomerFactory(), email=email, is_authorised=is_authorised)


def mail(
    *,
    sender: str = "Marco Rossi <marco.rossi@edil-rossi.it>",
    subject: str = "Stampante non funziona",
    text: str = "Buongiorno, la stampante non stampa più.\n\n-- \nMarco Rossi\nEdil Rossi S.r.l.\n",
    html: str | None = None,
    message_id: str = "<req-1@edil-rossi.it>",
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    headers: dict[str, str] | None = None,
    date_at: datetime = ARRIVED,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"IT Helpdesk <{DESK}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(date_at)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def quoted_reply(text: str, original: str) -> str:
    quoted = "".join(f"> {line}\n" for line in original.splitlines())
    return f"{text}\n\nIl giorno lun 13 apr 2026 alle 09:12 IT Helpdesk ha scritto:\n{quoted}"
