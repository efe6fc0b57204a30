"""E-mail in and out, monitoring webhooks, the after-hours line, the outbox."""
