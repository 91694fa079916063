"""Registry housekeeping: delete the manifests no submission uses after the retention period, then collect garbage.

A manifest is kept while any submission's pinned reference names it, and for
``EVALBOX_REGISTRY_RETENTION_DAYS`` after its last push otherwise. Deleting a manifest frees
nothing by itself: ``docker-registry garbage-collect`` then removes the blobs no manifest
references any more.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from ..models import RegistryImage, Submission
from . import client, names

GC_TIMEOUT_S = 3600


@dataclass
class CleanupReport:
    """What a cleanup did."""

    deleted: list[str] = field(default_factory=list)
    kept_in_use: int = 0
    freed_bytes: int = 0
    garbage_collect: str = ""


def expired_unused(retention_days: int) -> tuple[list[RegistryImage], int]:
    """The images past the retention period that no submission uses, and how many old ones are in use."""
    cutoff = timezone.now() - timedelta(days=retention_days)
    prefix = f"{names.host()}/"
    used = {pinned.removeprefix(prefix) for pinned in
            Submission.objects.filter(image_pinned__startswith=prefix).values_list("image_pinned", flat=True)}
    old = list(RegistryImage.objects.filter(pushed_at__lt=cutoff).order_by("pushed_at"))
    unused = [image for image in old if f"{image.repository}@{image.digest}" not in used]
    return unused, len(old) - len(unused)


def garbage_collect(config: Path, binary: str = "docker-registry") -> str:
    """Run the registry's garbage collection on its configuration; its last output line."""
    try:
        result = subprocess.run([binary, "garbage-collect", str(config)], capture_output=True, text=True,
                                timeout=GC_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{binary} garbage-collect could not run: {exc}") from exc
    if result.returncode != 0:
        raise RuntimeError(f"{binary} garbage-collect failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return lines[-1] if lines else "done"


def cleanup(retention_days: int, *, config: Path | None, dry_run: bool = False) -> CleanupReport:
    """Delete the expired unused manifests (unless ``dry_run``), then collect garbage when ``config`` is given."""
    report = CleanupReport()
    unused, report.kept_in_use = expired_unused(retention_days)
    for image in unused:
        if not dry_run:
            client.delete_manifest(image.repository, image.digest)
            image.delete()
        report.deleted.append(f"{image.repository}@{image.digest}")
        report.freed_bytes += image.size_bytes
    if config is not None and not dry_run:
        report.garbage_collect = garbage_collect(config)
    return report
