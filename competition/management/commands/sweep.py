"""``manage.py sweep``: run the periodic sweep once (what the Celery beat task does)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from competition.sweep import sweep


class Command(BaseCommand):
    help = "Re-send undispatched submissions and fail those whose worker went silent."

    def handle(self, *args, **options) -> None:
        """Run the sweep and print its counts as JSON."""
        self.stdout.write(json.dumps(sweep().as_dict()))
