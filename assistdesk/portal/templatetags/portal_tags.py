"""Template filters of the portal: durations, money and the ticket's words, in the
active language (dates use Django's own `date` filter with the locale's formats)."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

register = template.Library()

# Django's catalogs capitalise month and day names; Italian, French and Romanian write
# them in lower case inside a date ("15 aprile 2026"), as the billing documents do.
_LOWER_CASE_MONTHS = ("it", "fr", "ro")


def _words_case(text: str) -> str:
    if translation.get_language() in _LOWER_CASE_MONTHS:
        return re.sub(r"[^\W\d_]+", lambda word: word.group().lower(), text)
    return text


@register.filter(expects_localtime=True)
def long_date(value: date | None) -> str:
    """15 aprile 2026, 15 avril 2026, April 15, 2026 (active language)."""
    return _words_case(formats.date_format(value, "DATE_FORMAT")) if value else ""


@register.filter(expects_localtime=True)
def long_datetime(value: date | None) -> str:
    """The date and time in the customer's time zone, in the active language."""
    return _words_case(formats.date_format(value, "DATETIME_FORMAT")) if value else ""


@register.filter(expects_localtime=True)
def month_year(value: date | None) -> str:
    """aprile 2026, April 2026 (active language)."""
    return _words_case(formats.date_format(value, "YEAR_MONTH_FORMAT")) if value else ""


@register.filter
def duration(minutes: Decimal | int | None) -> str:
    """Ledger minutes as people read them: "5 h 30 min", "45 min", "0 min".

    A fractional minute (coefficients make them) is rounded half up to the whole minute:
    the ledger keeps the exact value, the page shows what a person can use.
    """
    if minutes is None:
        return ""
    whole = int(Decimal(minutes).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sign = "-" if whole < 0 else ""
    hours, rest = divmod(abs(whole), 60)
    if hours and rest:
        return sign + _("%(hours)s h %(minutes)s min") % {
            "hours": formats.number_format(hours, use_l10n=True, force_grouping=True),
            "minutes": rest,
        }
    if hours:
        return sign + _("%(hours)s h") % {
            "hours": formats.number_format(hours, use_l10n=True, force_grouping=True)
        }
    return sign + _("%(minutes)s min") % {"minutes": rest}


@register.simple_tag
def money(amount: Decimal | None, currency: str = "") -> str:
    """`1.556,81 RON` in ro and it, `1 556,81 EUR` in fr, `1,556.81 EUR` in en."""
    if amount is None:
        return ""
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{number} {currency}".strip()


def state_labels() -> dict[str, str]:
    # Words a customer understands; the staff names of the states stay in the console.
    return {
        "new": pgettext("ticket state", "Received"),
        "acknowledged": pgettext("ticket state", "Received"),
        "assigned": pgettext("ticket state", "Assigned to a technician"),
        "in_progress": pgettext("ticket state", "In progress"),
        "waiting_customer": pgettext("ticket state", "Waiting for your answer"),
        "resolved": pgettext("ticket state", "Resolved: please confirm"),
        "reopened": pgettext("ticket state", "Reopened"),
        "closed": pgettext("ticket state", "Closed"),
    }


@register.filter
def state_label(state: str) -> str:
    return state_labels().get(state, state)


@register.filter
def severity_label(severity: int) -> str:
    return {
        1: _("1 high (blocking)"),
        2: _("2 medium (partial)"),
        3: _("3 low (notice)"),
    }.get(severity, str(severity))


@register.filter
def origin_label(origin: str) -> str:
    return {
        "email": _("e-mail"),
        "web": _("portal"),
        "phone": _("phone"),
        "monitoring": _("monitoring"),
        "other": _("other"),
    }.get(origin, origin)


@register.filter
def mode_label(mode: str) -> str:
    return {"remote": _("remote"), "onsite": _("on site"), "phone": _("phone")}.get(mode, mode)


@register.filter
def contract_state_label(state: str) -> str:
    return {
        "trial": _("trial"),
        "active": _("active"),
        "ended": _("ended"),
        "converted": _("converted"),
    }.get(state, state)


@register.filter
def target_text(target: Any) -> str:
    """A plan's SLA target as a promise: "First answer within 6 working hours"."""
    kind = {
        "response": _("First written answer"),
        "onsite": _("Technician on site"),
        "resolution": _("Resolution"),
        "change": _("Changes done"),
    }.get(target.kind, target.kind)
    if target.working_hours is not None:
        span = ngettext(
            "within %(count)d working hour",
            "within %(count)d working hours",
            target.working_hours,
        ) % {"count": target.working_hours}
    else:
        span = ngettext(
            "within %(count)d working day",
            "within %(count)d working days",
            target.working_days or 0,
        ) % {"count": target.working_days or 0}
    which = ""
    if target.urgent is True:
        which = _("urgent requests")
    elif target.urgent is False:
        which = _("other requests")
    if target.severity is not None:
        which = _("severity %(severity)d") % {"severity": target.severity}
    text = f"{kind} {span}"
    return f"{text} ({which})" if which else text


@register.filter
def author_label(message: Any) -> str:
    """Who wrote a message, as the customer should read it: a contact's or technician's
    name, else "Help desk" (never an internal actor id such as "user:1")."""
    if message.author_contact is not None:
        return str(message.author_contact.name)
    user = message.author_user
    if user is not None:
        return str(user.get_full_name() or user.get_username())
    return _("Help desk")


@register.filter
def author_side(message: Any) -> str:
    """ "us" for the customer's own messages, "provider" for the help desk's."""
    return "us" if message.author_contact_id is not None else "provider"
