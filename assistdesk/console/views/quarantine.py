"""Mail that opened no ticket and waits for a dispatcher (§2.4), with why.

Releasing routes the message again as it stands (after adding the sender as an
authorised contact, say); dismissing marks it as needing nothing. Both go through the
channels services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from assistdesk.channels import services as channel_services
from assistdesk.channels.selectors import quarantine
from assistdesk.common import clock
from assistdesk.console.access import StaffRequest, actor_of, console_view

VIEW = "channels.view_inboundmessage"
ACT = "channels.change_inboundmessage"


@console_view(VIEW)
def quarantine_list(request: StaffRequest) -> HttpResponse:
    page = Paginator(quarantine(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/quarantine.html",
        {"page": page, "can_act": request.user.has_perm(ACT)},
    )


@console_view(ACT, methods=("POST",))
def quarantine_release(request: StaffRequest, pk: int) -> HttpResponse:
    route = channel_services.inbound_release(
        message_pk=pk, actor=actor_of(request), now=clock.now()
    )
    if route is None:
        messages.warning(request, _("That message is no longer in the quarantine."))
    elif route.status == "quarantined":
        messages.warning(request, _("Still quarantined: %(reason)s") % {"reason": route.reason})
    else:
        messages.success(
            request, _("Released: %(result)s") % {"result": route.result_ref or route.status}
        )
    return redirect("console:quarantine")


@console_view(ACT, methods=("POST",))
def quarantine_dismiss(request: StaffRequest, pk: int) -> HttpResponse:
    if channel_services.inbound_dismiss(message_pk=pk, actor=actor_of(request), now=clock.now()):
        messages.success(request, _("Dismissed."))
    else:
        messages.warning(request, _("That message is no longer in the quarantine."))
    return redirect("console:quarantine")
