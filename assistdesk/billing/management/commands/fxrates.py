"""`assistdesk fxrates --source bnr|ecb FILE_OR_URL`: import central-bank exchange rates."""

from __future__ import annotations

from typing import Any
from urllib.error import URLError

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assistdesk.billing.fx.feeds import FeedError
from assistdesk.billing.fx.importer import FEED_URLS, fx_rates_import_from
from assistdesk.common import clock


class Command(BaseCommand):
    help = (
        "Import exchange rates from a BNR (nbrfxrates*.xml) or ECB (eurofxref*.xml) feed, "
        "a file or an http(s) URL; without one, the bank's current daily feed. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, choices=sorted(FEED_URLS))
        parser.add_argument("location", nargs="?", help="file path or URL of the feed")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"]
        location = options["location"] or FEED_URLS[source]
        try:
            result = fx_rates_import_from(
                source=source, location=location, actor="command:fxrates", now=clock.now()
            )
        except (FeedError, OSError, URLError) as error:
            raise CommandError(f"{location}: {error}") from None
        self.stdout.write(str(result))
