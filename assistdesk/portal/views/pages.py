"""Home and the contract page: what the company has, what is open, what is left."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assistdesk.common import clock
from assistdesk.portal import scoping
from assistdesk.portal.scoping import PortalContext, portal_view

HOME_OPEN_TICKETS = 10


@portal_view("GET")
def home(request: HttpRequest, portal: PortalContext) -> HttpResponse:
    now = clock.now()
    open_tickets = scoping.tickets_open(portal)
    allowances = [a for a in scoping.allowances(portal, now) if a.is_valid]
    return render(
        request,
        "portal/home.html",
        {
            "portal": portal,
            "open_tickets": list(open_tickets[:HOME_OPEN_TICKETS]),
            "open_count": open_tickets.count(),
            "to_confirm": list(scoping.tickets_to_confirm(portal)[:HOME_OPEN_TICKETS]),
            "allowances": allowances,
            "contract": scoping.contract_current(portal, now),
            "nav": "home",
        },
    )


@portal_view("GET")
def contract(request: HttpRequest, portal: PortalContext) -> HttpResponse:
    now = clock.now()
    current = scoping.contract_current(portal, now)
    contracts = list(scoping.contracts(portal))
    allowances = scoping.allowances(portal, now)
    return render(
        request,
        "portal/contract.html",
        {
            "portal": portal,
            "current": current,
            "others": [c for c in contracts if current is None or c.pk != current.pk],
            "valid_allowances": [a for a in allowances if a.is_valid],
            "past_allowances": [a for a in allowances if not a.is_valid],
            "nav": "contract",
        },
    )
