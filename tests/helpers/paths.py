"""Where things are in the repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots and other files a test run leaves for a person to look at (``make clean`` removes them).
ARTIFACTS = ROOT / "tests" / "artifacts"
