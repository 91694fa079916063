"""``manage.py registry_config --storage DIR --listen HOST:PORT [--output FILE]``: write the registry's config."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from competition.registry.config import notify_secret, write_config
from competition.registry.keys import create_key_pair


class Command(BaseCommand):
    help = ("Write the configuration of the platform registry (docker-registry serve FILE): token auth against "
            "this site, notifications to it, deletes enabled. Creates the signing key and the notification "
            "secret when missing.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--storage", required=True, type=Path, help="the registry's storage directory")
        parser.add_argument("--listen", default="127.0.0.1:5000", help="host:port the registry listens on")
        parser.add_argument("--site-url", default="", help="the site's URL as the registry and docker reach it "
                                                           "(default EVALBOX_SITE_URL)")
        parser.add_argument("--events-url", default="", help="the site's URL as the registry reaches it for its "
                                                              "notifications (default --site-url)")
        parser.add_argument("--output", type=Path, default=None, help="default EVALBOX_REGISTRY_CONFIG")

    def handle(self, *args, storage: Path, listen: str, site_url: str, events_url: str, output: Path | None,
               **options) -> None:
        if ":" not in listen or not listen.rsplit(":", 1)[1].isdigit():
            raise CommandError(f"--listen {listen!r}: expected host:port")
        create_key_pair(settings.EVALBOX_REGISTRY_KEY_FILE, settings.EVALBOX_REGISTRY_CERT_FILE)
        path = write_config(output or settings.EVALBOX_REGISTRY_CONFIG, storage_dir=storage.resolve(), listen=listen,
                            site_url=site_url or settings.EVALBOX_SITE_URL, notify_secret=notify_secret(),
                            events_site_url=events_url)
        self.stdout.write(f"wrote {path}")
