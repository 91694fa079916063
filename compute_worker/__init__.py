"""The evalbox compute worker: a Celery worker running participant images in a Docker sandbox.

``celery -A compute_worker worker -Q compute-worker`` starts it. Nothing here imports Django
or the site; :mod:`compute_worker.protocol` is the contract shared with the site.

The Celery app is created lazily (``compute_worker.app``), so that the site importing
``compute_worker.protocol`` neither builds the worker's configuration nor creates a second
Celery app in its process.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app"]


def __getattr__(name: str) -> Any:
    if name in ("app", "celery"):
        from .celery_app import app

        return app
    raise AttributeError(f"module 'compute_worker' has no attribute {name!r}")
