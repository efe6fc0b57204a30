"""What the tickets app tells the rest of the system (notifications, live views).

- `ticket_event_recorded` is sent inside the service's transaction, right after an event
  row is written: a receiver that writes rows (the notification outbox, DESIGN §2.8:
  "written in the same transaction as the change") commits or rolls back with the
  change. Receivers must do no I/O; an exception undoes the whole service call.
- `ticket_event_committed` is sent from `transaction.on_commit`, once the change is
  durable: for side effects outside the database (push to a browser, nudge a worker).

Both carry `event` (the `TicketEvent`) and `ticket`. Notifications are keyed by the
event's id, so a receiver can make them exactly-once.
"""

from __future__ import annotations

from django.dispatch import Signal

ticket_event_recorded = Signal()
ticket_event_committed = Signal()
