"""``manage.py registry_keys [--force]``: create the registry token signing key and certificate."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from competition.registry.keys import create_key_pair


class Command(BaseCommand):
    help = ("Create the key (EVALBOX_REGISTRY_KEY_FILE, mode 0600) the site signs registry tokens with, and its "
            "certificate (EVALBOX_REGISTRY_CERT_FILE, the registry's rootcertbundle). Existing files are kept "
            "unless --force.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="replace existing files (old tokens stop working)")

    def handle(self, *args, force: bool = False, **options) -> None:
        key, cert = settings.EVALBOX_REGISTRY_KEY_FILE, settings.EVALBOX_REGISTRY_CERT_FILE
        if create_key_pair(key, cert, force=force):
            self.stdout.write(f"wrote {key} and {cert}")
        else:
            self.stdout.write(f"kept the existing {key} and {cert} (--force replaces them)")
