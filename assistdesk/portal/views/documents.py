"""Documents: intervention reports, monthly statements, invoices (lists and PDFs).

Statements and invoices are served as they were sent (the PDF stored at issue), so what
the portal shows is what the customer received by e-mail. An invoice whose PDF is not
rendered yet (rendering follows issue) is rendered on request from the issued rows, which
never change.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assistdesk.billing.documents import invoice_pdf
from assistdesk.common import clock
from assistdesk.portal import scoping
from assistdesk.portal.scoping import PortalContext, portal_view
from assistdesk.tickets.report import intervention_report_pdf

PAGE_SIZE = 25


def pdf_response(content: bytes | memoryview, filename: str) -> HttpResponse:
    response = HttpResponse(bytes(content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@portal_view("GET")
def report_list(request: HttpRequest, portal: PortalContext) -> HttpResponse:
    page = Paginator(scoping.interventions(portal), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "portal/reports.html", {"portal": portal, "page": page, "nav": "reports"}
    )


@portal_view("GET")
def report_pdf(request: HttpRequest, portal: PortalContext, intervention_id: int) -> HttpResponse:
    intervention = scoping.intervention(portal, intervention_id)
    content = intervention_report_pdf(intervention, now=clock.now())
    name = f"{intervention.ticket.reference}-intervention-{intervention.pk}.pdf"
    return pdf_response(content, name)


@portal_view("GET")
def statement_list(request: HttpRequest, portal: PortalContext) -> HttpResponse:
    page = Paginator(scoping.statements(portal), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "portal/statements.html", {"portal": portal, "page": page, "nav": "statements"}
    )


@portal_view("GET")
def statement_pdf(request: HttpRequest, portal: PortalContext, statement_id: int) -> HttpResponse:
    statement = scoping.statement(portal, statement_id)
    return pdf_response(statement.pdf, f"statement-{statement.period.key}.pdf")


@portal_view("GET")
def invoice_list(request: HttpRequest, portal: PortalContext) -> HttpResponse:
    page = Paginator(scoping.invoices(portal), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/invoices.html",
        {
            "portal": portal,
            "page": page,
            "accounting": [] if portal.can_see_invoices else scoping.money_contacts(portal),
            "nav": "invoices",
        },
    )


@portal_view("GET")
def invoice_pdf_view(request: HttpRequest, portal: PortalContext, invoice_id: int) -> HttpResponse:
    invoice = scoping.invoice(portal, invoice_id)
    stored = scoping.invoice_document(portal, invoice)
    content = stored.pdf if stored is not None else invoice_pdf(invoice)
    return pdf_response(content, f"{invoice.number}.pdf")
