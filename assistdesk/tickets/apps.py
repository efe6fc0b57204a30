"""Tickets, their events, interventions and rating."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "assistdesk.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from assistdesk.common import scheduler

        # Hourly: N days is never late by more than an hour.
        scheduler.register(
            "tickets-auto-close", "12 * * * *", "assistdesk.tickets.tasks.auto_close_tickets"
        )
        scheduler.register(
            "tickets-sla-overdue", "*/5 * * * *", "assistdesk.tickets.tasks.refresh_overdue_sla"
        )
