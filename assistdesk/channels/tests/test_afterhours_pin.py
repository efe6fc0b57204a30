"""The support PIN under attack: lockout per customer, identification, brute force.

5 wrong PINs lock a customer's PIN for 15 minutes, 10 until staff unlock it; attempts are
counted per customer whatever number calls; a PIN is never tried against every customer.
"""

# ruff: noqa: F811 (the fixtures are imported from the sibling test module)

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from assistdesk.channels.afterhours import lockout, services
from assistdesk.channels.models import AfterHoursAccess, PinAttempt, PinResult
from assistdesk.channels.tests.test_afterhours import (  # noqa: F401 (fixtures)
    ACME_PHONE,
    ACTOR,
    PINS,
    World,
    at,
    fast_hasher,
    world,
)
from assistdesk.customers.models import Contact
from assistdesk.customers.services import customer_set_support_pin
from assistdesk.customers.tests.factories import ContactFactory, CustomerFactory
from assistdesk.tickets.models import Ticket

T0 = at("2026-12-05 22:00")  # Saturday night: Extra Time for Acme


def attempt(world: World, pin: str, when: Any, caller: str = ACME_PHONE, **kw: Any) -> str:
    return services.ivr_pin_check(caller=caller, pin=pin, line=world.line, now=when, **kw).outcome


def access_of(world: World, key: str = "acme") -> AfterHoursAccess:
    return AfterHoursAccess.objects.get(customer=world.customers[key])


# --- the lock, by the clock ------------------------------------------------------------------


def test_five_wrong_pins_lock_for_fifteen_minutes(world: World) -> None:
    for n in range(4):
        assert attempt(world, "000000", T0 + timedelta(seconds=n)) == "refused"
    assert not access_of(world).is_locked(T0 + timedelta(seconds=4))
    assert attempt(world, "000000", T0 + timedelta(seconds=4)) == "refused"  # the 5th
    assert access_of(world).locked_until == T0 + timedelta(seconds=4, minutes=15)
    # Locked: even the right PIN is refused, and not counted.
    assert attempt(world, PINS["acme"], T0 + timedelta(minutes=15, seconds=3)) == "refused"
    assert access_of(world).failed_count == 5
    assert access_of(world).refused_while_locked == 1
    # At the end of the 15 minutes the right PIN works and the count starts again.
    assert attempt(world, PINS["acme"], T0 + timedelta(minutes=15, seconds=4)) == "granted"
    access = access_of(world)
    assert (access.failed_count, access.locked_until) == (0, None)
    # The refusal while locked is counted on the row, not logged.
    assert [a.result for a in PinAttempt.objects.order_by("id")] == [PinResult.WRONG_PIN] * 5 + [
        PinResult.GRANTED
    ]
    assert PinAttempt.objects.filter(note="wrong PIN 5: locked for 15 minutes").count() == 1


def test_ten_wrong_pins_lock_until_staff_unlock(world: World) -> None:
    for n in range(5):
        attempt(world, f"00000{n}", T0)
    after = T0 + timedelta(minutes=15)
    for _ in range(4):
        assert attempt(world, "111111", after) == "refused"
        assert not access_of(world).is_locked(after)  # 6th to 9th: tries left, no new lock
    assert attempt(world, "111111", after) == "refused"  # the 10th
    access = access_of(world)
    assert access.is_locked_until_reset and access.failed_count == 10
    next_week = T0 + timedelta(days=7)
    assert attempt(world, PINS["acme"], next_week) == "refused"
    services.support_pin_unlock(customer=world.customers["acme"], actor="user:1", now=next_week)
    access = access_of(world)
    assert (access.failed_count, access.is_locked_until_reset, access.unlocked_by) == (
        0, False, "user:1",
    )  # fmt: skip
    assert attempt(world, PINS["acme"], next_week) == "granted"


def test_the_lock_rules_alone() -> None:
    state = lockout.LockState(0, None, False)
    for _ in range(4):
        state = lockout.after_wrong_pin(state, T0)
    assert not state.is_locked(T0)
    state = lockout.after_wrong_pin(state, T0)
    assert state.is_locked(T0 + lockout.SHORT_LOCK - timedelta(microseconds=1))
    assert not state.is_locked(T0 + lockout.SHORT_LOCK)
    for _ in range(5):
        state = lockout.after_wrong_pin(state, T0 + lockout.SHORT_LOCK)
    assert state.is_locked_until_reset and state.is_locked(T0 + timedelta(days=365))
    assert not lockout.is_well_formed("12345") and not lockout.is_well_formed(
        "\uff11" * 6
    )  # fullwidth


def test_attempts_count_per_customer_whatever_number_calls(world: World) -> None:
    globex = world.customers["globex"]
    AfterHoursAccess.objects.create(customer=world.customers["acme"], customer_code="1001")
    for n, caller in enumerate(["+39 06 780 7070", "0039067807070", "+39 347 000 0001", ""]):
        # the contact's number in two spellings, a spoofed mobile with the code, a withheld one
        kw = {} if n < 2 else {"customer_code": "1001"}
        attempt(world, "999999", T0, caller=caller, **kw)
    attempt(world, "999999", T0, caller="", customer_key="acme")
    assert access_of(world).locked_until == T0 + lockout.SHORT_LOCK
    # Another customer's counter is untouched.
    assert attempt(world, PINS["globex"], T0, caller="", customer_key=globex.key) == "granted"


def test_a_malformed_pin_counts_as_a_wrong_one(world: World) -> None:
    for pin in ("", "12345", "1234567", "abcdef"):
        assert attempt(world, pin, T0) == "refused"
    assert access_of(world).failed_count == 4


def test_a_customer_without_a_pin_is_refused_without_counting(world: World) -> None:
    customer = CustomerFactory(key="nopin")
    assert attempt(world, "000000", T0, caller="", customer_key="nopin") == "refused"
    assert PinAttempt.objects.get(customer=customer).result == PinResult.NO_PIN


# --- who is calling ----------------------------------------------------------------------------


def test_an_unknown_number_is_asked_for_the_customer_code(world: World) -> None:
    # Acme's right PIN from a number nobody registered: never matched against customers.
    assert attempt(world, PINS["acme"], T0, caller="+44 20 7946 0000") == "identify"
    assert attempt(world, PINS["acme"], T0, caller="anonymous") == "identify"
    assert attempt(world, PINS["acme"], T0, caller="+266696687") == "identify"  # Twilio's
    assert not Ticket.objects.exists()
    assert set(PinAttempt.objects.values_list("result", flat=True)) == {PinResult.UNIDENTIFIED}
    assert not AfterHoursAccess.objects.exists()  # nobody's counter moved


def test_a_number_shared_by_two_customers_is_asked_for_the_code(world: World) -> None:
    ContactFactory(customer=world.customers["initech"], phone="06 780 7070")
    assert attempt(world, PINS["acme"], T0) == "identify"
    assert attempt(world, PINS["acme"], T0, customer_key="acme") == "granted"


def test_the_callers_number_matches_however_it_was_typed(world: World) -> None:
    Contact.objects.filter(pk=world.contacts["acme"].pk).update(phone="(06) 780-70.70")
    assert attempt(world, PINS["acme"], T0, caller="+390678070 70") == "granted"
    ticket = Ticket.objects.get()
    assert ticket.requester == world.contacts["acme"]


def test_refusals_cost_the_same_hashing_work(world: World, monkeypatch: Any) -> None:
    calls: list[str] = []
    real = services.make_password
    monkeypatch.setattr(services, "make_password", lambda pin: calls.append(pin) or real(pin))
    attempt(world, "123456", T0, caller="", customer_key="nosuch")
    assert calls == ["123456"]  # no customer: the hasher still runs once


# --- brute force ----------------------------------------------------------------------------------


def test_brute_force_10000_guesses_0_successes(world: World) -> None:
    """An attacker with 10 000 guesses, one every 30 seconds (so every 15-minute lock runs
    out), who knows every customer key and every contact's number, guesses PINs in order
    from 000000: each target's right PIN is among its guesses (Acme's 000123 is the 124th),
    yet the lock stops every target after 10 wrong PINs.

    - 4 000 guesses at Acme, rotating the caller id between spoofed contact numbers and
      the key (counted per customer, so rotating buys nothing);
    - 5 000 guesses over 50 other customers, 100 each;
    - 1 000 PIN-only guesses from unknown numbers, every customer's PIN among them.
    """
    started = time.monotonic()
    customer_set_support_pin(customer=world.customers["acme"], pin="000123", actor=ACTOR, now=T0)
    targets = []
    for n in range(50):
        customer = CustomerFactory(key=f"victim-{n}")
        customer_set_support_pin(customer=customer, pin=f"{n + 20:06d}", actor=ACTOR, now=T0)
        targets.append(customer)
    outcomes: list[str] = []
    clock = (T0 + timedelta(seconds=30 * n) for n in range(10_000))
    callers = [ACME_PHONE, "0039 06 7807070", "", "+39 347 000 1234"]
    for n in range(4000):
        key = "acme" if callers[n % 4] in ("", "+39 347 000 1234") else None
        pin, caller = f"{n:06d}", callers[n % 4]
        outcomes.append(attempt(world, pin, next(clock), caller=caller, customer_key=key))
    for n in range(5000):
        pin, key = f"{n // 50:06d}", targets[n % 50].key
        outcomes.append(attempt(world, pin, next(clock), caller="", customer_key=key))
    every_pin = ["000123", *PINS.values(), *(f"{n + 20:06d}" for n in range(50))]
    for n in range(1000):
        pin, caller = every_pin[n % len(every_pin)], f"+4420{n:07d}"
        outcomes.append(attempt(world, pin, next(clock), caller=caller))
    assert len(outcomes) == 10_000
    assert outcomes.count("granted") == outcomes.count("not_covered") == 0
    assert not Ticket.objects.exists()
    # The lock was observed: every target locked until reset after exactly 10 wrong PINs.
    locks = AfterHoursAccess.objects.filter(customer__in=[world.customers["acme"], *targets])
    assert locks.count() == 51
    assert set(locks.values_list("is_locked_until_reset", "failed_count")) == {(True, 10)}
    assert PinAttempt.objects.filter(result=PinResult.WRONG_PIN).count() == 51 * 10
    assert sum(locks.values_list("refused_while_locked", flat=True)) == 9000 - 510
    assert PinAttempt.objects.filter(result=PinResult.UNIDENTIFIED).count() == 1000
    # The customer keeps the line after staff unlock it.
    services.support_pin_unlock(customer=world.customers["acme"], actor="user:1", now=T0)
    assert attempt(world, "000123", T0 + timedelta(days=4)) == "granted"
    print(f"brute force: 10000 guesses in {time.monotonic() - started:.1f} s")


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_spend_exactly_ten_tries(fast_hasher: None) -> None:
    world = World()
    errors: list[BaseException] = []

    def wave(when: Any) -> None:
        """8 calls at once, 5 guesses each, all at `when`."""
        barrier = threading.Barrier(8)

        def guesser(offset: int) -> None:
            try:
                barrier.wait()
                for n in range(5):
                    attempt(world, f"9{offset}{n:04d}", when)
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=guesser, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    wave(T0)
    assert errors == []
    assert PinAttempt.objects.filter(result=PinResult.WRONG_PIN).count() == 5
    assert access_of(world).refused_while_locked == 35
    assert access_of(world).locked_until == T0 + lockout.SHORT_LOCK
    wave(T0 + lockout.SHORT_LOCK)
    assert errors == []
    assert PinAttempt.objects.filter(result=PinResult.WRONG_PIN).count() == 10
    assert access_of(world).refused_while_locked == 70
    assert access_of(world).is_locked_until_reset
