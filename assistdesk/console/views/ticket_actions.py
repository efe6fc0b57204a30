"""Every POST on a ticket, each through one ticket service.

An action is a form (parsing) and a call (the service). On success the browser is sent
back to the ticket page with a message (post/redirect/get); on a refusal the page is
shown again with the form as it was typed and the service's reason next to its field
(HTTP 422). The permission is checked here to hide nothing but refuse early; the
services check what they must themselves (assigning needs a dispatcher in the service).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from assistdesk.common import clock
from assistdesk.console import forms as cf
from assistdesk.console.access import StaffRequest, actor_of, console_view
from assistdesk.console.selectors import assignable_staff
from assistdesk.console.views.ticket import (
    CHANGE,
    LOG_WORK,
    auto_id,
    get_ticket,
    ticket_page,
)
from assistdesk.tickets import services
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.models import Ticket
from assistdesk.tickets.services.intake import DISPATCH_PERMISSION

Call = Callable[[Ticket, dict[str, Any], StaffRequest, list[dict[str, Any]]], str]


@dataclass(frozen=True)
class Action:
    form: Callable[..., forms.Form]
    permission: str
    call: Call


def _common(request: StaffRequest) -> dict[str, Any]:
    return {"actor": actor_of(request), "now": clock.now()}


def _reply(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    public = d["visibility"] == "public"
    services.ticket_reply(
        ticket=t, body=d["body"], is_public=public, author_user=r.user, **_common(r)
    )
    return _("Reply sent to the customer.") if public else _("Internal note added.")


def _classify(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_classify(
        ticket=t, severity=d["severity"], urgent=d["urgent"], kind=d["kind"], **_common(r)
    )
    return _("Classification saved.")


def _assign(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    assignee: User = d["assignee"]
    # A fresh user object: permission caches are per object, and the service asks.
    actor_user = User.objects.get(pk=r.user.pk)
    services.ticket_assign(ticket=t, assignee=assignee, actor_user=actor_user, now=clock.now())
    return _("Assigned to %(name)s.") % {"name": assignee.get_full_name() or assignee.username}


def _acknowledge(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_acknowledge(ticket=t, **_common(r))
    return _("Acknowledgement sent to the customer.")


def _confirm(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_confirm_intervention(
        ticket=t,
        planned_at=d["planned_at"],
        mode=d["mode"],
        expected_minutes=d["expected_minutes"],
        author_user=r.user,
        **_common(r),
    )
    return _("Confirmation of intervention sent.")


def _intervention(t: Ticket, d: dict[str, Any], r: StaffRequest, p: list[dict[str, Any]]) -> str:
    services.intervention_log(
        ticket=t,
        technician=r.user,
        mode=d["mode"],
        activity=d["activity"],
        start_at=d["start_at"],
        end_at=d["end_at"],
        description=d["description"],
        km=d["km"] if d["km"] is not None else 0,
        remote_tool_setup=d["remote_tool_setup"],
        warranty=d["warranty"],
        follow_up=d["follow_up"],
        resolved=d["resolved"],
        parts=p,
        **_common(r),
    )
    return _("Intervention logged.")


def _escalate(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_escalate_onsite(ticket=t, reason=d["reason"], **_common(r))
    return _("Escalated on site.")


def _wait(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_wait_for_customer(ticket=t, reason=d["reason"], **_common(r))
    return _("Waiting for the customer.")


def _resolve(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_resolve(ticket=t, reason=d["reason"], **_common(r))
    return _("Resolved: the requester now confirms or reopens.")


def _close(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_close(ticket=t, reason=d["reason"] or "confirmed by phone", **_common(r))
    return _("Closed and rated.")


def _reopen(t: Ticket, d: dict[str, Any], r: StaffRequest, _p: list[dict[str, Any]]) -> str:
    services.ticket_reopen(ticket=t, reason=d["reason"], **_common(r))
    return _("Reopened.")


ACTIONS: dict[str, Action] = {
    "reply": Action(cf.ReplyForm, CHANGE, _reply),
    "classify": Action(cf.ClassifyForm, CHANGE, _classify),
    "assign": Action(cf.AssignForm, DISPATCH_PERMISSION, _assign),
    "acknowledge": Action(cf.EmptyForm, CHANGE, _acknowledge),
    "confirm": Action(cf.ConfirmForm, CHANGE, _confirm),
    "intervention": Action(cf.InterventionForm, LOG_WORK, _intervention),
    "escalate": Action(cf.ReasonForm, CHANGE, _escalate),
    "wait": Action(cf.ReasonForm, CHANGE, _wait),
    "resolve": Action(cf.OptionalReasonForm, CHANGE, _resolve),
    "close": Action(cf.OptionalReasonForm, CHANGE, _close),
    "reopen": Action(cf.ReasonForm, CHANGE, _reopen),
}


def _parts(formset: forms.BaseFormSet[cf.PartForm]) -> list[dict[str, Any]]:
    """The filled part rows, in the shape `intervention_log` takes."""
    return [
        {
            "name": row["name"],
            "quantity": row["quantity"] if row.get("quantity") is not None else 1,
            "unit_price": row["unit_price"],
        }
        for row in (f.cleaned_data for f in formset.forms)
        if row.get("name")
    ]


def _show_part_error(formset: forms.BaseFormSet[cf.PartForm], error: TicketError) -> bool:
    """A refusal about `parts[i].field` goes on row i; False when it is not one."""
    if not error.field.startswith("parts["):
        return False
    index_text, _sep, rest = error.field[len("parts[") :].partition("]")
    filled = [f for f in formset.forms if f.cleaned_data.get("name")]
    if not index_text.isdigit() or int(index_text) >= len(filled):
        return False
    row = filled[int(index_text)]
    field = rest.lstrip(".")
    row.add_error(field if field in row.fields else None, error.message)
    return True


@console_view(methods=("POST",))
def ticket_action(request: StaffRequest, number: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("no such action")
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    ticket = get_ticket(number)
    if action == "assign":
        form: forms.Form = cf.AssignForm(
            request.POST, staff=assignable_staff(), auto_id=auto_id(action)
        )
    else:
        form = spec.form(request.POST, auto_id=auto_id(action))
    bound: dict[str, Any] = {action: form}
    formset = None
    if action == "intervention":
        formset = cf.PartFormSet(request.POST, prefix="parts")
        bound["parts"] = formset
    valid = form.is_valid() and (formset is None or formset.is_valid())
    if valid:
        try:
            note = spec.call(ticket, form.cleaned_data, request, _parts(formset) if formset else [])
        except TicketError as error:
            if formset is None or not _show_part_error(formset, error):
                cf.show_error(form, error)
        except ValidationError as error:
            cf.show_error(form, error)
        else:
            messages.success(request, note)
            return redirect("console:ticket", number=number)
    # The ticket as it is now (the failed call changed nothing: one transaction).
    return ticket_page(request, get_ticket(number), bound=bound, open_action=action, status=422)
