"""``manage.py registry_cleanup [--retention-days N] [--dry-run] [--no-gc]``: registry housekeeping."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from competition.registry import names
from competition.registry.client import RegistryUnavailable
from competition.registry.housekeeping import cleanup


class Command(BaseCommand):
    help = ("Delete from the platform registry the manifests no submission uses, pushed more than the retention "
            "period ago, then run the registry's garbage collection (docker-registry garbage-collect CONFIG).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--retention-days", type=int, default=settings.EVALBOX_REGISTRY_RETENTION_DAYS,
                            help="keep unused manifests this long after their last push (EVALBOX_REGISTRY_"
                                 "RETENTION_DAYS)")
        parser.add_argument("--config", type=Path, default=settings.EVALBOX_REGISTRY_CONFIG,
                            help="the registry's configuration file, for the garbage collection")
        parser.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
        parser.add_argument("--no-gc", action="store_true", help="delete manifests, but do not collect garbage")

    def handle(self, *args, retention_days: int, config: Path, dry_run: bool, no_gc: bool, **options) -> None:
        if not names.enabled():
            raise CommandError("EVALBOX_REGISTRY is not set: this site runs no registry.")
        if retention_days < 0:
            raise CommandError("--retention-days must be 0 or more.")
        if not no_gc and not dry_run and not Path(config).is_file():
            raise CommandError(f"The registry configuration {config} does not exist (--config, or --no-gc).")
        try:
            report = cleanup(retention_days, config=None if no_gc else Path(config), dry_run=dry_run)
        except (RegistryUnavailable, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        verb = "would delete" if dry_run else "deleted"
        for reference in report.deleted:
            self.stdout.write(f"{verb} {reference}")
        self.stdout.write(f"{verb} {len(report.deleted)} manifest(s), {report.freed_bytes / (1 << 20):.1f} MB; "
                          f"kept {report.kept_in_use} older one(s) that submissions use")
        if report.garbage_collect:
            self.stdout.write(f"garbage collection: {report.garbage_collect}")
