"""The default SQLite database (the demo's) passes Django's system checks without a warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.paths import ROOT


def test_the_default_sqlite_database_passes_the_system_checks_without_a_warning(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'evalbox.sqlite3'}"}
    command = [sys.executable, "manage.py", "check", "--database", "default"]  # with the database's own checks
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "WARNINGS" not in done.stderr and "identified no issues" in done.stdout, done.stderr
