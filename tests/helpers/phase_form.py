"""The fields a browser posts on the phase form (the tests' way to fill it)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone


def column(i, key, label, ranks=False, sorting="desc", precision=4, **extra):
    """The fields of the `i`-th leaderboard column row."""
    data = {
        f"columns-{i}-key": key,
        f"columns-{i}-label": label,
        f"columns-{i}-sorting": sorting,
        f"columns-{i}-precision": str(precision),
        f"columns-{i}-order": str(i),
    }
    if ranks:
        data[f"columns-{i}-ranks"] = "on"
    data.update({f"columns-{i}-{k}": v for k, v in extra.items()})
    return data


def phase_data(*columns, initial=0, **overrides):
    """A whole valid phase form with these column rows (and the empty extra rows)."""
    now = timezone.now()
    data = {
        "name": "Development",
        "start": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "end": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit_s": "300",
        "memory_mb": "1024",
        "cpus": "2",
        "gpus": "0",
        "pids": "128",
        "output_max_mb": "100",
        "log_max_kb": "64",
        "max_submissions_per_day": "3",
        "max_submissions_total": "50",
        "scoring_image": "ghcr.io/org/scorer:1.0",
        "leaderboard_visibility": "public",
        "selection_rule": "best",
        "max_final_submissions": "2",
        "columns-TOTAL_FORMS": str(max(len(columns), 2)),
        "columns-INITIAL_FORMS": str(initial),
        "columns-MIN_NUM_FORMS": "0",
        "columns-MAX_NUM_FORMS": "1000",
    }
    for c in columns:
        data.update(c)
    for i in range(len(columns), 2):  # the empty extra rows a browser posts
        data.update({f"columns-{i}-key": "", f"columns-{i}-label": "", f"columns-{i}-sorting": "desc",
                     f"columns-{i}-precision": "4", f"columns-{i}-order": "0"})
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- competition form
