"""Attaching input and reference archives to a phase, as the organizer's form does."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File

from competition.archives import check_archive
from competition.models import Phase


def attach_archive(phase: Phase, field: str, path: Path) -> str:
    """Check the archive at ``path`` and store it as the phase's ``input`` or ``reference`` data (not saved)."""
    with open(path, "rb") as handle:
        setattr(phase, f"{field}_data_sha256", check_archive(handle))
        getattr(phase, f"{field}_data").save(path.name, File(handle), save=False)
    return getattr(phase, f"{field}_data_sha256")


def set_input_data(phase: Phase, archive: bytes, directory: Path) -> str:
    """Attach ``archive`` (tar.gz bytes) as the phase's input data and save the phase; return its sha256."""
    path = directory / "input.tar.gz"
    path.write_bytes(archive)
    sha = attach_archive(phase, "input", path)
    phase.save()
    return sha
