"""Tickets, their events, interventions and rating."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "assistdesk.tickets"
    label = "tickets"
    verbose_name = "Tickets"
