"""The console's URLs (namespace `console`), mounted at /console/."""

from django.urls import path

from assistdesk.console.views import (
    customers,
    dashboard,
    new_ticket,
    quarantine,
    queue,
    ticket,
    ticket_actions,
)

app_name = "console"
urlpatterns = [
    path("", queue.queue, name="queue"),
    path("tickets/new/", new_ticket.ticket_new, name="ticket-new"),
    path("tickets/<int:number>/", ticket.ticket_detail, name="ticket"),
    path("tickets/<int:number>/targets/", ticket.ticket_targets, name="ticket-targets"),
    path(
        "tickets/<int:number>/interventions/<int:pk>/report.pdf",
        ticket.intervention_report,
        name="intervention-report",
    ),
    path(
        "tickets/<int:number>/<slug:action>/",
        ticket_actions.ticket_action,
        name="ticket-action",
    ),
    path("customers/<slug:key>/", customers.customer_detail, name="customer"),
    path("invoices/<int:pk>/pdf/", customers.invoice_pdf_view, name="invoice-pdf"),
    path("quarantine/", quarantine.quarantine_list, name="quarantine"),
    path("quarantine/<int:pk>/release/", quarantine.quarantine_release, name="quarantine-release"),
    path("quarantine/<int:pk>/dismiss/", quarantine.quarantine_dismiss, name="quarantine-dismiss"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
]
