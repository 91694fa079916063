"""Running ``python -m compute_worker --check`` as an operator does, in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers.paths import ROOT


def run_check(**env: str) -> subprocess.CompletedProcess:
    """``compute_worker --check`` with no ``EVALBOX_``/``CELERY_``/``DJANGO_`` variable but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EVALBOX_", "CELERY_", "DJANGO_"))}
    return subprocess.run([sys.executable, "-m", "compute_worker", "--check"], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
