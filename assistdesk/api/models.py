"""API tokens and idempotency records.

An `ApiToken` is a secret held by one staff user or one integration (a script, the
customer's RMM, a monitoring bridge). Only a SHA-256 digest of its secret is stored: the
plaintext is shown once, when it is made. Its public `prefix` finds the row without
scanning (`secrets.py`). Scopes limit what it may do; a `customer` limits what it may see
to that one company.

An `IdempotencyRecord` is the first answer given to a POST carrying an `Idempotency-Key`
header. The unique (token, key) pair is the lock that makes a repeated or concurrent
request produce one effect (`idempotency.py` says how).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from assistdesk.customers.models import Customer


class Scope(models.TextChoices):
    CUSTOMERS_READ = "customers:read", "read customers and contacts"
    CUSTOMERS_WRITE = "customers:write", "create customers and contacts"
    CATALOG_READ = "catalog:read", "read plans"
    CONTRACTS_READ = "contracts:read", "read contracts and allowance balances"
    CONTRACTS_WRITE = "contracts:write", "create contracts"
    TICKETS_READ = "tickets:read", "read tickets, threads, history and interventions"
    TICKETS_WRITE = "tickets:write", "open, answer and move tickets; log interventions"
    BILLING_READ = "billing:read", "read invoices and credit notes"


# A customer-scoped token acts for its company: it cannot create companies or contracts.
CUSTOMER_SCOPES = frozenset(
    {
        Scope.CUSTOMERS_READ,
        Scope.CATALOG_READ,
        Scope.CONTRACTS_READ,
        Scope.TICKETS_READ,
        Scope.TICKETS_WRITE,
        Scope.BILLING_READ,
    }
)


class ApiToken(models.Model):
    name = models.CharField(
        max_length=100, help_text="what it is for; for an integration, the integration's name"
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256, hex")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="the staff member it acts for; blank: an integration",
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="sees and acts for this company only",
    )
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def actor(self) -> str:
        """Who the services record: the staff member, else the token itself."""
        return f"user:{self.user_id}" if self.user_id is not None else f"token:{self.pk}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    # Empty only inside the first request's own transaction, never seen by another.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_once_per_token_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]

    def __str__(self) -> str:
        return f"{self.key} -> {self.response_status}"
