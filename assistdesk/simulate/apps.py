"""Interface: `assistdesk simulate`, driving the real services."""

from django.apps import AppConfig


class SimulateConfig(AppConfig):
    name = "assistdesk.simulate"
    label = "simulate"
    verbose_name = "Scenario simulator"
