"""The after-hours line (seed 002 "Extra Time"): whether a right PIN gets a technician now,
who is on call, the phone ticket, and the two endpoints (JSON and TwiML).

Three customers in Rome: Acme with Extra Time "after 18:00 and at weekends", Globex with
H24x7, Initech without Extra Time. December 2026: Rome is UTC+1.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from assistdesk.channels.afterhours import selectors, services
from assistdesk.channels.models import IvrLine, OnCallShift, PinAttempt, PinResult
from assistdesk.common import clock
from assistdesk.contracts.models import Contract
from assistdesk.customers.models import Contact, Customer
from assistdesk.customers.services import customer_set_support_pin
from assistdesk.customers.tests.factories import ContactFactory
from assistdesk.tickets.models import Message, Ticket
from assistdesk.tickets.tests.factories import (
    ROME_OFFICE,
    StaffFactory,
    customer_with_contract,
    load_catalog,
    plan_spec,
)

ROME = ZoneInfo("Europe/Rome")
ACTOR = "test"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDARS = {
    "office": ROME_OFFICE,
    # seed 002: Extra Time "after 18:00 or at the weekend" (before 09:00 is still after 18:00)
    "extra": {
        "timezone": "Europe/Rome",
        "week": {day: ["00:00-09:00", "18:00-24:00"] for day in WEEKDAYS}
        | {"sat": ["00:00-24:00"], "sun": ["00:00-24:00"]},
    },
    "always": {"timezone": "Europe/Rome", "week": "24x7"},  # "H24x7"
}
PINS = {"acme": "482913", "globex": "771204", "initech": "130542"}
ACME_PHONE = "+39 06 780 7070"
FORM = "application/x-www-form-urlencoded"  # what Twilio posts


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


@pytest.fixture(autouse=True)
def fast_hasher(settings: Any) -> None:
    """PBKDF2 stays in production; tests hash with MD5 so 10 000 guesses take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class World:
    def __init__(self) -> None:
        origins = {"origins": ["phone", "email", "monitoring", "other"]}
        plans = load_catalog(
            plan_spec("scudo-extra-time", channels=origins | {"extra_time": "extra"}),
            plan_spec("scudo-h24", channels=origins | {"extra_time": "always"}),
            plan_spec("scudo-360", channels=origins),
            calendars=CALENDARS,
            now=at("2026-01-01 00:00"),
        )
        self.customers: dict[str, Customer] = {}
        self.contracts: dict[str, Contract] = {}
        self.contacts: dict[str, Contact] = {}
        for key, plan in (
            ("acme", "scudo-extra-time"),
            ("globex", "scudo-h24"),
            ("initech", "scudo-360"),
        ):
            customer, contract, contact = customer_with_contract(
                plans[plan], start_on=date(2026, 1, 1), now=at("2026-01-01 00:00"), key=key
            )
            customer_set_support_pin(
                customer=customer, pin=PINS[key], actor=ACTOR, now=at("2026-01-01 00:00")
            )
            self.customers[key], self.contracts[key], self.contacts[key] = (
                customer,
                contract,
                contact,
            )
        Contact.objects.filter(pk=self.contacts["acme"].pk).update(phone=ACME_PHONE)
        self.contacts["acme"].refresh_from_db()
        ContactFactory(customer=self.customers["globex"], phone="0040 21 555 0101")
        self.line, self.secret = services.ivr_line_create(
            name="altec-ivr", language="it", actor=ACTOR, now=at("2026-01-01 00:00")
        )
        self.anna = StaffFactory(username="anna", first_name="Anna", last_name="Rossi")
        self.rota = services.on_call_shift_create(
            technician=self.anna,
            phone_number="+39 333 111 2222",
            starts_at=at("2026-11-30 18:00"),
            ends_at=at("2026-12-14 09:00"),
            actor=ACTOR,
            now=at("2026-11-01 00:00"),
        )


@pytest.fixture
def world(db: None) -> World:
    return World()


def check(world: World, when: datetime, key: str = "acme", **kwargs: Any) -> services.PinCheck:
    values: dict[str, Any] = {"caller": ACME_PHONE if key == "acme" else "", "pin": PINS[key]}
    if key != "acme":
        values["customer_key"] = key
    return services.ivr_pin_check(line=world.line, now=when, **(values | kwargs))


# --- Extra Time now ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "local", "outcome"),
    [
        ("acme", "2026-12-04 17:59", "not_covered"),  # Friday, still office hours
        ("acme", "2026-12-04 18:01", "granted"),  # Friday evening
        ("acme", "2026-12-05 11:00", "granted"),  # Saturday
        ("acme", "2026-12-06 23:30", "granted"),  # Sunday night
        ("acme", "2026-12-07 08:59", "granted"),  # Monday before the office opens
        ("acme", "2026-12-07 09:00", "not_covered"),
        ("globex", "2026-12-04 17:59", "granted"),  # H24x7
        ("globex", "2026-12-04 18:01", "granted"),
        ("globex", "2026-12-05 11:00", "granted"),
        ("initech", "2026-12-04 18:01", "not_covered"),  # no Extra Time in the contract
        ("initech", "2026-12-05 11:00", "not_covered"),
    ],
)
def test_extra_time_now(world: World, customer: str, local: str, outcome: str) -> None:
    result = check(world, at(local), customer)
    assert result.outcome == outcome
    assert result.is_extra_time is (outcome == "granted")
    assert (result.ticket is not None) is (outcome == "granted")
    assert result.language == world.customers[customer].language


def test_the_contracts_own_extra_time_overrides_the_plans(world: World) -> None:
    from assistdesk.catalog.models import Calendar

    Contract.objects.filter(pk=world.contracts["initech"].pk).update(
        extra_time_calendar=Calendar.objects.get(key="always")
    )
    assert check(world, at("2026-12-04 11:00"), "initech").outcome == "granted"


def test_a_granted_call_opens_an_out_of_hours_phone_ticket(world: World) -> None:
    result = check(world, at("2026-12-04 21:15"))
    ticket = result.ticket
    assert ticket is not None and result.on_call == world.rota
    assert (ticket.origin, ticket.is_out_of_hours, ticket.customer) == (
        "phone", True, world.customers["acme"],
    )  # fmt: skip
    assert ticket.requester == world.contacts["acme"]  # an authorised contact
    assert ticket.contract == world.contracts["acme"]
    assert ticket.received_at == at("2026-12-04 21:15")
    body = Message.objects.get(ticket=ticket).body_text
    assert "called the after-hours line at 2026-12-04 21:15" in body
    assert "Connected to Anna Rossi on +39 333 111 2222" in body
    attempt = PinAttempt.objects.get()
    assert (attempt.result, attempt.ticket, attempt.caller) == (
        PinResult.GRANTED, ticket, "+390678070 70".replace(" ", ""),
    )  # fmt: skip


def test_a_right_pin_without_extra_time_opens_no_ticket(world: World) -> None:
    assert check(world, at("2026-12-04 11:00")).outcome == "not_covered"
    assert not Ticket.objects.exists()
    assert PinAttempt.objects.get().result == PinResult.NOT_COVERED


# --- the rota ------------------------------------------------------------------------------------


def test_on_call_selection(world: World) -> None:
    bruno = StaffFactory(username="bruno")
    cover = services.on_call_shift_create(
        technician=bruno, phone_number="+39 333 999 0000",
        starts_at=at("2026-12-05 20:00"), ends_at=at("2026-12-06 08:00"), actor=ACTOR,
        now=at("2026-12-01 00:00"),
    )  # fmt: skip
    assert selectors.on_call_at(at=at("2026-12-05 19:59")) == world.rota
    assert selectors.on_call_at(at=at("2026-12-05 20:00")) == cover  # the cover starts last
    assert selectors.on_call_at(at=at("2026-12-06 07:59")) == cover
    assert selectors.on_call_at(at=at("2026-12-06 08:00")) == world.rota  # ends exclusive
    assert selectors.on_call_at(at=at("2026-12-14 09:00")) is None
    assert selectors.on_call_at(at=at("2026-11-30 17:59")) is None
    result = check(world, at("2026-12-05 22:00"))
    assert result.on_call == cover


def test_nobody_on_call_still_opens_the_ticket(world: World) -> None:
    OnCallShift.objects.all().delete()
    result = check(world, at("2026-12-05 11:00"))
    assert result.outcome == "granted" and result.on_call is None
    assert result.ticket is not None
    assert "Nobody was on call" in Message.objects.get(ticket=result.ticket).body_text


def test_a_shift_must_end_after_it_starts(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="ends_at"):
        services.on_call_shift_create(
            technician=world.anna, phone_number="+39 333", starts_at=at("2026-12-05 20:00"),
            ends_at=at("2026-12-05 20:00"), actor=ACTOR, now=at("2026-12-01 00:00"),
        )  # fmt: skip


# --- POST /api/v1/ivr/pin ------------------------------------------------------------------------


def post_pin(world: World, body: dict[str, Any], when: datetime, secret: str | None = None) -> Any:
    with clock.frozen_at(when):
        return Client().post(
            reverse("channels:ivr-pin"),
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret or world.secret}",
        )


def test_the_json_endpoint_answers_whom_to_connect(world: World) -> None:
    response = post_pin(world, {"caller": ACME_PHONE, "pin": PINS["acme"]}, at("2026-12-05 10:00"))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert response.json() == {
        "result": "granted",
        "extra_time": True,
        "connect_to": "+39 333 111 2222",
        "technician": "Anna Rossi",
        "ticket": ticket.reference,
        "language": "it",
        "say": f"Grazie. La sua richiesta è il ticket {ticket.number}. La mettiamo in contatto "
        "con il tecnico reperibile.",
    }
    refused = post_pin(world, {"caller": ACME_PHONE, "pin": "000000"}, at("2026-12-05 10:01"))
    assert refused.json()["result"] == "refused" and refused.json()["connect_to"] is None


def test_the_json_endpoint_refuses_strangers_and_names_bad_fields(world: World) -> None:
    when = at("2026-12-05 10:00")
    assert post_pin(world, {"caller": ACME_PHONE, "pin": "1"}, when, "nope").status_code == 401
    with clock.frozen_at(when):
        anonymous = Client().post(reverse("channels:ivr-pin"), {}, content_type="application/json")
    assert anonymous.status_code == 401
    response = post_pin(world, {"caller": ACME_PHONE}, when)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "pin", "message": "This field is required.", "code": "required"}
    ]
    assert not PinAttempt.objects.exists()


def test_unknown_customer_and_wrong_pin_get_the_same_answer(world: World) -> None:
    when = at("2026-12-05 10:00")
    answers = [
        post_pin(world, {"caller": "", "pin": "123456", "customer_key": "nosuch"}, when),
        post_pin(world, {"caller": "", "pin": "123456", "customer_code": "9999"}, when),
        post_pin(world, {"caller": "", "pin": "123456", "customer_key": "acme"}, when),
    ]
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["result"] == "refused"
    assert [a.result for a in PinAttempt.objects.order_by("id")] == [
        PinResult.UNKNOWN_CUSTOMER, PinResult.UNKNOWN_CUSTOMER, PinResult.WRONG_PIN,
    ]  # fmt: skip


# --- POST /api/v1/ivr/twiml ----------------------------------------------------------------------


def twiml(world: World, fields: dict[str, str], when: datetime, query: str = "") -> ET.Element:
    with clock.frozen_at(when):
        response = Client().post(
            reverse("channels:ivr-twiml") + query,
            urlencode(fields),
            content_type=FORM,
            HTTP_AUTHORIZATION=f"Bearer {world.secret}" if "token=" not in query else "",
        )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response>')
    return ET.fromstring(response.content)


def shape(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def test_twiml_a_known_number_is_asked_for_the_pin_then_connected(world: World) -> None:
    when = at("2026-12-05 10:00")
    root = twiml(world, {"From": "+390678070 70", "CallSid": "CA1"}, when)
    assert shape(root) == ["Gather", "Say", "Hangup"]
    gather = root.find("Gather")
    assert gather is not None
    assert (gather.get("numDigits"), gather.get("action")) == ("6", "/api/v1/ivr/twiml")
    assert gather.findtext("Say") == "Digiti il PIN Assistenza di sei cifre."
    root = twiml(world, {"From": "+390678070 70", "Digits": PINS["acme"]}, when)
    assert shape(root) == ["Say", "Dial"]
    assert root.findtext("Dial") == "+39 333 111 2222"
    assert root.find("Say").get("language") == "it-IT"  # type: ignore[union-attr]
    assert Ticket.objects.get().origin == "phone"


def test_twiml_an_unknown_number_types_the_customer_code_first(world: World) -> None:
    from assistdesk.channels.models import AfterHoursAccess

    AfterHoursAccess.objects.create(customer=world.customers["globex"], customer_code="4711")
    when = at("2026-12-05 10:00")
    query = f"?token={world.secret}"
    root = twiml(world, {"From": "+44 20 7946 0000"}, when, query)
    gather = root.find("Gather")
    assert gather is not None and gather.get("finishOnKey") == "#"
    assert gather.get("action") == f"/api/v1/ivr/twiml?token={world.secret}&step=code"
    root = twiml(world, {"From": "+44 20 7946 0000", "Digits": "4711"}, when, query + "&step=code")
    gather = root.find("Gather")
    assert gather is not None and gather.get("action", "").endswith("&code=4711")
    root = twiml(
        world, {"From": "+44 20 7946 0000", "Digits": "000000"}, when, query + "&code=4711"
    )
    assert shape(root) == ["Say", "Hangup"]
    assert root.findtext("Say") == "Spiacenti, non possiamo accettare questo PIN. Arrivederci."
    root = twiml(
        world, {"From": "+44 20 7946 0000", "Digits": PINS["globex"]}, when, query + "&code=4711"
    )
    assert shape(root) == ["Say", "Dial"]


def test_twiml_basic_auth_and_no_extra_time(world: World) -> None:
    credentials = base64.b64encode(f"twilio:{world.secret}".encode()).decode()
    with clock.frozen_at(at("2026-12-04 11:00")):
        response = Client().post(
            reverse("channels:ivr-twiml"),
            urlencode({"From": ACME_PHONE, "Digits": PINS["acme"]}),
            content_type=FORM,
            HTTP_AUTHORIZATION=f"Basic {credentials}",
        )
    root = ET.fromstring(response.content)
    assert shape(root) == ["Say", "Hangup"]
    assert "non prevede l'Extra Time" in (root.findtext("Say") or "")
    with clock.frozen_at(at("2026-12-04 11:00")):
        wrong = Client().post(
            reverse("channels:ivr-twiml"), urlencode({"From": ACME_PHONE}), content_type=FORM
        )
    assert wrong.status_code == 401


def test_ivr_lines_keep_only_a_hash(world: World) -> None:
    stored = IvrLine.objects.get()
    assert world.secret not in stored.secret_hash and len(stored.secret_hash) == 64
    new = services.ivr_line_rotate_secret(line=stored, actor=ACTOR, now=at("2026-12-01 00:00"))
    when = at("2026-12-05 10:00")
    assert post_pin(world, {"caller": "", "pin": "1"}, when).status_code == 401
    assert post_pin(world, {"caller": "", "pin": "1"}, when, new).status_code == 200


def test_staff_manage_the_line_in_the_admin(world: World, settings: Any) -> None:
    """The rota, lines, locks and attempts pages; the unlock action; a line's secret once."""
    from django.contrib.auth.models import User

    from assistdesk.channels.models import AfterHoursAccess

    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.test", "pw"))
    for model in ("oncallshift", "ivrline", "afterhoursaccess", "pinattempt"):
        assert client.get(f"/admin/channels/{model}/").status_code == 200, model
    AfterHoursAccess.objects.create(
        customer=world.customers["acme"], failed_count=10, is_locked_until_reset=True
    )
    response = client.post(
        "/admin/channels/afterhoursaccess/",
        {"action": "unlock", "_selected_action": [world.customers["acme"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    access = AfterHoursAccess.objects.get()
    assert (access.is_locked_until_reset, access.failed_count) == (False, 0)
    response = client.post(
        "/admin/channels/ivrline/add/", {"name": "backup", "language": "en", "is_active": "on"},
        follow=True,
    )  # fmt: skip
    shown = [str(m) for m in response.context["messages"] if "shown this once" in str(m)]
    secret = shown[0].rsplit(" ", 1)[1]
    with clock.frozen_at(at("2026-12-05 10:00")):
        answer = Client().post(
            reverse("channels:ivr-pin"), {"caller": "", "pin": "1"},
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}",
        )  # fmt: skip
    assert answer.json()["result"] == "identify"
