"""Generate the demo competition's data: a small synthetic 3-class problem, deterministic.

Writes, below this folder (or the folder given as the first argument)::

    input/train.csv        id,f1,f2,f3,f4,label   (210 rows; participants see it)
    input/test.csv         id,f1,f2,f3,f4         (90 rows; participants predict these)
    reference/labels.csv   id,label               (the hidden answers for test.csv)

Each class is a Gaussian blob in four dimensions; the blobs overlap a little, so a simple
model scores well but not perfectly. The same seed always gives byte-identical files.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

SEED = 20250520
CLASSES: dict[str, tuple[float, float, float, float]] = {
    "red": (0.0, 0.0, 1.0, 2.0),
    "green": (2.2, 1.0, 0.0, 1.0),
    "blue": (1.0, 2.4, 2.0, 0.0),
}
SPREAD = 0.85
ROWS = 300
TRAIN_ROWS = 210
FEATURES = ("f1", "f2", "f3", "f4")


def make_rows(seed: int = SEED, rows: int = ROWS) -> list[tuple[str, list[float], str]]:
    """Return ``rows`` shuffled ``(id, features, label)`` triples, classes balanced."""
    rng = random.Random(seed)
    names = sorted(CLASSES)
    samples = []
    for index in range(rows):
        label = names[index % len(names)]
        features = [round(rng.gauss(center, SPREAD), 3) for center in CLASSES[label]]
        samples.append((features, label))
    rng.shuffle(samples)
    return [(f"s{index + 1:04d}", features, label) for index, (features, label) in enumerate(samples)]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write a CSV file with ``\\n`` line endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate(folder: Path) -> list[Path]:
    """Write the three CSV files below ``folder`` and return their paths."""
    rows = make_rows()
    train, test = rows[:TRAIN_ROWS], rows[TRAIN_ROWS:]
    paths = [folder / "input" / "train.csv", folder / "input" / "test.csv", folder / "reference" / "labels.csv"]
    write_csv(paths[0], ["id", *FEATURES, "label"], [[i, *f, label] for i, f, label in train])
    write_csv(paths[1], ["id", *FEATURES], [[i, *f] for i, f, _ in test])
    write_csv(paths[2], ["id", "label"], [[i, label] for i, _, label in test])
    return paths


def main() -> None:
    """Command line: ``python examples/demo-data/generate.py [FOLDER]``."""
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for path in generate(folder):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
