from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("channels", "0001_mailboxes_inbound_quarantine_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxattachment",
            name="is_html_for_pdf",
            field=models.BooleanField(default=False),
        ),
    ]
