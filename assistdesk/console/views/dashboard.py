"""This month per customer: SLA attainment and hours of work, as charts and a table.

The month is the calendar month of the viewer's time zone. A target counts in the
month when it came due or was met in it: met on time is attained; met late, or open
and already past due, is missed; open and not yet due does not count yet. Hours are
the real duration of the interventions started in the month (the rating's minimums and
rounding are billing's business, not the workload's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from assistdesk.common import clock
from assistdesk.console.access import StaffRequest, console_view
from assistdesk.console.charts import bar_chart
from assistdesk.customers.models import Customer
from assistdesk.tickets.models import Intervention, TicketTarget

CHART_ROWS = 15


@dataclass(frozen=True)
class CustomerMonth:
    customer: Customer
    met: int
    missed: int
    minutes: int

    @property
    def attainment(self) -> Decimal | None:
        counted = self.met + self.missed
        if not counted:
            return None
        return (Decimal(100) * self.met / counted).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The viewer's current month as [start, end). The zone is a ZoneInfo: each bound
    gets its own UTC offset, right across a DST change."""
    start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        return start, start.replace(year=start.year + 1, month=1)
    return start, start.replace(month=start.month + 1)


def month_figures(*, start: datetime, end: datetime, now: datetime) -> list[CustomerMonth]:
    in_month = Q(due_at__gte=start, due_at__lt=end) | Q(actual_at__gte=start, actual_at__lt=end)
    targets = (
        TicketTarget.objects.filter(in_month)
        .values("ticket__customer_id")
        .annotate(
            # Not named `met`: an annotation of a field's name would shadow the field.
            n_met=Count("id", filter=Q(met=True)),
            n_missed=Count("id", filter=Q(met=False) | Q(met__isnull=True, due_at__lt=now)),
        )
    )
    work = (
        Intervention.objects.filter(start_at__gte=start, start_at__lt=end)
        .values("ticket__customer_id")
        .annotate(
            spent=Sum(ExpressionWrapper(F("end_at") - F("start_at"), output_field=DurationField()))
        )
    )
    sla = {row["ticket__customer_id"]: (row["n_met"], row["n_missed"]) for row in targets}
    minutes = {
        row["ticket__customer_id"]: int(row["spent"].total_seconds() // 60)
        for row in work
        if row["spent"] is not None
    }
    customers = Customer.objects.filter(pk__in=sla.keys() | minutes.keys()).only("key", "name")
    rows = [
        CustomerMonth(
            customer=c,
            met=sla.get(c.pk, (0, 0))[0],
            missed=sla.get(c.pk, (0, 0))[1],
            minutes=minutes.get(c.pk, 0),
        )
        for c in customers
    ]
    return sorted(rows, key=lambda r: (-r.minutes, r.customer.name))


def _attainment_class(value: Decimal) -> str:
    if value >= 95:
        return "bar-good"
    return "bar-warn" if value >= 80 else "bar-bad"


@console_view()
def dashboard(request: StaffRequest) -> HttpResponse:
    now = clock.now()
    start, end = month_bounds(now)
    rows = month_figures(start=start, end=end, now=now)
    link = {r.customer.pk: reverse("console:customer", args=[r.customer.key]) for r in rows}
    hours_chart = bar_chart(
        _("Hours of work"),
        [
            (r.customer.name, r.hours, formats.localize(r.hours), "bar-hours", link[r.customer.pk])
            for r in rows[:CHART_ROWS]
            if r.minutes
        ],
    )
    rated = sorted(
        (r for r in rows if r.attainment is not None),
        key=lambda r: (r.attainment, r.customer.name),
    )[:CHART_ROWS]
    sla_chart = bar_chart(
        _("SLA attainment"),
        [
            (
                r.customer.name,
                r.attainment,
                f"{formats.localize(r.attainment)} %",
                _attainment_class(r.attainment),
                link[r.customer.pk],
            )
            for r in rated
            if r.attainment is not None
        ],
        scale_max=Decimal(100),
    )
    total_met = sum(r.met for r in rows)
    total_counted = total_met + sum(r.missed for r in rows)
    context = {
        "rows": rows,
        "links": link,
        "hours_chart": hours_chart,
        "sla_chart": sla_chart,
        "month": start,
        "total_hours": (Decimal(sum(r.minutes for r in rows)) / 60).quantize(Decimal("0.1")),
        "total_attainment": (
            (Decimal(100) * total_met / total_counted).quantize(Decimal("0.1"))
            if total_counted
            else None
        ),
    }
    return render(request, "console/dashboard.html", context)
