"""/api/v1/: the REST API, its schema (`openapi.json`) and its docs page (`docs`).

No trailing slashes. A wrong path under one of the API's resources answers the API's JSON
404; other paths under /api/v1/ are left to whoever else mounts endpoints there (the
monitoring webhooks and the after-hours line of the channels app).
"""

from __future__ import annotations

from django.urls import include, path, re_path

from assistdesk.api.views import billing, customers, docs, tickets

app_name = "api"

resources = [
    path("customers", customers.CustomerList.as_view(), name="customers"),
    path("customers/<slug:key>", customers.CustomerDetail.as_view(), name="customer"),
    path(
        "customers/<slug:key>/allowances",
        customers.CustomerAllowances.as_view(),
        name="customer-allowances",
    ),
    path("contacts", customers.ContactList.as_view(), name="contacts"),
    path("contacts/<int:pk>", customers.ContactDetail.as_view(), name="contact"),
    path("contracts", customers.ContractList.as_view(), name="contracts"),
    path("contracts/<int:pk>", customers.ContractDetail.as_view(), name="contract"),
    path("plans", customers.PlanList.as_view(), name="plans"),
    path("plans/<slug:key>", customers.PlanDetail.as_view(), name="plan"),
    path("tickets", tickets.TicketList.as_view(), name="tickets"),
    path("tickets/<int:number>", tickets.TicketDetail.as_view(), name="ticket"),
    path("tickets/<int:number>/messages", tickets.TicketMessages.as_view(), name="ticket-messages"),
    path(
        "tickets/<int:number>/transitions",
        tickets.TicketTransitions.as_view(),
        name="ticket-transitions",
    ),
    path("tickets/<int:number>/history", tickets.TicketHistory.as_view(), name="ticket-history"),
    path(
        "tickets/<int:number>/interventions",
        tickets.TicketInterventions.as_view(),
        name="ticket-interventions",
    ),
    path("interventions", tickets.InterventionList.as_view(), name="interventions"),
    path("interventions/<int:pk>", tickets.InterventionDetail.as_view(), name="intervention"),
    path("invoices", billing.InvoiceList.as_view(), name="invoices"),
    path("invoices/<int:pk>", billing.InvoiceDetail.as_view(), name="invoice"),
]

urlpatterns = [
    *resources,
    path(
        "openapi.json",
        # Everything served under /api/v1/: the API's resources and the channels' endpoints
        # (monitoring webhooks, the after-hours line), with their full paths.
        docs.SchemaView.as_view(
            patterns=[
                path("api/v1/", include((resources, "api"))),
                path("api/v1/", include("assistdesk.channels.urls")),
            ]
        ),
        name="schema",
    ),
    path("docs", docs.DocsView.as_view(), name="docs"),
    path("docs/assets/<str:name>", docs.docs_asset, name="docs-asset"),
    re_path(
        r"^(customers|contacts|contracts|plans|tickets|interventions|invoices|docs)(/.*)?$",
        docs.not_found,
    ),
]
