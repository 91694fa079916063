"""Example evalbox participant: a k-nearest-neighbours classifier in pure Python.

Reads ``train.csv`` (id, features..., label) and ``test.csv`` (id, features...) from the input
directory (``/mnt/in``), standardizes the features with the training mean and deviation,
predicts each test row by a majority vote of its k nearest training rows, and writes
``predictions.csv`` (id,label) to the output directory (``/mnt/out``).

Usage: ``python3 predict.py [INPUT_DIR [OUTPUT_DIR]]`` (defaults: /mnt/in, /mnt/out). Needs
no network, no root and no writable file outside the output directory.
"""

from __future__ import annotations

import csv
import math
import statistics
import sys
from collections import Counter
from pathlib import Path

K = 5


def read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a CSV file with a header into ``(columns, rows)``."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def standardizer(vectors: list[list[float]]) -> tuple[list[float], list[float]]:
    """Per-feature mean and standard deviation (1.0 where a feature is constant)."""
    columns = list(zip(*vectors, strict=True))
    means = [statistics.fmean(column) for column in columns]
    deviations = [statistics.pstdev(column) or 1.0 for column in columns]
    return means, deviations


def predict(train: list[tuple[list[float], str]], queries: list[list[float]], k: int = K) -> list[str]:
    """k-NN majority vote; ties go to the label of the nearest neighbour among the tied."""
    results = []
    for query in queries:
        nearest = sorted(train, key=lambda row: math.dist(row[0], query))[:k]
        votes = Counter(label for _, label in nearest)
        best = max(votes.values())
        results.append(next(label for _, label in nearest if votes[label] == best))
    return results


def main(argv: list[str]) -> int:
    """Train on train.csv, predict test.csv, write predictions.csv; return the exit code."""
    input_dir = Path(argv[1]) if len(argv) > 1 else Path("/mnt/in")
    output_dir = Path(argv[2]) if len(argv) > 2 else Path("/mnt/out")
    train_columns, train_rows = read_table(input_dir / "train.csv")
    test_columns, test_rows = read_table(input_dir / "test.csv")
    features = [c for c in train_columns if c not in ("id", "label")]
    missing = [c for c in ["id", *features] if c not in test_columns]
    if "label" not in train_columns or missing:
        print(f"error: unexpected columns (train: {train_columns}, test: {test_columns})", file=sys.stderr)
        return 2

    def vector(row: dict[str, str]) -> list[float]:
        return [float(row[name]) for name in features]

    raw_train = [vector(row) for row in train_rows]
    means, deviations = standardizer(raw_train)

    def scale(values: list[float]) -> list[float]:
        return [(v - m) / d for v, m, d in zip(values, means, deviations, strict=True)]

    train = [(scale(v), row["label"]) for v, row in zip(raw_train, train_rows, strict=True)]
    classes = len({label for _, label in train})
    print(f"training {K}-NN on {len(train)} rows, {len(features)} features, {classes} classes")
    labels = predict(train, [scale(vector(row)) for row in test_rows])

    output_dir.mkdir(parents=True, exist_ok=True)
    with (output_dir / "predictions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "label"])
        writer.writerows([row["id"], label] for row, label in zip(test_rows, labels, strict=True))
    print(f"wrote {len(labels)} predictions to {output_dir / 'predictions.csv'}: {dict(Counter(labels))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
