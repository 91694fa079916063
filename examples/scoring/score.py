"""Example evalbox scoring program: accuracy and macro F1 of a participant's predictions.

Reads ``predictions.csv`` (id,label) from the predictions directory (``/mnt/predictions``) and
``labels.csv`` (id,label) from the reference directory (``/mnt/reference``), and writes
``scores.json`` = ``{"accuracy": ..., "macro_f1": ...}`` to the output directory
(``/mnt/out``). Predictions must have exactly one row per reference id; anything else is
refused with a message on stderr and exit code 2 (the worker reports a bad output); a problem
with the reference data itself exits 1.

Usage: ``python3 score.py [PREDICTIONS_DIR [REFERENCE_DIR [OUTPUT_DIR]]]``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

MAX_PREDICTION_BYTES = 50 * 1024 * 1024


class BadPredictions(ValueError):
    """The predictions cannot be scored; the message is meant for the participant."""


def read_labels(path: Path, what: str) -> dict[str, str]:
    """Read an ``id,label`` CSV into a dict, refusing anything malformed."""
    if not path.is_file():
        raise BadPredictions(f"{what}: {path.name} is missing (expected a CSV file with columns id,label).")
    if path.stat().st_size > MAX_PREDICTION_BYTES:
        raise BadPredictions(f"{what}: {path.name} is larger than {MAX_PREDICTION_BYTES // 2**20} MB.")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = [cell.strip().lower() for cell in next(reader, [])]
            if header != ["id", "label"]:
                raise BadPredictions(f"{what}: the header must be 'id,label', not {','.join(header)!r}.")
            labels: dict[str, str] = {}
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != 2 or not row[0].strip() or not row[1].strip():
                    raise BadPredictions(f"{what}: line {line} is not 'id,label': {row!r}.")
                key, label = row[0].strip(), row[1].strip()
                if key in labels:
                    raise BadPredictions(f"{what}: id {key!r} appears twice (line {line}).")
                labels[key] = label
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadPredictions(f"{what}: {path.name} is not a readable UTF-8 CSV file ({exc}).") from None
    return labels


def check_ids(predicted: dict[str, str], truth: dict[str, str]) -> None:
    """Require exactly one prediction per reference id."""
    missing = sorted(set(truth) - set(predicted))
    unknown = sorted(set(predicted) - set(truth))
    problems = []
    if missing:
        problems.append(f"{len(missing)} ids have no prediction (first: {', '.join(missing[:5])})")
    if unknown:
        problems.append(f"{len(unknown)} ids are not in the test set (first: {', '.join(unknown[:5])})")
    if problems:
        raise BadPredictions("predictions: " + "; ".join(problems) + ".")


def accuracy(truth: list[str], predicted: list[str]) -> float:
    """Fraction of exact matches."""
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    """Unweighted mean of per-class F1 over every label seen in truth or predictions."""
    scores = []
    for label in sorted(set(truth) | set(predicted)):
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def score(predictions_dir: Path, reference_dir: Path) -> dict[str, float]:
    """Return the scores, or raise :class:`BadPredictions`."""
    try:
        truth = read_labels(reference_dir / "labels.csv", "reference")
    except BadPredictions as exc:  # the organizer's data, not the participant's fault
        raise RuntimeError(str(exc)) from None
    if not truth:
        raise RuntimeError("reference: labels.csv has no rows")
    predicted = read_labels(predictions_dir / "predictions.csv", "predictions")
    check_ids(predicted, truth)
    ids = sorted(truth)
    y_true, y_pred = [truth[i] for i in ids], [predicted[i] for i in ids]
    return {"accuracy": round(accuracy(y_true, y_pred), 6), "macro_f1": round(macro_f1(y_true, y_pred), 6)}


def main(argv: list[str]) -> int:
    """Score and write scores.json; return the exit code."""
    predictions_dir = Path(argv[1]) if len(argv) > 1 else Path("/mnt/predictions")
    reference_dir = Path(argv[2]) if len(argv) > 2 else Path("/mnt/reference")
    output_dir = Path(argv[3]) if len(argv) > 3 else Path("/mnt/out")
    try:
        scores = score(predictions_dir, reference_dir)
    except BadPredictions as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"scoring error (reference data): {exc}", file=sys.stderr)
        return 1
    (output_dir / "scores.json").write_text(json.dumps(scores) + "\n", encoding="utf-8")
    print(f"scores: {json.dumps(scores)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
