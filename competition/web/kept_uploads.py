"""Chosen data archives that survive a form error, so the organizer need not pick them again.

A browser never refills a file input, so when the phase form comes back with an error, every
archive that passed its own checks is kept in storage (one per account and field, replaced by
the next) and named in the session; the next post uses it unless a new file is chosen.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

_SESSION_KEY = "evalbox_kept_uploads"


def _kept(request) -> dict[str, dict[str, str]]:
    return request.session.get(_SESSION_KEY, {})


def restore(request, fields: tuple[str, ...]) -> dict[str, UploadedFile]:
    """The posted files, with the kept archive of each field the post left empty (unless it asks to drop it)."""
    files = dict(request.FILES.items())
    for name, kept in _kept(request).items():
        wanted = name in fields and name not in files and request.POST.get(f"{name}-keep") == "1"
        if wanted and default_storage.exists(kept["path"]):
            handle = default_storage.open(kept["path"], "rb")
            files[name] = UploadedFile(handle, name=kept["name"], size=default_storage.size(kept["path"]))
            files[name].kept = True
    return files


def keep(request, files: dict[str, UploadedFile], valid: list[str]) -> dict[str, str]:
    """Keep the archives of ``valid`` fields for the next post; the original name of each kept field."""
    kept = _kept(request)
    for name in valid:
        uploaded = files.get(name)
        if uploaded is None or getattr(uploaded, "kept", False):
            continue
        uploaded.seek(0)
        path = f"data/kept/{request.user.pk}/{name}"
        if default_storage.exists(path):
            default_storage.delete(path)
        kept[name] = {"path": default_storage.save(path, uploaded), "name": uploaded.name}
    request.session[_SESSION_KEY] = kept
    return {name: entry["name"] for name, entry in kept.items() if name in valid and name in files}


def forget(request) -> None:
    """Drop every kept archive of the account (the phase was saved)."""
    for kept in _kept(request).values():
        default_storage.delete(kept["path"])
    request.session.pop(_SESSION_KEY, None)
