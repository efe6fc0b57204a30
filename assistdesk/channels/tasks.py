"""Background tasks of the channels app (queue "mail"), also run every minute."""

from __future__ import annotations

from django_tasks import task

from assistdesk.common import clock


@task(queue_name="mail")
def send_outbox() -> dict[str, int]:
    """Send every due outbox row (enqueued on commit of each outbox_enqueue, and by the
    scheduler every minute for retries and anything a lost nudge left behind)."""
    from assistdesk.channels.sending import send_due

    report = send_due(now=clock.now())
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


@task(queue_name="mail")
def fetch_mail() -> dict[str, int]:
    """Poll every active mailbox once."""
    from assistdesk.channels.intake import fetch_all

    reports = fetch_all(now=clock.now())
    return {
        "mailboxes": len(reports),
        "stored": sum(r.stored for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
        "errors": sum(len(r.errors) for r in reports),
    }


@task(queue_name="mail")
def hand_over_allowance_notices() -> dict[str, int]:
    """Mail the low/expiring balance notices the allowance ledgers recorded."""
    from assistdesk.channels.notices import notices_hand_over

    return {"handed_over": notices_hand_over(now=clock.now())}
