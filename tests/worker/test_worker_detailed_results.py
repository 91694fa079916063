"""The scorer's detailed_results.html: read like scores.json (bounded, never through a link), sent with the result."""

from __future__ import annotations

import os

import pytest

from compute_worker import outputs, protocol
from compute_worker.protocol import FailureReason, ProtocolError, ResultReport, Status
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.worker_requests import make_request

LIMIT = protocol.MAX_DETAILED_RESULTS_BYTES
SCORES = 'printf \'{"lines": 1, "matches": 0}\' > /mnt/out/scores.json\n'


def test_read_detailed_results(tmp_path) -> None:
    assert outputs.read_detailed_results(tmp_path) == ""  # optional: none written, none sent
    page = tmp_path / "detailed_results.html"
    page.write_bytes(b"<h1>Per class</h1>\xff")
    assert outputs.read_detailed_results(tmp_path) == "<h1>Per class</h1>\ufffd"  # not UTF-8: replaced
    page.write_bytes(b"x" * LIMIT)
    assert len(outputs.read_detailed_results(tmp_path)) == LIMIT
    page.write_bytes(b"x" * (LIMIT + 1))
    with pytest.raises(outputs.OutputProblem, match=f"at most {LIMIT} bytes") as problem:
        outputs.read_detailed_results(tmp_path)
    assert problem.value.reason is FailureReason.SCORING_ERROR
    page.unlink()
    secret = tmp_path / "elsewhere"
    secret.write_text("the reference data")
    os.symlink(secret, page)
    with pytest.raises(outputs.OutputProblem, match="not a regular file"):
        outputs.read_detailed_results(tmp_path)


def test_the_report_carries_it_bounded_and_only_when_finished() -> None:
    report = ResultReport(status=Status.FINISHED, scores={"a": 1.0}, detailed_results="<p>ok</p>")
    assert ResultReport.from_json(report.to_json()).detailed_results == "<p>ok</p>"
    long = ResultReport.from_json({**report.to_json(), "detailed_results": "y" * (LIMIT + 10)})
    assert len(long.detailed_results) == LIMIT
    failed = ResultReport.from_json({"status": "FAILED", "failure_reason": "scoring_error",
                                     "detailed_results": "<p>stale</p>"})
    assert failed.detailed_results == ""
    with pytest.raises(ProtocolError, match="detailed_results must be a string"):
        ResultReport.from_json({**report.to_json(), "detailed_results": 7})


@pytest.mark.docker
def test_a_scorer_s_detailed_results_reach_the_site(worker_config, stub_site, busybox) -> None:
    participant = docker_images.busybox_script_image("predict", "echo 42 > /mnt/out/predictions.txt\n")
    scorer = docker_images.scoring_image(
        "scorer-detailed", SCORES + "printf '<table><tr><td>cats</td><td>0.9</td></tr></table>' "
        "> /mnt/out/detailed_results.html\n")
    handle_message(make_request(stub_site, participant, scorer), config=worker_config)
    result = stub_site.result()
    assert result["status"] == "FINISHED", result
    assert result["detailed_results"] == "<table><tr><td>cats</td><td>0.9</td></tr></table>"


@pytest.mark.docker
def test_oversized_detailed_results_are_a_scoring_error(worker_config, stub_site, busybox) -> None:
    participant = docker_images.busybox_script_image("predict", "echo 42 > /mnt/out/predictions.txt\n")
    scorer = docker_images.scoring_image(
        "scorer-huge-detail", SCORES + f"head -c {LIMIT + 1} /dev/zero > /mnt/out/detailed_results.html\n")
    handle_message(make_request(stub_site, participant, scorer), config=worker_config)
    result = stub_site.result()
    assert result["failure_reason"] == "scoring_error"
    assert f"detailed_results.html is too large: at most {LIMIT} bytes" in result["failure_message"]
