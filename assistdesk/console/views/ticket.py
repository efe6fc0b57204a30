"""The ticket page: thread, SLA targets, work, history, rating, and the action forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from assistdesk.common import clock
from assistdesk.console import forms as cf
from assistdesk.console.access import StaffRequest, console_view
from assistdesk.console.selectors import actor_names, assignable_staff
from assistdesk.tickets.models import Intervention, Ticket, TicketTarget
from assistdesk.tickets.selectors import (
    ticket_history,
    ticket_interventions,
    ticket_rating,
    ticket_thread,
)
from assistdesk.tickets.services.intake import DISPATCH_PERMISSION
from assistdesk.tickets.states import TicketState

S = TicketState
CHANGE = "tickets.change_ticket"
LOG_WORK = "tickets.add_intervention"


def get_ticket(number: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "customer", "contract", "plan__calendar", "requester", "assignee"
        ),
        number=number,
    )


def _minute(value: Any) -> Any:
    return value.replace(second=0, microsecond=0)


def initial_forms(ticket: Ticket, request: StaffRequest) -> dict[str, Any]:
    """Every action form, unbound, with sensible starting values."""
    now = _minute(timezone.localtime(clock.now()))
    staff = assignable_staff() if request.user.has_perm(DISPATCH_PERMISSION) else []
    mode = "onsite" if ticket.is_escalated_onsite else "remote"
    forms_by_action: dict[str, Any] = {
        "reply": cf.ReplyForm,
        "classify": cf.ClassifyForm,
        "acknowledge": cf.EmptyForm,
        "confirm": cf.ConfirmForm,
        "intervention": cf.InterventionForm,
        "escalate": cf.ReasonForm,
        "wait": cf.ReasonForm,
        "resolve": cf.OptionalReasonForm,
        "close": cf.OptionalReasonForm,
        "reopen": cf.ReasonForm,
    }
    initial: dict[str, dict[str, Any]] = {
        "classify": {"severity": ticket.severity, "urgent": ticket.is_urgent, "kind": ticket.kind},
        "confirm": {"planned_at": now + timedelta(hours=2), "mode": mode, "expected_minutes": 60},
        "intervention": {
            "mode": mode,
            "activity": "change" if ticket.kind == "change" else "support",
            "start_at": now - timedelta(hours=1),
            "end_at": now,
            "km": 0,
        },
    }
    page_forms: dict[str, Any] = {
        name: form_class(initial=initial.get(name), auto_id=auto_id(name))
        for name, form_class in forms_by_action.items()
    }
    page_forms["assign"] = cf.AssignForm(
        initial={"assignee": ticket.assignee_id}, staff=staff, auto_id=auto_id("assign")
    )
    page_forms["parts"] = cf.PartFormSet(prefix="parts")
    return page_forms


def auto_id(action: str) -> str:
    """Element ids per action: several forms on the page have a `reason` field."""
    return f"{action}-%s"


def available_actions(ticket: Ticket, request: StaffRequest) -> set[str]:
    """The forms shown: what the state allows and the user's permissions permit."""
    user = request.user
    state = ticket.state
    done = state in (S.RESOLVED, S.CLOSED)
    actions: set[str] = set()
    if user.has_perm(CHANGE):
        if state != S.CLOSED:
            actions |= {"reply", "classify"}
        if state == S.NEW:
            actions.add("acknowledge")
        if not done:
            actions |= {"confirm", "resolve"}
            if state != S.WAITING_CUSTOMER:
                actions.add("wait")
        if state != S.CLOSED and not ticket.is_escalated_onsite:
            actions.add("escalate")
        if state == S.RESOLVED:
            actions.add("close")
        if done:
            actions.add("reopen")
    if user.has_perm(LOG_WORK) and state != S.CLOSED:
        actions.add("intervention")
    if user.has_perm(DISPATCH_PERMISSION) and not done:
        actions.add("assign")
    return actions


def ticket_page(
    request: StaffRequest,
    ticket: Ticket,
    *,
    bound: dict[str, forms.Form | forms.BaseFormSet[forms.Form]] | None = None,
    open_action: str = "",
    status: int = 200,
) -> HttpResponse:
    page_forms = initial_forms(ticket, request) | (bound or {})
    thread = list(ticket_thread(ticket=ticket))
    events = list(ticket_history(ticket=ticket))
    interventions = list(ticket_interventions(ticket=ticket))
    names = actor_names(
        [e.actor for e in events] + [m.actor for m in thread] + [i.actor for i in interventions]
    )
    context = {
        "ticket": ticket,
        "thread": thread,
        "events": events,
        "targets": list(TicketTarget.objects.filter(ticket=ticket).order_by("ordinal")),
        "interventions": interventions,
        "rating": ticket_rating(ticket=ticket) if ticket.state == S.CLOSED else None,
        "names": names,
        "forms": page_forms,
        # A refused form stays on the page even if the state no longer offers it: its
        # reason is the answer the user needs (someone else acted first).
        "actions": available_actions(ticket, request) | ({open_action} if open_action else set()),
        "open_action": open_action,
        "now": clock.now(),
        "zone": timezone.get_current_timezone_name(),
    }
    return render(request, "console/ticket.html", context, status=status)


@console_view()
def ticket_detail(request: StaffRequest, number: int) -> HttpResponse:
    return ticket_page(request, get_ticket(number))


@console_view()
def ticket_targets(request: StaffRequest, number: int) -> HttpResponse:
    """The SLA panel alone: htmx refreshes it while the page is open."""
    ticket = get_ticket(number)
    context = {
        "ticket": ticket,
        "targets": list(TicketTarget.objects.filter(ticket=ticket).order_by("ordinal")),
        "now": clock.now(),
    }
    return render(request, "console/_targets.html", context)


@console_view()
def intervention_report(request: StaffRequest, number: int, pk: int) -> HttpResponse:
    """The intervention report (§2.5) as PDF, as the customer receives it."""
    from assistdesk.tickets.report import intervention_report_pdf

    intervention = Intervention.objects.filter(ticket__number=number, pk=pk).first()
    if intervention is None:
        raise Http404("no such intervention")
    pdf = intervention_report_pdf(intervention, now=clock.now())
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"AD-{number:06d}-intervention-{pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
