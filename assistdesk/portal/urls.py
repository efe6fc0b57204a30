"""The portal's URLs. Every view but sign-in and sign-out is a `scoping.portal_view`;
the isolation test walks this list, so a new URL is checked the day it is added.

Object ids have names of their own (`number`, `intervention_id`, ...) so that the test
knows which company's object each one designates.
"""

from django.urls import path

from assistdesk.portal.views import auth, documents, pages, tickets

app_name = "portal"
urlpatterns = [
    path("login/", auth.PortalLoginView.as_view(), name="login"),
    path("logout/", auth.PortalLogoutView.as_view(), name="logout"),
    path("", pages.home, name="home"),
    path("contract/", pages.contract, name="contract"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket-new"),
    path("tickets/<int:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<int:number>/reply/", tickets.ticket_reply, name="ticket-reply"),
    path("tickets/<int:number>/confirm/", tickets.ticket_confirm, name="ticket-confirm"),
    path("tickets/<int:number>/reopen/", tickets.ticket_reopen_view, name="ticket-reopen"),
    path(
        "attachments/<int:attachment_id>/",
        tickets.attachment_download,
        name="attachment",
    ),
    path("reports/", documents.report_list, name="reports"),
    path("reports/<int:intervention_id>/pdf/", documents.report_pdf, name="report-pdf"),
    path("statements/", documents.statement_list, name="statements"),
    path("statements/<int:statement_id>/pdf/", documents.statement_pdf, name="statement-pdf"),
    path("invoices/", documents.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/pdf/", documents.invoice_pdf_view, name="invoice-pdf"),
]
