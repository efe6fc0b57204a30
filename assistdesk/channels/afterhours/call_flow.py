"""One step of a TwiML call (`twiml.py` draws the flow): which prompt, or the PIN's answer."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from assistdesk.channels.afterhours import phone, selectors, services, twiml
from assistdesk.channels.afterhours.services import GRANTED, IDENTIFY, NOT_COVERED, PinCheck
from assistdesk.channels.models import IvrLine

CODE_MAX_DIGITS = 10


def spoken(check: PinCheck) -> str:
    """What the caller hears for a PIN check's answer."""
    number = str(check.ticket.number) if check.ticket is not None else "-"
    if check.outcome == GRANTED:
        name = "connecting" if check.on_call is not None else "nobody_on_call"
        return twiml.text(name, check.language, number=number)
    if check.outcome == NOT_COVERED:
        return twiml.text("not_covered", check.language)
    if check.outcome == IDENTIFY:
        return twiml.text("ask_code", check.language)
    return twiml.text("refused", check.language)


def twiml_step(
    *,
    caller: str,
    digits: str,
    step: str,
    code: str,
    line: IvrLine,
    path: str,
    token: str | None,
    now: datetime,
) -> str:
    """The TwiML answering one POST of the call; `path` and `token` build the next step's URL
    (the token only when the line authenticated by the query, Twilio cannot add headers)."""

    def action(**params: str) -> str:
        query = {"token": token, **params} if token else params
        return f"{path}?{urlencode(query)}" if query else path

    language = line.language
    if step == "code":
        if not digits:
            return twiml.say_and_hang_up(twiml.text("no_input", language), language)
        return twiml.gather(
            "ask_pin", language, action=action(code=digits[:CODE_MAX_DIGITS]), num_digits=6
        )
    if not digits:
        if len(selectors.contacts_with_number(caller=phone.normalise(caller))) == 1 or code:
            return twiml.gather(
                "ask_pin", language, action=action(code=code) if code else action(), num_digits=6
            )
        return twiml.gather("ask_code", language, action=action(step="code"), num_digits=None)
    check = services.ivr_pin_check(
        caller=caller, pin=digits, customer_code=code or None, line=line, now=now
    )
    if check.outcome == IDENTIFY:
        return twiml.gather("ask_code", language, action=action(step="code"), num_digits=None)
    if check.outcome == GRANTED and check.on_call is not None:
        return twiml.say_and_dial(spoken(check), check.language, check.on_call.phone)
    return twiml.say_and_hang_up(spoken(check), check.language)
