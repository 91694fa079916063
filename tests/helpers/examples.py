"""The scripts of ``examples/`` the tests use: building the example images and the demo archives.

``examples/`` is a folder of scripts, not a package: it is put on ``sys.path`` here, once.
"""

from __future__ import annotations

import sys

from tests.helpers.paths import ROOT

sys.path.insert(0, str(ROOT / "examples"))
import build_images  # noqa: E402
import make_demo_archives  # noqa: E402

__all__ = ["build_images", "make_demo_archives"]
