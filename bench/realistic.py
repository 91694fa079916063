"""A realistic submission beside the toy one: a ~300 MB Python image and a 100 MB input archive.

The participant's image (``evalbox/python-base:bookworm``, 116 MB, plus one layer of random
bytes) is pushed to the platform registry; the phase's input is a zip of random bytes. Each repeat
starts from nothing (the image removed from the engine, a new worker with empty caches) and runs,
interleaved:

* evalbox, first submission: POST -> FINISHED, with the pull through the registry (pull token,
  manifest checks, pull by digest) and the input's download and extraction;
* evalbox, second submission of the same digest: the image and the input are cached;
* bare, first: ``docker pull`` (the participant's login) + the archive extracted with ``zipfile``
  (the floor of a first fetch, without its download) + the container pair with the Docker SDK;
* bare, second: the container pair alone.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import docker

from . import common
from .cache import make_archive, submit_and_wait
from .registry import Bench

BASE_IMAGE = "evalbox/python-base:bookworm"
EXTRA_MB = 185  #: the random layer on top of the 116 MB base: about 300 MB in all
INPUT_MB = 100
#: Reads every input file and writes their total size: the input is really read.
PROGRAM = ("import os\n"
           "total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk('/mnt/in') for f in fs)\n"
           "open('/mnt/out/predictions.txt', 'w').write(str(total))\n")


def build_participant(client: docker.DockerClient, tag: str, work: Path) -> None:
    """The Python participant: the base image, a random layer and the program."""
    context = work / "participant-context"
    context.mkdir(parents=True)
    (context / "weights.bin").write_bytes(os.urandom(EXTRA_MB << 20))
    (context / "predict.py").write_text(PROGRAM)
    (context / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nCOPY weights.bin /opt/weights.bin\n"
                                        'COPY predict.py /opt/predict.py\nCMD ["python3", "/opt/predict.py"]\n')
    client.images.build(path=str(context), tag=tag, rm=True, pull=False, network_mode="none")
    shutil.rmtree(context)


def _submission_row(site: common.Site, http: Any, setup: common.Setup, reference: str) -> dict[str, Any]:
    submission, total_s, downloads = submit_and_wait(site, http, setup, reference, timeout=900)
    if submission.status != "FINISHED":
        raise RuntimeError(f"submission {submission.pk}: {submission.status} {submission.failure_message}")
    timings = submission.timings
    return {"total_s": total_s, "image_s": float(timings.get("image_inspect", 0.0)),
            "fetch_input_s": float(timings.get("fetch_input", 0.0)), "input_downloads": downloads}


def run(site: common.Site, images: common.Images, work: Path, *, repeats: int) -> dict[str, Any]:
    """Measure; see the module's docstring."""
    work.mkdir(parents=True, exist_ok=True)
    archive = make_archive(work / "input.zip", INPUT_MB)
    bench = Bench(site, images, work, input_archive=archive)
    rows: list[dict[str, Any]] = []
    try:
        local = "evalbox-bench/realistic:v1"
        build_participant(bench.client, local, work)
        size_mb = bench.client.images.get(local).attrs["Size"] / 1e6
        reference = f"{bench.registry.host}/{bench.repository()}:v1"
        bench.cli.push(local, reference)
        bench.client.images.remove(local, force=True)
        http = common.session(bench.setup.tokens[0])
        for index in range(repeats):
            bench.forget_pulls()
            env = {"EVALBOX_PULL_POLICY": "if-not-present", "EVALBOX_PULL_TIMEOUT_S": "900"}
            with common.worker(site, work / f"worker{index}", env=env):
                row = {"evalbox_first": _submission_row(site, http, bench.setup, reference),
                       "evalbox_second": _submission_row(site, http, bench.setup, reference)}
            bench.forget_pulls()
            extracted = work / f"extracted{index}"
            pull_s = bench.docker_pull(reference)
            extract_s = common.timed(lambda: zipfile.ZipFile(archive).extractall(extracted))  # noqa: B023
            pair_images = common.Images(reference, images.scorer, bench.client.images.get(reference).id,
                                        images.scorer_id)
            raw = common.RawPair(pair_images, work / f"raw{index}", input_dir=extracted)
            try:
                first_pair_s, second_pair_s = raw.run(), raw.run()
            finally:
                raw.close()
            row["bare_first"] = {"total_s": pull_s + extract_s + first_pair_s, "pull_s": pull_s,
                                 "extract_s": extract_s, "pair_s": first_pair_s}
            row["bare_second"] = {"total_s": second_pair_s}
            rows.append(row)
            shutil.rmtree(extracted, ignore_errors=True)
            common.log(f"realistic {index + 1}/{repeats}: evalbox {row['evalbox_first']['total_s']:.2f} / "
                       f"{row['evalbox_second']['total_s']:.2f} s, bare {row['bare_first']['total_s']:.2f} / "
                       f"{row['bare_second']['total_s']:.2f} s")
        bench.forget_pulls()
    finally:
        bench.close()

    def stats(turn: str, key: str = "total_s") -> dict[str, Any]:
        return common.summary([row[turn][key] for row in rows])

    result: dict[str, Any] = {
        "image_mb": round(size_mb), "input_mb": INPUT_MB, "repeats": repeats,
        **{f"{turn}_s": stats(turn) for turn in ("evalbox_first", "evalbox_second", "bare_first", "bare_second")},
        "evalbox_first_image_s": stats("evalbox_first", "image_s"),
        "evalbox_first_fetch_input_s": stats("evalbox_first", "fetch_input_s"),
        "bare_pull_s": stats("bare_first", "pull_s"), "bare_extract_s": stats("bare_first", "extract_s"),
        "second_input_downloads": [row["evalbox_second"]["input_downloads"] for row in rows],
        "second_image_s": stats("evalbox_second", "image_s"),
    }
    result["ratio_first"] = round(result["evalbox_first_s"]["median"] / result["bare_first_s"]["median"], 3)
    result["ratio_second"] = round(result["evalbox_second_s"]["median"] / result["bare_second_s"]["median"], 3)
    result["missed"] = ([] if all(count == 0 for count in result["second_input_downloads"]) else
                        ["realistic: the second submission downloaded its input again"])
    return result


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    return "\n".join([
        f"Realistic submission ({result['image_mb']} MB Python image from the registry, {result['input_mb']} MB "
        f"input archive, {result['repeats']} repeat(s) from empty caches)",
        f"  1st: evalbox POST -> FINISHED {common.fmt(result['evalbox_first_s'], ' s')} "
        f"(image {common.fmt(result['evalbox_first_image_s'], ' s')}, input "
        f"{common.fmt(result['evalbox_first_fetch_input_s'], ' s')})",
        f"       bare pull + extract + pair {common.fmt(result['bare_first_s'], ' s')} "
        f"(pull {common.fmt(result['bare_pull_s'], ' s')}, extract {common.fmt(result['bare_extract_s'], ' s')})"
        f"  ratio {result['ratio_first']:.3f}",
        f"  2nd: evalbox POST -> FINISHED {common.fmt(result['evalbox_second_s'], ' s')} "
        f"(image {common.fmt(result['second_image_s'], ' s')}, input downloads {result['second_input_downloads']})",
        f"       bare pair                  {common.fmt(result['bare_second_s'], ' s')}  "
        f"ratio {result['ratio_second']:.3f}",
    ])
