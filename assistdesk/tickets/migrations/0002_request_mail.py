"""The request's Message-ID and robot flag copied onto the ticket (notifications read them).

Tickets opened before this migration get them from their request message and, for the
robot flag, from the stored inbound mail.
"""

from django.db import migrations, models


def copy_request_mail(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    InboundMessage = apps.get_model("channels", "InboundMessage")
    requests = (
        Message.objects.filter(kind="request")
        .exclude(mail_message_id="")
        .order_by("ticket_id", "id")
        .values_list("ticket_id", "mail_message_id")
    )
    first: dict[int, str] = {}
    for ticket_id, mail_id in requests.iterator():
        first.setdefault(ticket_id, mail_id)
    items = list(first.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        robots = set(
            InboundMessage.objects.filter(
                message_id__in=[mail_id for _, mail_id in chunk], is_auto_generated=True
            ).values_list("message_id", flat=True)
        )
        for ticket_id, mail_id in chunk:
            Ticket.objects.filter(pk=ticket_id).update(
                request_mail_id=mail_id, is_request_from_robot=mail_id in robots
            )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_tickets_events_targets_thread_interventions_ratings"),
        ("channels", "0001_mailboxes_inbound_quarantine_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="is_request_from_robot",
            field=models.BooleanField(
                default=False,
                help_text="a program wrote the request: the requester is never mailed",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="request_mail_id",
            field=models.CharField(
                blank=True, help_text="Message-ID of the mail that opened it", max_length=255
            ),
        ),
        migrations.RunPython(copy_request_mail, migrations.RunPython.noop),
    ]
