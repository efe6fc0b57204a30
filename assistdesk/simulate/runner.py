"""Replaying a scenario through the real services, the clock set to each event's time.

The runner owns no business rule: it turns each entry of the file into the call a
dispatcher, a technician, an accountant or the scheduler would make, in time order,
and reads the result back through the same selectors the console uses. A scenario's
tickets interleave, so all their events go onto one timeline; within a ticket the file's
order is kept, and an event never runs before the one above it.

Before each step the periodic jobs run at that instant (trial conversion, monthly
allowances, expiry, auto-close), exactly as the scheduler would have run them by then:
each of them processes everything due and is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError

from assistdesk.billing.fx.feeds import FeedError
from assistdesk.billing.fx.importer import fx_rate_record
from assistdesk.billing.services import billing_run
from assistdesk.catalog.models import Plan
from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.common import clock
from assistdesk.contracts import selectors as contract_selectors
from assistdesk.contracts.services import (
    allowances_expire,
    allowances_grant_due_monthly,
    contract_create,
    contracts_convert_due_trials,
    package_purchase,
)
from assistdesk.customers.models import Customer
from assistdesk.customers.services import customer_create
from assistdesk.domain.errors import DomainError, SpecError
from assistdesk.simulate import output
from assistdesk.simulate.scenario import CustomerSpec, EventSpec, Scenario, TicketSpec
from assistdesk.tickets import services as tickets

ACTOR = "system:simulate"


@dataclass(order=True)
class Step:
    at: datetime
    order: tuple[int, ...]
    path: str = field(compare=False)
    action: Callable[[datetime], None] = field(compare=False)


@dataclass
class Replay:
    scenario: Scenario
    customers: dict[str, Customer] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    tickets: dict[str, Any] = field(default_factory=dict)

    def local_midnight(self, on: date) -> datetime:
        return datetime.combine(on, time(0), tzinfo=self.scenario.timezone)


def run(scenario: Scenario) -> dict[str, Any]:
    """Replay `scenario` on the current (throw-away) database; the result as a dict."""
    replay = Replay(scenario)
    start = _first_instant(scenario)
    with clock.frozen_at(start):
        _keyed(partial(_catalog, replay, start), "")
        for spec in scenario.customers:
            _keyed(partial(_customer, replay, spec, start), spec.path)
    for step in sorted(_timeline(replay)):
        with clock.frozen_at(step.at):
            _periodic(step.at)
            _keyed(partial(step.action, step.at), step.path)
    return output.result(replay.scenario, replay.customers, replay.tickets)


def _first_instant(scenario: Scenario) -> datetime:
    candidates = [t.received_at for t in scenario.tickets]
    tz = scenario.timezone
    candidates += [datetime.combine(c.start_on, time(0), tzinfo=tz) for c in scenario.contracts]
    candidates += [datetime.combine(p.purchased_on, time(0), tzinfo=tz) for p in scenario.packages]
    return min(candidates, default=datetime.now(tz))


def _keyed(action: Callable[[], object], path: str) -> None:
    """Run one step; any refusal of a service becomes an error naming the file's key."""
    try:
        action()
    except SpecError as error:
        raise error.under(path) if path else error from None
    except ValidationError as error:
        raise _validation_to_spec(error, path) from None
    except (DomainError, FeedError) as error:
        raise SpecError(path, str(error)) from None


def _validation_to_spec(error: ValidationError, path: str) -> SpecError:
    if hasattr(error, "error_dict"):
        name, messages = next(iter(error.message_dict.items()))
        key = f"{path}.{name}" if path and name != "__all__" else path or name
        return SpecError(key, "; ".join(messages))
    return SpecError(path, "; ".join(error.messages))


def _periodic(now: datetime) -> None:
    contracts_convert_due_trials(now=now, actor=ACTOR)
    allowances_grant_due_monthly(now=now, actor=ACTOR)
    allowances_expire(now=now, actor=ACTOR)
    tickets.tickets_auto_close_due(now=now, actor=ACTOR)


# --- the catalog and the customers, before anything happens ------------------------------


def _catalog(replay: Replay, now: datetime) -> None:
    spec = {"calendars": replay.scenario.calendars, "plans": list(replay.scenario.plans)}
    _, replay.plans = catalog_load_from_spec(spec=spec, actor=ACTOR, now=now)


def _customer(replay: Replay, spec: CustomerSpec, now: datetime) -> None:
    replay.customers[spec.key] = customer_create(
        key=spec.key,
        name=spec.name,
        country=spec.country,
        currency=spec.currency,
        language=spec.language,
        vat_rate=spec.vat_rate,
        is_vat_reverse_charge=spec.is_vat_reverse_charge,
        vat_id=spec.vat_id,
        workstations=spec.workstations,
        is_in_town=spec.is_in_town,
        is_part_approval_required=spec.is_part_approval_required,
        actor=ACTOR,
        now=now,
    )


# --- the timeline --------------------------------------------------------------------------


def _timeline(replay: Replay) -> Iterator[Step]:
    scenario = replay.scenario
    for i, contract in enumerate(scenario.contracts):

        def start_contract(now: datetime, contract: Any = contract) -> None:
            contract_create(
                customer=replay.customers[contract.customer],
                plan=replay.plans[contract.plan],
                start_on=contract.start_on,
                billing_cycle=contract.billing_cycle,
                workstations=contract.workstations,
                actor=ACTOR,
                now=now,
            )

        yield Step(replay.local_midnight(contract.start_on), (0, i), contract.path, start_contract)

    for i, package in enumerate(scenario.packages):

        def buy(now: datetime, package: Any = package) -> None:
            package_purchase(
                customer=replay.customers[package.customer],
                plan=replay.plans[package.plan],
                purchased_on=package.purchased_on,
                actor=ACTOR,
                now=now,
            )

        yield Step(replay.local_midnight(package.purchased_on), (1, i), package.path, buy)

    for i, ticket in enumerate(scenario.tickets):
        yield from _ticket_steps(replay, ticket, i)

    for i, fx in enumerate(scenario.fx_rates):

        def publish(now: datetime, fx: Any = fx) -> None:
            fx_rate_record(
                published_on=fx.on,
                from_currency=fx.from_currency,
                to_currency=fx.to_currency,
                rate=fx.rate,
                actor=ACTOR,
                now=now,
            )

        yield Step(replay.local_midnight(fx.on), (1, i), fx.path, publish)

    for i, billing in enumerate(scenario.billing):

        def bill(now: datetime, billing: Any = billing) -> None:
            billing_run(period=billing.period, invoice_on=billing.invoice_on, actor=ACTOR, now=now)

        # The accountant runs the month's invoicing once the invoice day is over.
        end_of_day = replay.local_midnight(billing.invoice_on + timedelta(days=1))
        yield Step(end_of_day - timedelta(seconds=1), (3, i), billing.path, bill)


def _ticket_steps(replay: Replay, spec: TicketSpec, index: int) -> Iterator[Step]:
    def receive(now: datetime) -> None:
        replay.tickets[spec.key] = tickets.ticket_create(
            customer=replay.customers[spec.customer],
            origin=spec.origin,
            subject=spec.subject,
            severity=spec.severity,
            urgent=spec.urgent,
            kind=spec.kind,
            received_at=spec.received_at,
            actor=ACTOR,
            now=now,
        )

    yield Step(spec.received_at, (2, index, 0), spec.path, receive)
    previous = spec.received_at
    for j, event in enumerate(spec.events, start=1):
        # An intervention is logged when it ends; nothing runs before the event above it.
        at = max(previous, event.end_at or event.at)
        previous = at
        action = _event_action(replay, spec, event)
        yield Step(at, (2, index, j), event.key, action)


def _event_action(replay: Replay, spec: TicketSpec, event: EventSpec) -> Callable[[datetime], None]:
    def ticket() -> Any:
        stale = replay.tickets[spec.key]
        return type(stale).objects.get(pk=stale.pk)

    def act(now: datetime) -> None:
        t = ticket()
        text = event.text or f"{event.type.replace('_', ' ')} ({spec.key})"
        match event.type:
            case "acknowledgement":
                tickets.ticket_acknowledge(ticket=t, actor=ACTOR, now=now)
            case "response":
                tickets.ticket_reply(ticket=t, body=text, is_public=True, actor=ACTOR, now=now)
            case "confirmation":
                tickets.ticket_confirm_intervention(
                    ticket=t, planned_at=now, mode="remote", expected_minutes=60,
                    actor=ACTOR, now=now,
                )  # fmt: skip
            case "intervention":
                _intervention(t, event, now)
            case "waiting":
                tickets.ticket_wait_for_customer(ticket=t, reason=text, actor=ACTOR, now=now)
            case "customer_reply":
                tickets.ticket_customer_reply(ticket=t, body=text, actor=ACTOR, now=now)
            case "resolved":
                tickets.ticket_resolve(ticket=t, actor=ACTOR, now=now)
            case "reopened":
                tickets.ticket_reopen(ticket=t, reason=text, actor=ACTOR, now=now)
            case "closed":
                if t.state != "closed":  # the auto-close job may have been first
                    tickets.ticket_close(ticket=t, actor=ACTOR, now=now)

    return act


def _intervention(ticket: Any, event: EventSpec, now: datetime) -> None:
    assert event.end_at is not None
    terms = contract_selectors.contract_rating_terms(contract=ticket.contract)
    try:
        terms.rate_for(event.activity, event.mode)
    except SpecError as error:
        raise SpecError("activity", error.message) from None
    tickets.intervention_log(
        ticket=ticket,
        mode=event.mode,
        activity=event.activity,
        start_at=event.at,
        end_at=event.end_at,
        description=event.text,
        km=event.km,
        remote_tool_setup=event.remote_tool_setup,
        warranty=event.warranty,
        follow_up=event.follow_up,
        resolved=event.resolved,
        parts=[(p.name, p.quantity, p.unit_price) for p in event.parts],
        actor=ACTOR,
        now=now,
    )
