"""Overhead per submission: POST to FINISHED through the site, RabbitMQ and one worker, vs the raw container pair.

Each repeat runs the baseline (:class:`bench.common.RawPair`) and one evalbox submission back to
back, alternating which goes first. The evalbox time runs from just before the POST to the
site's ``finished_at``; the breakdown comes from the submission's timestamps and the worker's
own ``timings``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from . import common

#: Issue 16: at most 50 ms added to the raw container pair, at the median.
TARGET_ADDED_S = 0.05
#: Worker steps, in the order they happen (``Submission.timings`` keys).
STEPS = ("fetch_input", "image_inspect", "participant_run", "fetch_reference", "scoring", "reports")


def breakdown(submission: Any, posted_at: float) -> dict[str, float]:
    """Where one submission's time went, in seconds."""
    timings = {step: float(submission.timings.get(step, 0.0)) for step in STEPS}
    created = submission.created.timestamp()
    parts = {
        "post_to_created": created - posted_at,
        "dispatch": common.seconds(submission.queued_at, submission.created) or 0.0,
        "queue_to_running": common.seconds(submission.started_at, submission.queued_at) or 0.0,
        **timings,
    }
    total = submission.finished_at.timestamp() - posted_at
    parts["other"] = total - sum(parts.values())
    parts["total"] = total
    return parts


def run(site: common.Site, images: common.Images, work: Path, *, repeats: int) -> dict[str, Any]:
    """Measure; return the results (also printed as a table by :mod:`bench.__main__`)."""
    setup = common.make_competition(site, images.scorer, name="overhead")
    http = common.session(setup.tokens[0])
    raw = common.RawPair(images, work / "raw")
    rows: list[dict[str, float]] = []
    baseline: list[float] = []
    posts: list[float] = []
    try:
        with common.worker(site, work / "workers") as process:
            # Warm-up: first container start, first connections, imports in the worker child.
            raw.run()
            common.wait_final([common.submit(site, http, setup, images.participant)])
            for index in range(repeats):
                order = ("raw", "evalbox") if index % 2 == 0 else ("evalbox", "raw")
                for which in order:
                    if which == "raw":
                        baseline.append(raw.run())
                        continue
                    posted_at = time.time()
                    submission_id = common.submit(site, http, setup, images.participant)
                    posts.append(time.time() - posted_at)
                    submission = common.wait_final([submission_id])[submission_id]
                    rows.append(breakdown(submission, posted_at))
                common.log(f"overhead {index + 1}/{repeats}: raw {baseline[-1]:.3f} s, "
                           f"evalbox {rows[-1]['total']:.3f} s")
            worker_log = process.log()
    finally:
        raw.close()
    totals = [row["total"] for row in rows]
    added = [row["total"] - base for row, base in zip(rows, baseline, strict=True)]
    evalbox, base = common.summary(totals), common.summary(baseline)
    added_median = statistics.median(totals) - statistics.median(baseline)  # unrounded: never rounded into a pass
    result = {
        "repeats": repeats,
        "evalbox_s": evalbox,
        "baseline_s": base,
        "added_s": common.summary(added),
        "added_median_s": round(added_median, 3),
        "ratio": round(evalbox["median"] / base["median"], 2),
        "target_added_s": TARGET_ADDED_S,
        "post_response_s": common.summary(posts),
        "breakdown_s": {key: common.summary([row[key] for row in rows]) for key in rows[0]},
        "worker_errors": [line for line in worker_log.splitlines() if "ERROR" in line][:10],
    }
    result["met"] = added_median <= TARGET_ADDED_S
    result["missed"] = [] if result["met"] else [
        f"evalbox adds {added_median:.4f} s per submission (target <= {TARGET_ADDED_S} s)"]
    return result


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    lines = [
        "Overhead per submission (median [min–max] over "
        f"{result['repeats']} interleaved runs)",
        f"  raw container pair (Docker SDK)   {common.fmt(result['baseline_s'], ' s')}",
        f"  evalbox POST -> FINISHED          {common.fmt(result['evalbox_s'], ' s')}",
        f"  added (paired)                    {common.fmt(result['added_s'], ' s')}",
        f"  added at the median: {result['added_median_s']:.3f} s (target <= {TARGET_ADDED_S} s: "
        f"{'met' if result['met'] else 'MISSED'}), ratio evalbox/raw = {result['ratio']:.2f}",
        f"  POST response time                {common.fmt(result['post_response_s'], ' s')}",
        "  breakdown:",
    ]
    for key, stats in result["breakdown_s"].items():
        lines.append(f"    {key:<18} {common.fmt(stats, ' s')}")
    return "\n".join(lines)
