"""Failed logins, kept to throttle password guessing.

A row per failed attempt (who was tried, from where, when). The throttle counts recent
rows, in the database so that every web process sees the same count (a per-process
cache would give each gunicorn worker its own allowance).
"""

from __future__ import annotations

from django.db import models


class LoginFailure(models.Model):
    username = models.CharField(max_length=150, help_text="as typed, lower-cased")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["username", "ip", "at"], name="loginfailure_user_ip_at"),
            models.Index(fields=["ip", "at"], name="loginfailure_ip_at"),
            models.Index(fields=["at"], name="loginfailure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
