"""Which archive member names and link targets are safe to extract.

The site applies these rules when an archive is uploaded, the worker again when it extracts
one, so an archive the site accepted never surprises the worker.
"""

from __future__ import annotations


def archive_member_problem(name: str) -> str | None:
    """Why an archive member name is unsafe to extract, or ``None`` when it is a safe relative path.

    Both the site (checking an upload) and the worker (extracting it) apply this rule.
    """
    if not name or "\x00" in name:
        return "an empty member name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"an absolute path: {name!r}"
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return f"a path with '..': {name!r}"
    if any(ord(c) < 32 for c in name):
        return f"a control character in a name: {name!r}"
    return None


def link_target_problem(member: str, target: str) -> str | None:
    """Why a symlink ``member -> target`` would point outside the archive root, or ``None``."""
    if target.startswith("/") or not target:
        return f"a link pointing outside: {member!r} -> {target!r}"
    depth = 0
    for part in (member.replace("\\", "/").split("/")[:-1] + target.replace("\\", "/").split("/")):
        if part in ("", "."):
            continue
        depth += -1 if part == ".." else 1
        if depth < 0:
            return f"a link pointing outside: {member!r} -> {target!r}"
    return None


