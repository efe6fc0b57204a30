"""Console forms: the queue filters and one form per ticket action.

Forms only parse and present; the ticket services decide. A service's refusal
(`TicketError`, whose `field` names the argument) is put back on the form field of the
same name by `show_error`, so it appears next to what the user has to change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from assistdesk.console import labels
from assistdesk.console.selectors import UNASSIGNED, QueueFilters
from assistdesk.tickets.errors import TicketError
from assistdesk.tickets.states import QUEUED_STATES

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _choices(table: dict[Any, Any], blank: str | None = None) -> list[tuple[Any, Any]]:
    rows = [(code, text) for code, text in table.items()]
    return [("", blank), *rows] if blank is not None else rows


class LocalDateTimeField(forms.DateTimeField):
    """A browser date-time picker, read in the page's time zone (the active one)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M"], **kwargs)


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    customer = forms.TypedChoiceField(label=_("Customer"), required=False, coerce=int)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int)
    origin = forms.ChoiceField(label=_("Origin"), required=False)
    breached = forms.BooleanField(label=_("Breached"), required=False)

    def __init__(
        self, data: Any, *, customers: list[tuple[int, str]], staff: list[User], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["customer"].choices = [("", _("all")), *customers]  # type: ignore[attr-defined]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("anyone")),
            (UNASSIGNED, _("nobody yet")),
            *[(str(u.pk), u.get_full_name() or u.get_username()) for u in staff],
        ]
        states = {code: text for code, text in labels.STATES.items() if code in QUEUED_STATES}
        self.fields["state"].choices = _choices(states, str(_("all")))  # type: ignore[attr-defined]
        self.fields["severity"].choices = _choices(labels.SEVERITIES, str(_("all")))  # type: ignore[attr-defined]
        self.fields["origin"].choices = _choices(labels.ORIGINS, str(_("all")))  # type: ignore[attr-defined]

    def filters(self) -> QueueFilters:
        """The filters, ignoring any field that did not parse (a stale link still works)."""
        data = self.cleaned_data if self.is_valid() else {}
        customer = data.get("customer")
        severity = data.get("severity")
        return QueueFilters(
            customer_id=customer if isinstance(customer, int) else None,
            assignee=data.get("assignee") or "",
            state=data.get("state") or "",
            severity=severity if isinstance(severity, int) else None,
            origin=data.get("origin") or "",
            breached=bool(data.get("breached")),
            search=data.get("q") or "",
        )


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("public", _("reply to the customer")), ("internal", _("internal note"))],
        initial="public",
        widget=forms.RadioSelect,
    )


class ClassifyForm(forms.Form):
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=_choices(labels.SEVERITIES), coerce=int
    )
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=_choices(labels.KINDS))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Technician"), queryset=User.objects.none())

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(pk__in=[u.pk for u in staff])
        # Labels from the list already read: no query per option.
        field.choices = [("", "---------")] + [
            (u.pk, u.get_full_name() or u.get_username()) for u in staff
        ]


class EmptyForm(forms.Form):
    """An action with nothing to fill in (acknowledge)."""


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("Note"), max_length=500, required=False)


class ConfirmForm(forms.Form):
    planned_at = LocalDateTimeField(label=_("Planned for"))
    mode = forms.ChoiceField(label=_("Mode"), choices=_choices(labels.MODES))
    expected_minutes = forms.IntegerField(label=_("Expected duration (minutes)"), min_value=1)


class InterventionForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=_choices(labels.MODES))
    activity = forms.ChoiceField(label=_("Activity"), choices=_choices(labels.ACTIVITIES))
    start_at = LocalDateTimeField(label=_("Start"))
    end_at = LocalDateTimeField(label=_("End"))
    description = forms.CharField(
        label=_("Work done"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    km = forms.DecimalField(label=_("Km travelled"), min_value=0, decimal_places=2, initial=0)
    remote_tool_setup = forms.BooleanField(label=_("Remote tool installed"), required=False)
    warranty = forms.BooleanField(label=_("Warranty"), required=False)
    follow_up = forms.BooleanField(label=_("Free follow-up visit"), required=False)
    resolved = forms.BooleanField(label=_("Solved the problem"), required=False)


class PartForm(forms.Form):
    name = forms.CharField(label=_("Part"), max_length=200, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0, required=False)
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=0, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and data.get("unit_price") is None:
            self.add_error("unit_price", _("Give the unit price."))
        return data


PartFormSet = forms.formset_factory(PartForm, extra=3, max_num=20)


def show_error(form: forms.Form, error: TicketError | ValidationError) -> None:
    """Put a service's refusal next to the field it names (else at the top of the form)."""
    if isinstance(error, TicketError):
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message if field else str(error))
        return
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class NewTicketForm(forms.Form):
    """A request taken by the help desk (a phone call, a letter): §2.8 "phone tickets
    logged by the help desk"."""

    customer = forms.TypedChoiceField(label=_("Customer"), coerce=int)
    requester = forms.TypedChoiceField(
        label=_("Requester"), coerce=int, required=False, empty_value=None
    )
    origin = forms.ChoiceField(label=_("Origin"), choices=_choices(labels.ORIGINS), initial="phone")
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Request"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=_choices(labels.SEVERITIES), coerce=int, initial=3
    )
    urgent = forms.BooleanField(
        label=_("Urgent"), required=False, help_text=_("Severity 1 is always urgent.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=_choices(labels.KINDS))

    def __init__(
        self,
        *args: Any,
        customers: list[tuple[int, str]],
        contacts: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "---------"), *customers]  # type: ignore[attr-defined]
        self.fields["requester"].choices = [("", _("nobody named")), *contacts]  # type: ignore[attr-defined]
