"""Portal forms: the shape of what a contact types. The rules live in the ticket services;
a service's refusal (`TicketError`) is shown next to the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assistdesk.accounts.forms import ThrottleMixin
from assistdesk.portal.scoping import portal_contact
from assistdesk.tickets.errors import TicketError

MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
SUBJECT_MAX = 300


class PortalAuthenticationForm(ThrottleMixin, AuthenticationForm):
    """Django's login form that lets in customer contacts only: a staff account, or an
    account not linked to a contact, is refused with the same words as a wrong password
    so the portal's login says nothing about who has a staff account. The accounts app's
    throttle stands in front of it, as on the staff login; a refusal counts as a failure."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if portal_contact(user) is None:
            raise self.get_invalid_login_error()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each under the size limit."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(count)d files."), params={"count": MAX_FILES})
        cleaned = [super(AttachmentsField, self).clean(f, initial) for f in files]
        for upload in cleaned:
            if upload.size is not None and upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(size)d MB."),
                    params={"name": upload.name, "size": MAX_FILE_BYTES // (1024 * 1024)},
                )
        return cleaned


SEVERITY_CHOICES = [
    (3, _("Low: something to look at, it does not stop anyone working")),
    (2, _("Medium: part of a system or service does not work, the rest does")),
    (1, _("High: blocking, a system or service you need to work has stopped")),
]


class TicketErrorMixin:
    """Show a ticket service's refusal next to the field it names (or on the form)."""

    def add_ticket_error(self, error: TicketError) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)


class RequestForm(TicketErrorMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    body = forms.CharField(
        label=_("What happens, and what you need"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Say what you see, since when, and who is affected."),
    )
    severity = forms.TypedChoiceField(
        label=_("How serious is it?"),
        choices=SEVERITY_CHOICES,
        coerce=int,
        initial=3,
        widget=forms.RadioSelect,
    )
    attachments = AttachmentsField(
        label=_("Attachments (optional)"),
        help_text=_("Screenshots or documents: up to 5 files of 10 MB each."),
    )


class ReplyForm(TicketErrorMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), strip=True
    )
    attachments = AttachmentsField(label=_("Attachments (optional)"))


class ReopenForm(TicketErrorMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is it not solved?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Tell us what still does not work: the technician reads it first."),
        strip=True,
    )


class TicketFilterForm(forms.Form):
    STATE_CHOICES = [
        ("open", pgettext_lazy("tickets filter", "Open")),
        ("resolved", pgettext_lazy("tickets filter", "Waiting for your confirmation")),
        ("closed", pgettext_lazy("tickets filter", "Closed")),
        ("all", pgettext_lazy("tickets filter", "All")),
    ]
    state = forms.ChoiceField(choices=STATE_CHOICES, required=False, initial="open")
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
