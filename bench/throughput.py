"""Throughput: N quick submissions through one worker (concurrency 1 and 2) vs a plain loop of the same containers.

For each concurrency, each repeat runs the plain loop (``concurrency`` threads running the raw
container pair N times in all) and then the evalbox run (N POSTs, then wait until every
submission is final) back to back. evalbox's rate is N over the time from the first POST to the
last ``finished_at``.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import common

#: Issue 16: evalbox keeps at least 95 % of the plain loop's rate at each concurrency.
TARGET_FRACTION = 0.95


def plain_loop(images: common.Images, work: Path, count: int, concurrency: int) -> float:
    """Run the raw pair ``count`` times on ``concurrency`` threads; return pairs per second."""
    pairs = [common.RawPair(images, work / f"loop{index}") for index in range(concurrency)]
    shares = [count // concurrency + (1 if index < count % concurrency else 0) for index in range(concurrency)]
    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda job: [job[0].run() for _ in range(job[1])], zip(pairs, shares, strict=True)))
        return count / (time.perf_counter() - start)
    finally:
        for pair in pairs:
            pair.close()


def evalbox_run(site: common.Site, setup: common.Setup, images: common.Images, count: int) -> float:
    """POST ``count`` submissions and wait for them; return submissions per second."""
    http = common.session(setup.tokens[0])
    start = time.time()
    ids = [common.submit(site, http, setup, images.participant) for _ in range(count)]
    found = common.wait_final(ids, timeout=count * 30)
    last = max(submission.finished_at.timestamp() for submission in found.values())
    return count / (last - start)


def run(site: common.Site, images: common.Images, work: Path, *, repeats: int, submissions: int) -> dict[str, Any]:
    """Measure both concurrencies; return the results."""
    setup = common.make_competition(site, images.scorer, name="throughput")
    result: dict[str, Any] = {"submissions": submissions, "repeats": repeats, "target_fraction": TARGET_FRACTION}
    missed: list[str] = []
    for concurrency in (1, 2):
        loop_rates: list[float] = []
        evalbox_rates: list[float] = []
        with common.worker(site, work / f"workers-c{concurrency}", concurrency=concurrency):
            common.wait_final([common.submit(site, common.session(setup.tokens[0]), setup, images.participant)])
            for index in range(repeats):
                loop_rates.append(plain_loop(images, work / f"c{concurrency}-{index}", submissions, concurrency))
                evalbox_rates.append(evalbox_run(site, setup, images, submissions))
                common.log(f"throughput c={concurrency} {index + 1}/{repeats}: loop {loop_rates[-1]:.2f}/s, "
                           f"evalbox {evalbox_rates[-1]:.2f}/s")
        fractions = [e / b for e, b in zip(evalbox_rates, loop_rates, strict=True)]
        entry = {"loop_per_s": common.summary(loop_rates), "evalbox_per_s": common.summary(evalbox_rates),
                 "fraction": common.summary(fractions, 2)}
        fraction = statistics.median(fractions)  # unrounded: a miss is never rounded into a pass
        entry["met"] = fraction >= TARGET_FRACTION
        if not entry["met"]:
            missed.append(f"concurrency {concurrency}: {fraction:.3f} of the plain loop (target >= {TARGET_FRACTION})")
        result[f"concurrency_{concurrency}"] = entry
    result["missed"] = missed
    return result


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    lines = [f"Throughput ({result['submissions']} submissions per run, {result['repeats']} run(s) each)"]
    for concurrency in (1, 2):
        entry = result[f"concurrency_{concurrency}"]
        lines += [
            f"  concurrency {concurrency}: plain loop {common.fmt(entry['loop_per_s'], '/s', 2)}, "
            f"evalbox {common.fmt(entry['evalbox_per_s'], '/s', 2)}",
            f"    evalbox / loop = {common.fmt(entry['fraction'], '', 2)} (target >= {TARGET_FRACTION}: "
            f"{'met' if entry['met'] else 'MISSED'})",
        ]
    return "\n".join(lines)
