"""Interface: the help desk's pages."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "assistdesk.console"
    label = "console"
    verbose_name = "Staff console"
