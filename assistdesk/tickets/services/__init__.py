"""Write operations on tickets: keyword-only, one transaction each, the ticket row locked,
a `TicketEvent` appended, the SLA recomputed and stored (STYLE.md "Where code goes")."""

from assistdesk.tickets.services._core import lock_ahead as tickets_lock_ahead
from assistdesk.tickets.services.files import NewFile
from assistdesk.tickets.services.intake import (
    ticket_acknowledge,
    ticket_assign,
    ticket_classify,
    ticket_create,
    ticket_escalate_onsite,
    ticket_set_contract,
)
from assistdesk.tickets.services.numbers import NumberBlockBroken, numbers_reserved
from assistdesk.tickets.services.states import (
    ticket_close,
    ticket_reopen,
    ticket_resolve,
    ticket_transition,
    ticket_wait_for_customer,
    tickets_auto_close_due,
    tickets_refresh_overdue,
)
from assistdesk.tickets.services.thread import (
    message_attach,
    message_attach_files,
    ticket_confirm_intervention,
    ticket_customer_reply,
    ticket_reply,
)
from assistdesk.tickets.services.work import intervention_log, part_approve

__all__ = [
    "NewFile",
    "NumberBlockBroken",
    "intervention_log",
    "message_attach",
    "message_attach_files",
    "numbers_reserved",
    "part_approve",
    "ticket_acknowledge",
    "ticket_assign",
    "ticket_classify",
    "ticket_close",
    "ticket_confirm_intervention",
    "ticket_create",
    "ticket_customer_reply",
    "ticket_escalate_onsite",
    "ticket_reopen",
    "ticket_reply",
    "ticket_resolve",
    "ticket_set_contract",
    "ticket_transition",
    "ticket_wait_for_customer",
    "tickets_auto_close_due",
    "tickets_lock_ahead",
    "tickets_refresh_overdue",
]
