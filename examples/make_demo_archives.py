"""Pack the demo data as ``input.zip`` and ``reference.zip`` into a directory.

Usage: ``python examples/make_demo_archives.py OUTPUT_DIR``

``input.zip`` holds ``train.csv`` and ``test.csv`` (what the participant container sees at
``/mnt/in``); ``reference.zip`` holds ``labels.csv`` (what the scoring container sees at
``/mnt/reference``). Members sit at the archive root with fixed timestamps, so the archives
(and their sha256) are the same on every run. The CSV files are made by
``examples/demo-data/generate.py`` when they are missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import zipfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "demo-data"
ARCHIVES: dict[str, tuple[str, ...]] = {
    "input.zip": ("input/train.csv", "input/test.csv"),
    "reference.zip": ("reference/labels.csv",),
}
_FIXED_TIME = (2025, 1, 1, 0, 0, 0)


def ensure_data(data_dir: Path = DATA_DIR) -> None:
    """Generate the demo CSV files below ``data_dir`` if any is missing."""
    if all((data_dir / member).is_file() for members in ARCHIVES.values() for member in members):
        return
    spec = importlib.util.spec_from_file_location("evalbox_demo_generate", DATA_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(data_dir)


def make_archives(output_dir: Path, data_dir: Path = DATA_DIR) -> dict[str, Path]:
    """Write the archives into ``output_dir``; return ``{"input": path, "reference": path}``."""
    ensure_data(data_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    result = {}
    for name, members in ARCHIVES.items():
        path = output_dir / name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in members:
                info = zipfile.ZipInfo(Path(member).name, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, (data_dir / member).read_bytes())
        result[name.removesuffix(".zip")] = path
    return result


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=Path, help="directory to write input.zip and reference.zip into")
    args = parser.parse_args()
    for kind, path in make_archives(args.output_dir).items():
        print(f"{kind}: {path}")


if __name__ == "__main__":
    main()
