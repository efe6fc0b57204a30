"""Console template helpers: money and numbers in the user's locale, SLA countdowns,
labels of stored codes, actor names, and mail HTML made safe once more."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import nh3
from django import template
from django.forms import BoundField
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assistdesk.accounts.roles import Role, staff_roles
from assistdesk.console import labels as label_tables

register = template.Library()

WARN_SHARE = Decimal("0.25")  # a target is "near" in its last quarter...
WARN_SECONDS = 3600  # ...or in its last hour, whichever comes first
MINUS = "\u2212"  # a minus sign, as wide as the digits (a hyphen is narrower)


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """1234.5 → "1,234.50 EUR" (en) / "1.234,50 EUR" (it): the locale's separators."""
    if amount is None:
        return ""
    text = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    return f"{text} {currency}".strip()


@register.filter
def number(value: Decimal | int | None, places: int = 0) -> str:
    if value is None:
        return ""
    return formats.number_format(value, int(places), use_l10n=True, force_grouping=True)


@register.filter
def hours(minutes: Decimal | int | None) -> str:
    """Minutes as hours with one decimal, in the locale: 90 → "1.5" / "1,5"."""
    if minutes is None:
        return ""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.1"))
    return formats.number_format(value, 1, use_l10n=True, force_grouping=True)


@register.filter
def label(code: Any, table: str) -> str:
    """`{{ ticket.state|label:"STATES" }}`: the translated label of a stored code."""
    return label_tables.label(getattr(label_tables, table), code)


@register.filter
def actor(value: str, names: dict[str, str]) -> str:
    return names.get(value, value)


@register.filter
def sanitised(html: str) -> SafeString:
    """Mail HTML, cleaned again at display time.

    It was cleaned when stored (the services run nh3); cleaning again here means a row
    written any other way (an import, an older version, a bug) still cannot run code.
    """
    return mark_safe(nh3.clean(html or "", link_rel="noopener noreferrer nofollow"))  # noqa: S308


def countdown_state(due_at: datetime, start_at: datetime | None, now: datetime) -> str:
    left = (due_at - now).total_seconds()
    if left < 0:
        return "late"
    span = (due_at - start_at).total_seconds() if start_at else 0
    if left <= WARN_SECONDS or (span > 0 and Decimal(left) <= WARN_SHARE * Decimal(span)):
        return "warn"
    return "ok"


def countdown_text(due_at: datetime, now: datetime) -> str:
    """'2:05' left, '-0:35' late (a real minus sign), '3 d' beyond two days; console.js
    writes the same."""
    seconds = (due_at - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    sign = MINUS if seconds < 0 else ""
    if minutes >= 2 * 24 * 60:
        return f"{sign}{minutes // 1440} {_('d')}"
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


@register.simple_tag
def countdown(due_at: datetime | None, start_at: datetime | None, now: datetime) -> str:
    """A live SLA countdown: console.js recomputes text and colour every 20 s."""
    if due_at is None:
        return ""
    state = countdown_state(due_at, start_at, now)
    local = timezone.localtime(due_at)
    return format_html(
        '<time class="sla sla-{}" datetime="{}" data-due="{}" data-start="{}" title="{}">{}</time>',
        state,
        due_at.isoformat(),
        int(due_at.timestamp() * 1000),
        int(start_at.timestamp() * 1000) if start_at else "",
        formats.date_format(local, "SHORT_DATETIME_FORMAT"),
        countdown_text(due_at, now),
    )


@register.simple_tag
def select_options(field: BoundField) -> SafeString:
    """The <option>s of a choice field, current value selected.

    Written out here rather than by the widget's templates: the queue's customer filter
    lists every customer, and a template per option is most of the page's time.
    """
    value = field.value()
    current = {str(v) for v in value} if isinstance(value, list | tuple) else {str(value or "")}
    choices = getattr(field.field, "choices", [])
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (code, mark_safe(" selected") if str(code) in current else "", text)
            for code, text in choices
        ),
    )


@register.simple_tag
def role_labels(user: Any) -> list[str]:
    """The user's staff roles, translated, in a fixed order."""
    roles = staff_roles(user)
    return [label_tables.label(label_tables.ROLES, r.value) for r in Role if r in roles]


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], page: int) -> str:
    """This page's URL with another page number, filters kept."""
    query = context.get("query") or ""
    return "?" + (f"{query}&" if query else "") + urlencode({"page": page})
