"""E-mail in and out, monitoring webhooks, the after-hours line, the outbox."""

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "assistdesk.channels"
    label = "channels"
    verbose_name = "Channels"
