"""The after-hours line: check a caller's support PIN, connect the on-call technician.

How a call finds its customer (never the PIN alone):
1. a `customer_key` or keypad `customer_code` the IVR collected, else
2. the caller's number, matched against the contacts' phones: exactly one customer.
A withheld or unknown number, or one shared by contacts of several customers, gets
`identify`: the IVR asks for the customer code and calls again. A PIN is only ever
compared with ONE customer's PIN, so guessing costs tries against that customer's
counter (`lockout.py`), never a free search through every customer's PIN.

The answer does not tell a wrong PIN from an unknown customer, a customer without a PIN
or a locked PIN: all are `refused`, after the same hashing work. Only a right PIN learns
more (`granted` or `not_covered`). The `PinAttempt` log tells staff which it was; the
attempts on a locked PIN are only counted on its `AfterHoursAccess` row, so a flood of
guesses costs one UPDATE each and cannot grow the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from assistdesk.catalog.models import Origin
from assistdesk.channels.afterhours import lockout, phone, selectors
from assistdesk.channels.models import (
    AfterHoursAccess,
    IvrLine,
    OnCallShift,
    PinAttempt,
    PinResult,
)
from assistdesk.channels.monitoring import secrets
from assistdesk.contracts.models import Contract
from assistdesk.customers.models import Contact, Customer
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.services import ticket_create, ticket_set_contract

log = logging.getLogger(__name__)

GRANTED, NOT_COVERED, REFUSED, IDENTIFY = "granted", "not_covered", "refused", "identify"
_TOUCH = timedelta(minutes=1)  # how stale a line's last_used_at may get: one write a minute


@dataclass(frozen=True)
class PinCheck:
    outcome: str  # granted, not_covered, refused, identify
    language: str  # the customer's after a right PIN, else the line's
    on_call: OnCallShift | None = None
    ticket: Ticket | None = None

    @property
    def is_extra_time(self) -> bool:
        return self.outcome == GRANTED


@dataclass(frozen=True)
class _Caller:
    customer: Customer | None
    contact: Contact | None
    is_identified: bool  # False: ask for the customer code


# --- lines and rota ------------------------------------------------------------------------


def ivr_line_create(
    *, name: str, language: str = "en", actor: str, now: datetime
) -> tuple[IvrLine, str]:
    """A new IVR line and its secret: the plaintext is returned here once, never stored."""
    plaintext, digest = secrets.new_secret()
    line = IvrLine(name=name, language=language, secret_hash=digest, created_at=now)
    line.full_clean()
    with transaction.atomic():
        line.save()
    log.info("IVR line %s created by %s", name, actor)
    return line, plaintext


def ivr_line_rotate_secret(*, line: IvrLine, actor: str, now: datetime) -> str:
    plaintext, digest = secrets.new_secret()
    with transaction.atomic():
        IvrLine.objects.filter(pk=line.pk).update(secret_hash=digest)
    line.secret_hash = digest
    log.info("IVR line %s: secret rotated by %s", line.name, actor)
    return plaintext


def on_call_shift_create(
    *,
    technician: User,
    phone_number: str,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
    actor: str,
    now: datetime,
) -> OnCallShift:
    shift = OnCallShift(
        technician=technician, phone=phone_number, starts_at=starts_at, ends_at=ends_at, note=note
    )
    shift.full_clean()
    with transaction.atomic():
        shift.save()
    return shift


# --- the PIN -------------------------------------------------------------------------------


def support_pin_unlock(*, customer: Customer, actor: str, now: datetime) -> None:
    """Staff lift a PIN lock (short or until reset) and clear the wrong-attempt count."""
    with transaction.atomic():
        access = _locked_access(customer)
        access.failed_count = 0
        access.locked_until = None
        access.is_locked_until_reset = False
        access.unlocked_at, access.unlocked_by = now, actor[:150]
        access.save()
    log.info("support PIN of %s unlocked by %s", customer.key, actor)


def _locked_access(customer: Customer) -> AfterHoursAccess:
    """The customer's row, locked; made on the first call (a concurrent maker wins)."""
    found = AfterHoursAccess.objects.select_for_update().filter(customer=customer).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            AfterHoursAccess.objects.create(customer=customer)
    except IntegrityError:
        pass  # made by a concurrent call: lock that one
    return AfterHoursAccess.objects.select_for_update().get(customer=customer)


def _identify(caller: str, customer_key: str | None, customer_code: str | None) -> _Caller:
    if customer_key:
        customer = Customer.objects.filter(key=customer_key[:50]).first()
        return _Caller(customer, None, is_identified=True)
    if customer_code:
        access = (
            AfterHoursAccess.objects.filter(customer_code=customer_code[:10])
            .select_related("customer")
            .first()
        )
        return _Caller(access.customer if access else None, None, is_identified=True)
    contacts = selectors.contacts_with_number(caller=caller)
    if len(contacts) != 1:
        return _Caller(None, None, is_identified=False)
    return _Caller(contacts[0].customer, contacts[0], is_identified=True)


def _callers_contact(customer: Customer, caller: str, found: Contact | None) -> Contact | None:
    """The contact who called: found by the number, or looked up once the PIN was right."""
    if found is not None or not caller:
        return found
    return next(
        (c for c in selectors.contacts_with_number(caller=caller) if c.customer_id == customer.pk),
        None,
    )


def _count_if_locked(customer: Customer, now: datetime) -> bool:
    """Whether the customer's PIN is locked at `now`; if so the refusal is counted.

    One UPDATE, atomic on its own: under a brute-force attack nearly every attempt ends
    here, so it must be cheap and must not grow the attempt log.
    """
    locked = Q(is_locked_until_reset=True) | Q(locked_until__gt=now)
    return bool(
        AfterHoursAccess.objects.filter(locked, customer=customer).update(
            refused_while_locked=F("refused_while_locked") + 1, last_refused_at=now
        )
    )


def _spend_hashing_time(pin: str) -> None:
    """The work of checking a PIN, when there is none to check: refusals cost the same."""
    make_password(pin)  # one run of the default hasher, as a real comparison costs


def ivr_pin_check(
    *,
    caller: str,
    pin: str,
    customer_key: str | None = None,
    customer_code: str | None = None,
    line: IvrLine | None = None,
    now: datetime,
) -> PinCheck:
    """Check a PIN typed on the after-hours line; on success open an out-of-hours phone
    ticket and say whom to connect. One transaction; the customer's attempt counter is
    locked while the PIN is compared, so concurrent calls cannot both spend the same try."""
    caller = phone.normalise(caller)
    line_language = line.language if line is not None else "en"
    refused = PinCheck(REFUSED, line_language)
    if line is not None and (line.last_used_at is None or now - line.last_used_at > _TOUCH):
        IvrLine.objects.filter(pk=line.pk).update(last_used_at=now)
        line.last_used_at = now
    who = _identify(caller, customer_key, customer_code)
    if who.customer is not None and _count_if_locked(who.customer, now):
        # The path a guesser hammers: one statement, no PIN looked at, nothing logged.
        _spend_hashing_time(pin)
        return refused
    with transaction.atomic():

        def record(result: str, ticket: Ticket | None = None, note: str = "") -> None:
            PinAttempt.objects.create(
                at=now, line=line, caller=caller, customer=who.customer, result=result,
                ticket=ticket, note=note[:300],
            )  # fmt: skip

        if not who.is_identified:
            record(PinResult.UNIDENTIFIED)
            return PinCheck(IDENTIFY, line_language)
        customer = who.customer
        if customer is None:
            _spend_hashing_time(pin)
            record(PinResult.UNKNOWN_CUSTOMER, note=f"key {customer_key or customer_code!r}")
            return refused
        access = _locked_access(customer)
        state = lockout.LockState(
            access.failed_count, access.locked_until, access.is_locked_until_reset
        )
        if state.is_locked(now):  # locked by a concurrent call since `_count_if_locked`
            _spend_hashing_time(pin)
            _count_if_locked(customer, now)
            return refused
        customer.refresh_from_db(fields=["support_pin_hash"])
        if not customer.has_support_pin:
            _spend_hashing_time(pin)
            record(PinResult.NO_PIN)
            return refused
        if not lockout.is_well_formed(pin):
            _spend_hashing_time(pin)  # counted below: a malformed PIN is a wrong one
            is_right = False
        else:
            is_right = customer.check_support_pin(pin)
        if not is_right:
            state = lockout.after_wrong_pin(state, now)
            access.failed_count = state.failed_count
            access.locked_until = state.locked_until
            access.is_locked_until_reset = state.is_locked_until_reset
            access.last_failed_at = now
            access.save()
            record(PinResult.WRONG_PIN, note=_lock_note(state))
            return refused
        if access.failed_count or access.locked_until:
            access.failed_count, access.locked_until = 0, None
            access.save(update_fields=["failed_count", "locked_until"])
        language = customer.language
        contract = selectors.extra_time_contract(customer=customer, at=now)
        if contract is None:
            record(PinResult.NOT_COVERED)
            return PinCheck(NOT_COVERED, language)
        shift = selectors.on_call_at(at=now)
        contact = _callers_contact(customer, caller, who.contact)
        ticket, error = _open_ticket(customer, contact, contract, caller, shift, line, now)
        record(PinResult.GRANTED, ticket=ticket, note=error)
        return PinCheck(GRANTED, language, on_call=shift, ticket=ticket)


def _lock_note(state: lockout.LockState) -> str:
    if state.is_locked_until_reset:
        return f"wrong PIN {state.failed_count}: locked until staff unlock it"
    if state.locked_until is not None and state.failed_count == lockout.SHORT_LOCK_AFTER:
        return f"wrong PIN {state.failed_count}: locked for 15 minutes"
    return f"wrong PIN {state.failed_count}"


def _open_ticket(
    customer: Customer,
    contact: Contact | None,
    contract: Contract,
    caller: str,
    shift: OnCallShift | None,
    line: IvrLine | None,
    now: datetime,
) -> tuple[Ticket | None, str]:
    """The phone ticket of an authenticated after-hours call, flagged out of hours.

    A plan that takes the phone for emergencies only gets an urgent ticket: the
    after-hours line is the emergency line. If the plan refuses it anyway, the caller is
    still connected (the contract grants Extra Time) and the refusal is logged.
    """
    actor = f"ivr:{line.name}" if line is not None else "ivr"
    zone = contract.plan.calendar.zone()
    who = contact.name if contact is not None else (caller or "a withheld number")
    connect = (
        f"Connected to {shift.technician.get_full_name() or shift.technician} on {shift.phone}."
        if shift is not None
        else "Nobody was on call: call the customer back."
    )
    body = (
        f"{who} called the after-hours line at {timezone.localtime(now, zone):%Y-%m-%d %H:%M} "
        f"({caller or 'number withheld'}) and gave the right support PIN. Extra Time under "
        f"{contract.plan.name}. {connect}"
    )
    requester = contact if contact is not None and contact.is_authorised else None
    try:
        with transaction.atomic():
            ticket = ticket_create(
                customer=customer,
                requester=requester,
                origin=Origin.PHONE,
                subject=f"After-hours call from {who}",
                body=body,
                urgent=True if contract.plan.is_phone_emergency_only else None,
                received_at=now,
                is_out_of_hours=True,
                actor=actor,
                now=now,
            )
            if ticket.contract_id != contract.pk:
                ticket = ticket_set_contract(
                    ticket=ticket, contract=contract, reason="the Extra Time contract",
                    actor=actor, now=now,
                )  # fmt: skip
    except TicketError as error:
        log.warning("after-hours call of %s: no ticket: %s", customer.key, error)
        return None, f"no ticket: {error}"
    return ticket, ""
