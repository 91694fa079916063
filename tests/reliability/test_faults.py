"""Faults with the real site, RabbitMQ, compute workers and Docker: nothing lost, nothing evaluated twice.

Each test breaks one thing (a worker, a message, the site, the data cache, the reports) and
checks the submission's final state, how many results the site accepted, the leaderboard and
that the workers keep working. Reports go through :class:`~tests.helpers.private_services.SiteProxy`
when a test counts or breaks them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from competition.models import Submission
from competition.sweep import sweep
from compute_worker import protocol
from compute_worker.protocol import ResultReport, Status, StatusReport
from tests.helpers.archives import tar_gz
from tests.helpers.containers import labelled_containers
from tests.helpers.phase_data import set_input_data
from tests.helpers.private_services import site_proxy, tmpfs
from tests.helpers.processes import finished_by, sigkill_pool, sigkill_worker, start_compute_worker
from tests.helpers.timing import later, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_sigkilled_mid_run_is_redelivered_and_finished_once(site, settings, alice, quick_phase, quick_images,
                                                                  workers, e2e_queue, tmp_path):
    with site_proxy(site) as proxy:
        settings.EVALBOX_SITE_URL = proxy.url
        with workers(1) as (first,):
            submission_id = alice.submit_accepted(quick_phase, quick_images["sleeper"])
            label = f"evalbox.worker={first.worker_id}"
            wait_for(lambda: labelled_containers(label), 30, "the first worker's container")
            sigkill_worker(first)
            assert labelled_containers(label), "the killed worker's container should still be there"
            with workers(1) as (second,):
                final = alice.wait_final(submission_id, timeout=60)
                # The killed worker restarts (same id): it reaps its orphan container at start-up.
                restarted = start_compute_worker(e2e_queue, tmp_path / "restarted", worker_id=first.worker_id)
                try:
                    assert labelled_containers(label) == []
                finally:
                    restarted.stop()
                done = finished_by([first, second])
        board = alice.leaderboard(quick_phase)

    assert final["status"] == "FINISHED", final
    assert done == {first.worker_id: {}, second.worker_id: {submission_id: 1}}
    assert len(proxy.seen("result", status=200)) == 1, "exactly one result accepted"
    assert [row["submission_id"] for row in board["rows"]] == [submission_id]
    assert Submission.objects.get(pk=submission_id).attempt == 1


def test_message_killing_every_worker_ends_worker_lost_and_others_flow(alice, quick_phase, quick_images,
                                                                        workers):
    # The prefork pool (several jobs per worker, or EVALBOX_POOL=prefork): the pool process dies,
    # the main process lives. The one-process default is in test_worker_celery.py.
    with workers(2, env={"EVALBOX_POOL": "prefork"}) as processes:
        by_id = {w.worker_id: w for w in processes}
        poison = alice.submit_accepted(quick_phase, quick_images["sleeper"])
        killed: list[str] = []
        seen: set[str] = set()
        for delivery in (1, 2):  # the third delivery reaches the delivery limit
            container = wait_for(lambda: next((c for c in labelled_containers(f"evalbox.submission={poison}")
                                               if c.id not in seen), None), 60, f"delivery {delivery} running")
            seen.add(container.id)
            owner = container.labels["evalbox.worker"]
            killed.append(owner)
            sigkill_pool(by_id[owner].process.pid)
        others = [alice.submit_accepted(quick_phase, quick_images["quick"]) for _ in range(3)]
        final = alice.wait_final(poison, timeout=90)
        others_final = [alice.wait_final(i, timeout=90)["status"] for i in others]
        alive = [w.process.poll() is None for w in processes]

    assert final["status"] == "FAILED" and final["failure_reason"] == "worker_lost", final
    assert "delivered 3 times" in final["failure_message"]
    assert others_final == ["FINISHED"] * 3
    assert alive == [True, True], "the worker main processes survive and keep consuming"
    assert len(killed) == 2


def test_site_answering_500_or_down_while_the_worker_reports(site, settings, alice, quick_phase, quick_images,
                                                            workers):
    with site_proxy(site) as proxy:
        settings.EVALBOX_SITE_URL = proxy.url
        with workers(1, env={"EVALBOX_REPORT_RETRY_S": "60"}):
            # 500s: the first RUNNING and the first three results are refused, then accepted.
            proxy.fail("status", 500, 1)
            proxy.fail("result", 500, 3)
            first = alice.submit_accepted(quick_phase, quick_images["quick"])
            first_final = alice.wait_final(first, timeout=90)
            # Down: every result POST is dropped without an answer until the site comes back.
            proxy.down("/result")
            second = alice.submit_accepted(quick_phase, quick_images["quick"])
            wait_for(lambda: len(proxy.seen("result", status=0)) >= 3, 60, "the worker retrying a dead site")
            assert Submission.objects.get(pk=second).status == "SCORING"
            proxy.up()
            second_final = alice.wait_final(second, timeout=90)

    assert first_final["status"] == second_final["status"] == "FINISHED"
    assert len(proxy.seen("result", status=500)) == 3
    assert len(proxy.seen("result", status=0)) >= 3
    accepted = proxy.seen("result", status=200)
    assert [r.path for r in accepted] == [f"/api/worker/submissions/{i}/result" for i in (first, second)]


def test_site_down_longer_than_the_retry_budget_is_failed_by_the_sweep(site, settings, alice, quick_phase,
                                                                       quick_images, workers):
    with site_proxy(site) as proxy:
        settings.EVALBOX_SITE_URL = proxy.url
        proxy.down("/result")
        with workers(1, env={"EVALBOX_REPORT_RETRY_S": "2"}) as (worker,):
            submission_id = alice.submit_accepted(quick_phase, quick_images["quick"])
            wait_for(lambda: "the result could not be reported" in worker.log(), 60, "the worker to give up")
    assert Submission.objects.get(pk=submission_id).status == "SCORING"
    assert sweep().failed_lost == 0, "not before its time limit plus the margin"
    assert Submission.objects.get(pk=submission_id).status == "SCORING"

    result = sweep(later(quick_phase.time_limit_s + settings.EVALBOX_HEARTBEAT_MARGIN_S + 1))

    assert result.failed_lost == 1
    final = alice.wait_final(submission_id, timeout=5)
    assert final["status"] == "FAILED" and final["failure_reason"] == "worker_lost"
    assert "No news from the worker" in final["failure_message"]


def _report(site: str, submission_id: int, token: str, path: str, body: dict[str, Any]) -> int:
    response = requests.post(f"{site}/api/worker/submissions/{submission_id}/{path}", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
    return response.status_code


def _concurrently(calls: list[Callable[[], int]]) -> list[int]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], int]) -> int:
        barrier.wait(10)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_duplicate_and_late_reports_change_nothing(site, quick_phase, make_participant, make_submission,
                                                              alice):
    participant = make_participant(quick_phase.competition, "bob")
    submission, token = make_submission(quick_phase, participant, status="QUEUED")
    sid = submission.pk
    running = StatusReport(status=Status.RUNNING, message="Started").to_json()
    scoring = StatusReport(status=Status.SCORING, message="Scoring").to_json()
    finished = ResultReport(status=Status.FINISHED, scores={"accuracy": 0.5}).to_json()
    failed = ResultReport(status=Status.FAILED, failure_reason=protocol.FailureReason.NON_ZERO_EXIT,
                          failure_message="exit 1").to_json()

    assert set(_concurrently([lambda: _report(site, sid, token, "status", running)] * 10)) == {200}
    assert Submission.objects.get(pk=sid).status == "RUNNING"
    assert set(_concurrently([lambda: _report(site, sid, token, "status", scoring)] * 10)) == {200}
    # Ten identical results and ten contradicting ones at once: one kind wins, the other is refused.
    answers = _concurrently([lambda: _report(site, sid, token, "result", finished)] * 10
                            + [lambda: _report(site, sid, token, "result", failed)] * 10)
    stored = Submission.objects.get(pk=sid)
    winner, loser = (answers[:10], answers[10:]) if stored.status == "FINISHED" else (answers[10:], answers[:10])
    assert set(winner) == {200} and set(loser) == {409}, answers
    snapshot = (stored.status, stored.finished_at, stored.scores, stored.failure_reason, stored.last_heartbeat)

    late = [_report(site, sid, token, "status", running), _report(site, sid, token, "status", scoring),
            _report(site, sid, token, "logs", {"stream": "participant", "text": "late"}),
            _report(site, sid, token, "result", failed if stored.status == "FINISHED" else finished)]

    assert late == [409, 409, 409, 409]
    after = Submission.objects.get(pk=sid)
    assert (after.status, after.finished_at, after.scores, after.failure_reason, after.last_heartbeat) == snapshot
    rows = alice.leaderboard(quick_phase)["rows"]
    assert [r["submission_id"] for r in rows] == ([sid] if stored.status == "FINISHED" else [])


INPUT_TEXT = b"evalbox input v1\n"


@pytest.mark.parametrize("overflow", ["download", "extraction"])
def test_data_cache_disk_full_is_a_data_error_and_the_worker_stays_healthy(alice, quick_phase, quick_images,
                                                                          workers, tmp_path, overflow):
    if overflow == "download":  # the archive itself does not fit
        archive = tar_gz({"data.txt": INPUT_TEXT, "noise.bin": os.urandom(600 * 1024)})
    else:  # a small archive whose content does not fit
        archive = tar_gz({"data.txt": INPUT_TEXT, "zeros.bin": bytes(4 << 20)})
    set_input_data(quick_phase, archive, tmp_path)
    with tmpfs(tmp_path / "small-disk", 512) as cache_dir, \
            workers(1, env={"EVALBOX_DATA_CACHE_DIR": str(cache_dir)}) as (worker,):
        failing = alice.submit_accepted(quick_phase, quick_images["reads-input"])
        failed = alice.wait_final(failing, timeout=60)
        leftovers = [p for p in cache_dir.rglob("*") if p.is_file() and "locks" not in p.parts]
        quick_phase.input_data = None
        quick_phase.input_data_sha256 = ""
        quick_phase.save()
        healthy = alice.wait_final(alice.submit_accepted(quick_phase, quick_images["quick"]), timeout=60)
        alive = worker.process.poll() is None

    assert failed["status"] == "FAILED" and failed["failure_reason"] == "data_error", failed
    assert "No space left on device" in failed["failure_message"], failed["failure_message"]
    assert leftovers == [], "a failed fetch leaves nothing in the cache"
    assert healthy["status"] == "FINISHED" and alive


def test_corrupted_download_and_corrupted_cache_entry_are_fetched_again(site, settings, alice, quick_phase,
                                                                        quick_images, workers, tmp_path):
    sha = set_input_data(quick_phase, tar_gz({"data.txt": INPUT_TEXT}), tmp_path)
    with site_proxy(site) as proxy:
        settings.EVALBOX_SITE_URL = proxy.url
        with workers(1) as (worker,):
            downloads = lambda: len(proxy.seen("input-data", status=200, method="GET"))  # noqa: E731
            # 1. The first download arrives corrupted: the sha256 does not match, it is fetched again.
            proxy.corrupt("input-data")
            first = alice.wait_final(alice.submit_accepted(quick_phase, quick_images["reads-input"]), timeout=60)
            after_first = downloads()
            # 2. Cached: no download.
            second = alice.wait_final(alice.submit_accepted(quick_phase, quick_images["reads-input"]), timeout=60)
            after_second = downloads()
            # 3. The cached copy is damaged on disk: detected, fetched again, the container sees good data.
            cached = Path(tmp_path / "workers" / worker.worker_id / "cache" / "entries" / sha / "data" / "data.txt")
            cached.write_bytes(b"garbage, not the input\n")
            third = alice.wait_final(alice.submit_accepted(quick_phase, quick_images["reads-input"]), timeout=60)
            after_third = downloads()
            log = worker.log()

    assert [first["status"], second["status"], third["status"]] == ["FINISHED"] * 3, (first, second, third)
    assert (after_first, after_second, after_third) == (2, 2, 3)
    assert "sha256 mismatch" in log
    assert f"cache entry {sha} is corrupted; fetching it again" in log
    assert cached.read_bytes() == INPUT_TEXT
