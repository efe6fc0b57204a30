"""`assistdesk apitoken create|list|revoke|purge`: API tokens from the command line.

    assistdesk apitoken create --name "RMM bridge" --scopes tickets:read,tickets:write
    assistdesk apitoken create --name "Acme portal" --scopes all --customer acme
    assistdesk apitoken create --name "Giulia's scripts" --scopes all --user giulia
    assistdesk apitoken list
    assistdesk apitoken revoke PREFIX
    assistdesk apitoken purge [--hours 24]

`create` prints the token once; only its digest is kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.api.models import ApiToken, Scope
from assistdesk.api.tokens import api_token_create, api_token_revoke, idempotency_records_purge
from assistdesk.common import clock
from assistdesk.customers.models import Customer

ACTOR = "command:apitoken"


class Command(BaseCommand):
    help = "Create, list, revoke API tokens; purge old idempotency records."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a token and print it once")
        create.add_argument("--name", required=True, help="what it is for / the integration")
        create.add_argument(
            "--scopes",
            required=True,
            help=f"comma-separated, of: {', '.join(Scope.values)}; or `all`",
        )
        create.add_argument("--customer", help="customer key: the token sees only that company")
        create.add_argument("--user", help="username of the staff member it acts for")
        actions.add_parser("list", help="tokens, newest first (never their secrets)")
        revoke = actions.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")
        purge = actions.add_parser("purge", help="forget old Idempotency-Key answers")
        purge.add_argument("--hours", type=int, default=24)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list()
        elif action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError(f"prefix: no token {options['prefix']!r}")
            api_token_revoke(token=token, actor=ACTOR, now=clock.now())
            self.stdout.write(f"revoked {token}")
        else:
            count = idempotency_records_purge(
                older_than=timedelta(hours=options["hours"]), now=clock.now()
            )
            self.stdout.write(f"purged {count} idempotency records")

    def _create(self, options: dict[str, Any]) -> None:
        customer = user = None
        if options["customer"]:
            customer = Customer.objects.filter(key=options["customer"]).first()
            if customer is None:
                raise CommandError(f"--customer: no customer {options['customer']!r}")
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"--user: no user {options['user']!r}")
        try:
            token, plaintext = api_token_create(
                name=options["name"],
                scopes=options["scopes"],
                user=user,
                customer=customer,
                actor=ACTOR,
                now=clock.now(),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"{plaintext}\n")
        self.stderr.write(
            f"token {token.prefix} ({token.name}): scopes {', '.join(token.scopes)}"
            + (f"; customer {customer.key}" if customer else "")
            + (f"; acts for {user.username}" if user else "; an integration")
            + ". Shown once: store it now."
        )

    def _list(self) -> None:
        for token in ApiToken.objects.select_related("user", "customer"):
            owner = token.user.username if token.user else "integration"
            where = token.customer.key if token.customer else "all customers"
            state = "revoked" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.prefix}  {state:7}  {token.name}  ({owner}; {where}; "
                f"{','.join(token.scopes)}; last used {used})"
            )
