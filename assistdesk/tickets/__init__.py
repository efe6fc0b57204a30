"""Tickets, their events, interventions and rating."""
