"""Dates as the documents' language writes them: `long_date`, `year_month`."""

from __future__ import annotations

from datetime import date

from django import template

from assistdesk.billing.documents import long_date, month_name

register = template.Library()


@register.filter
def long_date_format(on: date | None) -> str:
    return long_date(on) if on is not None else ""


@register.filter
def year_month(on: date | None) -> str:
    return month_name(on) if on is not None else ""
