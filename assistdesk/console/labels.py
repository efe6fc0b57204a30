"""What the console calls the stored codes, in the user's language.

The models' choice labels are English strings (they also name things in the admin and
in scenario results); the console shows these translated ones instead.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STATES: dict[str, Promise] = {
    "new": pgettext_lazy("ticket state", "new"),
    "acknowledged": pgettext_lazy("ticket state", "acknowledged"),
    "assigned": pgettext_lazy("ticket state", "assigned"),
    "in_progress": pgettext_lazy("ticket state", "in progress"),
    "waiting_customer": pgettext_lazy("ticket state", "waiting for the customer"),
    "resolved": pgettext_lazy("ticket state", "resolved"),
    "reopened": pgettext_lazy("ticket state", "reopened"),
    "closed": pgettext_lazy("ticket state", "closed"),
}
ORIGINS: dict[str, Promise] = {
    "email": _("e-mail"),
    "web": _("web form"),
    "phone": _("phone"),
    "monitoring": _("monitoring"),
    "other": _("other"),
}
SEVERITIES: dict[int, Promise] = {
    1: _("1 high (blocking)"),
    2: _("2 medium (partial)"),
    3: _("3 low (notice)"),
}
KINDS: dict[str, Promise] = {
    "support": _("support"),
    "change": _("change"),
    "development": _("development"),
}
MODES: dict[str, Promise] = {
    "remote": _("remote"),
    "onsite": _("on site"),
    "phone": _("phone"),
}
ACTIVITIES: dict[str, Promise] = {
    "support": _("support"),
    "programming": _("programming"),
    "change": _("change"),
}
TARGETS: dict[str, Promise] = {
    "response": _("response"),
    "onsite": _("on site"),
    "resolution": _("resolution"),
    "change": _("change done"),
}
EVENTS: dict[str, Promise] = {
    "created": _("received"),
    "transition": _("state changed"),
    "acknowledgement": _("acknowledged to the customer"),
    "classified": _("classified"),
    "assigned": _("assigned"),
    "contract_set": _("contract set"),
    "reply": _("public reply"),
    "note": _("internal note"),
    "confirmation": _("confirmation of intervention"),
    "customer_reply": _("customer replied"),
    "attachment": _("attachment added"),
    "intervention": _("intervention logged"),
    "escalated": _("escalated on site"),
    "part_approval": _("part approved or refused"),
    "rated": _("rated"),
    "rating_superseded": _("rating superseded"),
}
MESSAGES: dict[str, Promise] = {
    "request": _("request"),
    "reply": _("reply"),
    "note": _("internal note"),
    "confirmation": _("confirmation of intervention"),
    "customer_reply": _("customer reply"),
}
CONTRACT_STATES: dict[str, Promise] = {
    "trial": _("trial"),
    "active": _("active"),
    "ended": _("ended"),
    "converted": _("converted"),
}
ROLES: dict[str, Promise] = {
    "dispatcher": _("dispatcher"),
    "technician": _("technician"),
    "accountant": _("accountant"),
    "admin": _("admin"),
}


def label(table: dict[str, Promise] | dict[int, Promise], code: object) -> str:
    """The label of a code, or the code itself when the table does not know it."""
    found = table.get(code)  # type: ignore[call-overload]
    return str(found) if found is not None else str(code)
