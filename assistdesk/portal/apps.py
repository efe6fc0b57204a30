"""Interface: the customers' pages."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "assistdesk.portal"
    label = "portal"
    verbose_name = "Customer portal"
