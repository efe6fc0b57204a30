"""Why a ticket service refused: a `DomainError` whose message starts with the field.

`TicketError("requester", "not an authorised contact")` reads
"requester: not an authorised contact", so a form can show it next to the field and the
scenario runner can name the key (it turns any `DomainError` into one line).
"""

from __future__ import annotations

from assistdesk.domain.errors import DomainError


class TicketError(DomainError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TransitionNotAllowed(TicketError):
    """The move is not in `ALLOWED_TRANSITIONS` (or no chain of moves reaches it)."""

    def __init__(self, message: str) -> None:
        super().__init__("state", message)
