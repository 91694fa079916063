"""``evalbox try``: the platform's verdict on the participant's own Docker, with the worker's own code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from compute_worker.protocol import FailureReason
from compute_worker.tasks import handle_message
from tests.helpers.examples import make_demo_archives
from tests.helpers.worker_requests import make_request

DATA = make_demo_archives.DATA_DIR
#: The demo phase's limits, with a 3 s time limit so that sleep-forever ends (as in the end-to-end test).
LIMITS = {"time_limit_s": 3, "memory_mb": 256, "cpus": 1.0, "pids": 64, "output_max_mb": 16, "log_max_kb": 64}
LIMIT_OPTIONS = [f"--{name.replace('_', '-')}={value}" for name, value in LIMITS.items()]


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def platform_verdict(stub_site, worker_config, image: str, scorer: str) -> dict:
    """What the worker reports to the site for ``image`` on the demo data (the platform's path)."""
    kwargs = make_request(stub_site, image, scorer, input_files=_files(DATA / "input"),
                          reference_files=_files(DATA / "reference"), limits=LIMITS)
    handle_message(kwargs, config=worker_config)
    return stub_site.result()


def try_verdict(evalbox, image: str, scorer: str) -> tuple[int, str, str, str]:
    """``(exit code, reason, message, output)`` of ``evalbox try`` on the demo data."""
    run = evalbox("try", image, "--input", str(DATA / "input"), "--reference", str(DATA / "reference"),
                  "--scoring-image", scorer, *LIMIT_OPTIONS)
    reason = re.search(r"^Reason:\s+(\w+)$", run.out, re.MULTILINE)
    message = re.search(r"^Message:\s+(.*)$", run.out, re.MULTILINE)
    return run.code, reason.group(1) if reason else "", message.group(1) if message else "", run.out + run.err


@pytest.mark.parametrize(("name", "reason"), [
    ("exit-nonzero", FailureReason.NON_ZERO_EXIT),
    ("sleep-forever", FailureReason.TIME_LIMIT),
    ("bad-output", FailureReason.BAD_OUTPUT),
])
def test_try_gives_the_platform_s_reason_and_message_for_each_bad_example(evalbox, example_images, stub_site,
                                                                          worker_config, name, reason):
    code, said_reason, said_message, output = try_verdict(evalbox, example_images[name], example_images["scoring"])
    platform = platform_verdict(stub_site, worker_config, example_images[name], example_images["scoring"])
    assert platform["failure_reason"] == reason.value
    assert (said_reason, said_message) == (platform["failure_reason"], platform["failure_message"]), output
    assert code == 1 and f"Reason:              {reason.value}\n" in output
    assert "Status:              FAILED" in output


def test_try_runs_the_example_to_the_platform_s_scores_and_shows_its_live_log(evalbox, example_images, stub_site,
                                                                             worker_config, tmp_path):
    keep = tmp_path / "kept"
    run = evalbox("try", example_images["participant"], "--input", str(DATA / "input"), "--reference",
                  str(DATA / "reference"), "--scoring-image", example_images["scoring"], "--output", str(keep),
                  *LIMIT_OPTIONS[1:])
    assert run.code == 0, run.out + run.err
    platform = platform_verdict(stub_site, worker_config, example_images["participant"], example_images["scoring"])
    assert platform["status"] == "FINISHED"
    for key, value in platform["scores"].items():
        assert re.search(rf"^  {key}  {value}$", run.out, re.MULTILINE), run.out
    assert "--- participant log ---\ntraining 5-NN" in run.out and "--- scoring log ---" in run.out
    assert (keep / "predictions.csv").read_text().startswith("id,label")


def test_try_without_the_docker_sdk_says_to_install_the_worker_extra(evalbox, mocker, tmp_path):
    mocker.patch.dict(sys.modules, {"docker": None})  # the plain install: no Docker SDK
    run = evalbox("try", "team/model:v1", "--input", str(tmp_path))
    assert run.code == 2
    assert "pip install 'evalbox[worker]'" in run.err and "Traceback" not in run.err
    assert run.err.count("\n") == 1  # one line


@pytest.mark.parametrize(("argv", "problem"), [
    (["Team/Model", "--input", "."], "Bad image reference"),
    (["team/model", "--input", "/does/not/exist"], "is not a folder"),
    (["team/model", "--input", ".", "--reference", "."], "--reference needs --scoring-image"),
    (["team/model", "--input", ".", "--memory-mb", "0"], "limits.memory_mb"),
])
def test_try_refuses_bad_usage_in_one_line(evalbox, argv, problem):
    run = evalbox("try", *argv)
    assert run.code == 2 and problem in run.err and run.err.count("\n") == 1, run.err


def test_try_shows_the_progress_example_s_lines_as_the_platform_reads_them(evalbox, example_images):
    run = evalbox("try", example_images["progress"], "--input", str(DATA / "input"))
    assert run.code == 0, run.out + run.err
    assert "[participant progress: 100 % · epoch 10/10]" in run.out
    assert '"evalbox"' not in run.out  # read, not logged
    assert re.search(r"^Metadata \(never scored\):\n  train_accuracy  0\.\d+\n  epochs  10\.0$", run.out, re.MULTILINE)
