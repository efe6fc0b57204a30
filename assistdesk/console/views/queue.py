"""The queue: open tickets in §2.4 order, filtered, searched, 50 a page.

htmx replaces the results (not the whole page) when a filter changes, and polls them
every 30 seconds so new tickets and SLA changes appear; the countdowns themselves tick
in the browser (console.js) from each target's due instant.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from assistdesk.common import clock
from assistdesk.console.access import StaffRequest, console_view
from assistdesk.console.forms import QueueFilterForm
from assistdesk.console.selectors import assignable_staff, customer_choices, queue_page

RESULTS_ID = "queue-results"


@console_view()
def queue(request: StaffRequest) -> HttpResponse:
    now = clock.now()
    staff = assignable_staff()
    form = QueueFilterForm(request.GET or None, customers=customer_choices(), staff=staff)
    page = queue_page(form.filters(), page=request.GET.get("page"), now=now)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "now": now,
        "query": query.urlencode(),
        "mine": request.user.pk,
        "results_id": RESULTS_ID,
    }
    # An htmx request for the results (a filter change, the poll) gets just them.
    if (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == RESULTS_ID
    ):
        return render(request, "console/_queue_results.html", context)
    return render(request, "console/queue.html", context)
