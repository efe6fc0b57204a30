"""Write operations of billing: the invoicing run, numbering, corrections, sending."""

from assistdesk.billing.services.corrections import (
    credit_cancel,
    credit_grant,
    credit_note_issue,
)
from assistdesk.billing.services.run import billing_period_get, billing_run
from assistdesk.billing.services.sending import (
    invoice_send,
    invoices_to_send,
    statement_customers,
    statement_issue,
)

__all__ = [
    "billing_period_get",
    "billing_run",
    "credit_cancel",
    "credit_grant",
    "credit_note_issue",
    "invoice_send",
    "invoices_to_send",
    "statement_customers",
    "statement_issue",
]
