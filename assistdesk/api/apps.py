"""Interface: the REST API."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "assistdesk.api"
    label = "api"
    verbose_name = "REST API"
