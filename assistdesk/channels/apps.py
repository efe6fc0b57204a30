"""E-mail in and out, monitoring webhooks, the after-hours line, the outbox."""

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "assistdesk.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from assistdesk.common import scheduler

        scheduler.register("outbox-send", "* * * * *", "assistdesk.channels.tasks.send_outbox")
        scheduler.register("fetchmail", "* * * * *", "assistdesk.channels.tasks.fetch_mail")
