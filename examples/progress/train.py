"""Example evalbox participant that reports its progress and metrics while it trains.

A nearest-centroid classifier learned in epochs: each epoch adds a tenth of ``train.csv`` to the
class centroids, then the program prints one line that evalbox reads instead of logging it::

    {"evalbox": {"progress": 0.3, "message": "epoch 3/10", "metrics": {"train_accuracy": 0.81}}}

``progress`` (0 to 1) moves the submission's progress bar, ``message`` is shown beside it, and
``metrics`` merge into the submission's metadata (the last value of each key wins). Metadata is
never a score: the leaderboard only shows what the organizers' scoring image computes from
``/mnt/out/predictions.csv``. Ordinary prints stay in the log.

Usage: ``python3 train.py [INPUT_DIR [OUTPUT_DIR]]`` (defaults: /mnt/in, /mnt/out).
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from pathlib import Path

EPOCHS = 10
EPOCH_PAUSE_S = 0.5  # an epoch of a real model takes longer; this one waits so the bar is seen moving


def report(**fields: object) -> None:
    """One evalbox line on standard output (flushed, so the worker reads it at once)."""
    print(json.dumps({"evalbox": fields}), flush=True)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def features(row: dict[str, str]) -> list[float]:
    return [float(value) for key, value in row.items() if key not in ("id", "label")]


def nearest(centroids: dict[str, list[float]], vector: list[float]) -> str:
    return min(centroids, key=lambda label: math.dist(centroids[label], vector))


def main(input_dir: Path, output_dir: Path) -> None:
    train, test = read(input_dir / "train.csv"), read(input_dir / "test.csv")
    print(f"training a nearest-centroid model on {len(train)} rows in {EPOCHS} epochs")
    sums: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for epoch in range(1, EPOCHS + 1):
        for row in train[(epoch - 1) * len(train) // EPOCHS: epoch * len(train) // EPOCHS]:
            vector = features(row)
            total = sums.setdefault(row["label"], [0.0] * len(vector))
            sums[row["label"]] = [a + b for a, b in zip(total, vector, strict=True)]
            counts[row["label"]] = counts.get(row["label"], 0) + 1
        centroids = {label: [value / counts[label] for value in total] for label, total in sums.items()}
        accuracy = sum(nearest(centroids, features(row)) == row["label"] for row in train) / len(train)
        report(progress=epoch / EPOCHS, message=f"epoch {epoch}/{EPOCHS}",
               metrics={"train_accuracy": round(accuracy, 4), "epochs": epoch})
        time.sleep(EPOCH_PAUSE_S)
    with (output_dir / "predictions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        for row in test:
            writer.writerow([row["id"], nearest(centroids, features(row))])
    print(f"wrote {len(test)} predictions")


if __name__ == "__main__":
    arguments = [Path(arg) for arg in sys.argv[1:3]]
    main(*(arguments + [Path("/mnt/in"), Path("/mnt/out")][len(arguments):]))
