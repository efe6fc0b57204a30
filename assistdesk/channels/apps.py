"""E-mail in and out, monitoring webhooks, the after-hours line, the outbox."""

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "assistdesk.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        from assistdesk.channels.notify import on_ticket_event
        from assistdesk.common import scheduler
        from assistdesk.tickets.signals import ticket_event_recorded

        scheduler.register("outbox-send", "* * * * *", "assistdesk.channels.tasks.send_outbox")
        scheduler.register("fetchmail", "* * * * *", "assistdesk.channels.tasks.fetch_mail")
        scheduler.register(
            "allowance-notices-mail",
            "*/5 * * * *",
            "assistdesk.channels.tasks.hand_over_allowance_notices",
        )
        # Notifications are written inside the ticket change's transaction (notify.py).
        ticket_event_recorded.connect(on_ticket_event, dispatch_uid="channels-notify")
