"""Data cache: the first and the second submission of a phase with a large input archive.

Each repeat makes a fresh phase whose input is a zip (stored, not compressed) of random bytes
(a nonce file makes its sha256 new), submits twice in a row and reads, for each submission, the
worker's ``fetch_input`` timing, the number of input-data downloads the site served (gunicorn's
access log) and what the worker logged about the cache. Side by side: the raw container pair
with the same data mounted, and a plain ``zipfile`` extraction of the archive (the floor of what
a first fetch must do, without the download).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

from . import common

CHUNK = 10 << 20


def make_archive(path: Path, size_mb: int) -> Path:
    """A zip of ``size_mb`` MB of random data in 10 MB members plus a nonce (new sha256 each time)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("nonce.txt", secrets.token_hex(16))
        for index in range(max(1, (size_mb << 20) // CHUNK)):
            archive.writestr(f"data/part{index:03d}.bin", os.urandom(CHUNK))
    return path


def input_downloads(site: common.Site, submission_id: int) -> int:
    """How many input-data GETs of ``submission_id`` the site answered (from gunicorn's access log)."""
    text = (site.tmp / "access.log").read_text(errors="replace")
    return len(re.findall(rf"GET /api/worker/submissions/{submission_id}/input-data ", text))


def submit_and_wait(site: common.Site, http: Any, setup: common.Setup, image: str, *,
                    timeout: float = 600) -> tuple[Any, float, int]:
    """Submit ``image`` and wait for its end: the submission, its seconds from POST to the end, its input downloads."""
    posted_at = time.time()
    submission_id = common.submit(site, http, setup, image)
    submission = common.wait_final([submission_id], timeout=timeout)[submission_id]
    time.sleep(0.2)  # let gunicorn flush its access log
    return submission, submission.finished_at.timestamp() - posted_at, input_downloads(site, submission_id)


def run(site: common.Site, images: common.Images, work: Path, *, repeats: int, size_mb: int) -> dict[str, Any]:
    """Measure; return the results."""
    rows: list[dict[str, Any]] = []
    with common.worker(site, work / "workers") as process:
        for index in range(repeats):
            archive = make_archive(work / f"input{index}.zip", size_mb)
            setup = common.make_competition(site, images.scorer, name="cache", input_archive=archive)
            http = common.session(setup.tokens[0])
            extracted = work / f"extracted{index}"
            extract_s = common.timed(lambda: zipfile.ZipFile(archive).extractall(extracted))  # noqa: B023
            raw = common.RawPair(images, work / f"raw{index}", input_dir=extracted)
            try:
                raw_s = raw.run()
            finally:
                raw.close()
            row: dict[str, Any] = {"plain_extract_s": extract_s, "raw_pair_s": raw_s}
            for turn in ("first", "second"):
                submission, total_s, downloads = submit_and_wait(site, http, setup, images.participant)
                row[turn] = {"total_s": total_s,
                             "fetch_input_s": float(submission.timings.get("fetch_input", 0.0)),
                             "input_downloads": downloads,
                             "worker_log": [line.split("] ", 1)[-1] for line in process.log().splitlines()
                                            if f"submission {submission.pk}:" in line and "data" in line]}
            rows.append(row)
            common.log(f"cache {index + 1}/{repeats}: first fetch {row['first']['fetch_input_s']:.2f} s "
                       f"({row['first']['input_downloads']} download), second {row['second']['fetch_input_s']:.3f} s "
                       f"({row['second']['input_downloads']} downloads)")
            shutil.rmtree(extracted, ignore_errors=True)
            archive.unlink()

    def stats(turn: str, key: str) -> dict[str, Any]:
        return common.summary([row[turn][key] for row in rows])

    result = {
        "size_mb": size_mb, "repeats": repeats,
        "plain_extract_s": common.summary([row["plain_extract_s"] for row in rows]),
        "raw_pair_s": common.summary([row["raw_pair_s"] for row in rows]),
        "first_total_s": stats("first", "total_s"), "first_fetch_input_s": stats("first", "fetch_input_s"),
        "second_total_s": stats("second", "total_s"), "second_fetch_input_s": stats("second", "fetch_input_s"),
        "first_downloads": [row["first"]["input_downloads"] for row in rows],
        "second_downloads": [row["second"]["input_downloads"] for row in rows],
        "worker_log_example": rows[-1]["first"]["worker_log"] + rows[-1]["second"]["worker_log"],
    }
    result["met"] = all(count == 0 for count in result["second_downloads"])
    return result


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    lines = [
        f"Data cache ({result['size_mb']} MB input archive, {result['repeats']} fresh phase(s))",
        f"  plain zip extraction (no download)  {common.fmt(result['plain_extract_s'], ' s')}",
        f"  raw container pair, data mounted    {common.fmt(result['raw_pair_s'], ' s')}",
        f"  1st submission: total {common.fmt(result['first_total_s'], ' s')}, "
        f"fetch_input {common.fmt(result['first_fetch_input_s'], ' s')}, downloads {result['first_downloads']}",
        f"  2nd submission: total {common.fmt(result['second_total_s'], ' s')}, "
        f"fetch_input {common.fmt(result['second_fetch_input_s'], ' s')}, downloads {result['second_downloads']}",
        f"  second fetches and extracts nothing: {'yes' if result['met'] else 'NO'}",
    ]
    lines += [f"    worker: {line}" for line in result["worker_log_example"]]
    return "\n".join(lines)
