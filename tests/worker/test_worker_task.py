"""The whole task against a stub of the worker API served on loopback (real HTTP, real Docker)."""

from __future__ import annotations

import dataclasses
import io
import time
import zipfile

import docker
import pytest
from docker.models.containers import ContainerCollection

from compute_worker import protocol
from compute_worker.protocol import transport
from compute_worker.site_client import SiteClient, SiteError, SubmissionGone
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.archives import sha256
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request

pytestmark = pytest.mark.docker

PREDICT = "cat /mnt/in/question.txt; echo 42 > /mnt/out/predictions.txt; echo 41 >> /mnt/out/predictions.txt\n"


def test_full_run_finished_with_retries(worker_config, stub_site: StubSite, scorer):
    image = docker_images.busybox_script_image("predict", PREDICT, labels={"org.opencontainers.image.title": "demo"})
    stub_site.script("status", 500, 200)        # RUNNING: the site fails once, then accepts
    stub_site.script("result", 502, 503, 200)   # the result: two failures, then accepted
    kwargs = make_request(stub_site, "docker.io/" + image, scorer, input_files={"question.txt": b"what?\n"},
                          reference_files={"answer.txt": b"42\n"})
    summary = handle_message(kwargs, config=worker_config)
    assert summary["status"] == "FINISHED", summary
    result = stub_site.result()
    assert result["scores"] == {"lines": 2.0, "matches": 1.0}
    assert result["exit_code"] == 0 and result["failure_reason"] is None
    assert result["image_digest"].startswith("sha256:")
    assert result["image_labels"]["org.opencontainers.image.title"] == "demo"
    assert result["participant_log"] == "what?\n"
    assert "scored 2 lines" in result["scoring_log"]
    assert set(result["timings"]) >= {"fetch_input", "image_inspect", "participant_run", "fetch_reference",
                                      "scoring", "reports"}
    assert [r.status for r in stub_site.all("result")] == [502, 503, 200]
    statuses = [b["status"] for b in stub_site.posts("status")]
    assert statuses[0] == "RUNNING" and "SCORING" in statuses
    assert [r.status for r in stub_site.all("status")][:2] == [500, 200]
    assert all(r.headers["Authorization"] == "Bearer test-token" for r in stub_site.requests)
    assert [b["stream"] for b in stub_site.posts("logs")] == ["participant"]  # the scorer's log comes with the result
    protocol.ResultReport.from_json(result)  # the site can parse it


def test_containers_are_removed_after_the_result_is_reported(worker_config, stub_site, scorer, docker_client):
    # Removing the two stopped containers is off the critical path: after the result report, before
    # the task returns (and so before its message is acknowledged).
    image = docker_images.busybox_script_image("predict", PREDICT)
    kwargs = make_request(stub_site, "docker.io/" + image, scorer, input_files={"question.txt": b"what?\n"},
                          reference_files={"answer.txt": b"42\n"})
    since = int(time.time()) - 1
    assert handle_message(kwargs, config=worker_config)["status"] == "FINISHED"
    label = f"evalbox.worker={worker_config.worker_id}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    wall_minus_monotonic = time.time() - time.monotonic()
    reported_at = stub_site.all("result")[-1].at + wall_minus_monotonic
    events = docker_client.events(since=since, until=int(time.time()) + 1, decode=True,
                                  filters={"type": "container", "event": "destroy", "label": label})
    destroyed = [event["timeNano"] / 1e9 for event in events]
    assert len(destroyed) == 2, destroyed
    assert min(destroyed) > reported_at, (destroyed, reported_at)


def _container_events(client: docker.DockerClient, since: int, label: str) -> dict[tuple[str, str], float]:
    """(role, create|start) -> when the engine did it, in ``time.monotonic`` terms."""
    wall_minus_monotonic = time.time() - time.monotonic()
    events = client.events(since=since, until=int(time.time()) + 1, decode=True,
                           filters={"type": "container", "event": ["create", "start"], "label": label})
    return {(event["Actor"]["Attributes"]["evalbox.role"], event["status"]):
            event["timeNano"] / 1e9 - wall_minus_monotonic for event in events}


def test_reports_travel_while_the_job_goes_on_the_participant_starts_once_the_site_took_them_the_scorer_meanwhile(
        worker_config, stub_site, scorer, docker_client):
    # The RUNNING report and the participant's whole log are answered slowly: the job creates the
    # participant's container meanwhile and starts it only after the answer; the scorer starts while
    # the site takes the log, and the site sees the usual order.
    image = docker_images.busybox_script_image("predict", "echo 42 > /mnt/out/predictions.txt; echo done\n")
    stub_site.delay("status", 0.8)
    stub_site.delay("logs", 2.0)  # room for the scorer's creation and start before the answer
    since = int(time.time()) - 1
    assert handle_message(make_request(stub_site, image, scorer), config=worker_config)["status"] == "FINISHED"
    running, scoring = stub_site.all("status")[:2]
    assert (running.body["status"], scoring.body["status"]) == ("RUNNING", "SCORING")
    log_post = stub_site.all("logs")[0]
    result = stub_site.all("result")[0]
    assert running.answered < log_post.at and log_post.answered < scoring.at and scoring.answered < result.at
    engine = _container_events(docker_client, since, f"evalbox.worker={worker_config.worker_id}")
    assert engine[("participant", "create")] < running.answered < engine[("participant", "start")]
    assert log_post.at < engine[("scoring", "start")] < log_post.answered
    assert stub_site.result()["timings"]["reports"] >= 0.8  # the time the job waited on the site


def test_the_site_s_slow_answer_while_the_scorer_starts_is_not_the_scorer_s_time(worker_config, stub_site, scorer,
                                                                                   docker_client):
    # SCORING is answered 3 s after it was sent, past the phase's 1 s limit, while the scorer runs (no
    # reference data to download first, whose download would wait for the answer): the scorer, done
    # at once, is not timed out.
    image = docker_images.busybox_script_image("predict", "echo 42 > /mnt/out/predictions.txt\n")
    stub_site.delay("status", 0, 3.0, 3.0, 3.0)  # RUNNING at once; then SCORING (and any heartbeat before it)
    since = int(time.time()) - 1
    request = make_request(stub_site, image, scorer, limits={"time_limit_s": 1})
    summary = handle_message(request, config=worker_config)
    assert summary["status"] == "FINISHED", stub_site.posts("result")
    assert stub_site.result()["scores"] == {"lines": 1.0, "matches": 0.0}
    engine = _container_events(docker_client, since, f"evalbox.worker={worker_config.worker_id}")
    scoring_answered = next(r.answered for r in stub_site.all("status") if r.body["status"] == "SCORING")
    assert scoring_answered - engine[("scoring", "start")] > 1.0  # the limit passed while the site answered


def test_a_submission_ended_while_its_scorer_starts_has_the_scorer_stopped_and_reports_nothing_more(
        worker_config, stub_site, docker_client):
    # SCORING is refused (409: cancelled during the participant's run): the scorer, started
    # meanwhile, is killed and removed, and no result is sent.
    scorer = docker_images.busybox_script_image("slow-scorer", "sleep 60; echo '{}' > /mnt/out/scores.json\n")
    image = docker_images.busybox_script_image("predict", "echo 42 > /mnt/out/predictions.txt\n")
    stub_site.script("status", 200, 409)
    label = f"evalbox.worker={worker_config.worker_id}"
    since = int(time.time()) - 1
    assert handle_message(make_request(stub_site, image, scorer), config=worker_config)["status"] == "STOPPED"
    assert stub_site.posts("result") == []
    events = docker_client.events(since=since, until=int(time.time()) + 1, decode=True,
                                  filters={"type": "container", "event": "die", "label": f"{label}"})
    ends = {event["Actor"]["Attributes"]["evalbox.role"]: event["Actor"]["Attributes"]["exitCode"] for event in events}
    assert ends == {"participant": "0", "scoring": "137"}  # the scorer killed, not run to its end
    assert docker_client.containers.list(all=True, filters={"label": label}) == []


def test_a_submission_cancelled_before_its_start_starts_no_container(worker_config, stub_site, scorer,
                                                                    docker_client):
    image = docker_images.busybox_script_image("predict", "echo 42 > /mnt/out/predictions.txt\n")
    stub_site.script("status", 409)  # the RUNNING report: cancelled while queued
    label = f"evalbox.worker={worker_config.worker_id}"
    since = int(time.time()) - 1
    assert handle_message(make_request(stub_site, image, scorer), config=worker_config)["status"] == "STOPPED"
    assert stub_site.posts("result") == [] and stub_site.all("logs") == []
    assert [event for (_, event) in _container_events(docker_client, since, label)] in ([], ["create"])
    assert docker_client.containers.list(all=True, filters={"label": label}) == []


def test_python_participant(worker_config, stub_site, scorer):
    python = docker_images.python_image()
    script = "import sys; open('/mnt/out/predictions.txt','w').write('42\\n'); print(sys.version_info[0])"
    image = docker_images.build_from_files(
        "evalbox-test/python-predict:latest",
        f"FROM {python}\nCOPY predict.py /predict.py\nCMD [\"/usr/bin/python3\", \"/predict.py\"]\n",
        {"predict.py": (script.encode(), 0o644)})
    summary = handle_message(make_request(stub_site, image, scorer, reference_files={"answer.txt": b"42\n"}),
                             config=worker_config)
    assert summary["status"] == "FINISHED", summary
    assert stub_site.result()["scores"] == {"lines": 1.0, "matches": 1.0}
    assert stub_site.result()["participant_log"] == "3\n"


def test_non_zero_exit(worker_config, stub_site, scorer):
    image = docker_images.busybox_script_image("exit3", "echo failing; exit 3\n")
    summary = handle_message(make_request(stub_site, image, scorer), config=worker_config)
    result = stub_site.result()
    assert summary["failure_reason"] == "non_zero_exit"
    assert result["exit_code"] == 3 and "exited with code 3" in result["failure_message"]
    assert result["participant_log"] == "failing\n"


@pytest.mark.parametrize(("content", "reason"), [
    ('{"a": NaN}', "not a finite number"),
    ('{"a": Infinity}', "not a finite number"),
    ('{"a": {"b": 1}}', "not a number"),
    ('[1, 2]', "JSON object"),
    ('not json', "not valid JSON"),
    ('{"a": 1e999}', "not a finite number"),
])
def test_bad_scores_are_scoring_errors(worker_config, stub_site, busybox, content, reason):
    participant = docker_images.busybox_script_image("predict", PREDICT)
    scorer = docker_images.scoring_image("scorer-bad", f"printf '%s' '{content}' > /mnt/out/scores.json\n")
    handle_message(make_request(stub_site, participant, scorer), config=worker_config)
    result = stub_site.result()
    assert result["failure_reason"] == "scoring_error"
    assert reason in result["failure_message"], result["failure_message"]


def test_scores_missing_or_huge(worker_config, stub_site, busybox):
    participant = docker_images.busybox_script_image("predict", PREDICT)
    for script, reason in (("echo no scores\n", "wrote no scores.json"),
                           ("head -c 1500000 /dev/zero > /mnt/out/scores.json\n", "at most 1048576"),
                           ("exit 1\n", "exited with code 1")):
        stub_site.requests.clear()
        handle_message(make_request(stub_site, participant, docker_images.scoring_image("scorer-x", script)),
                       config=worker_config)
        result = stub_site.result()
        assert result["failure_reason"] == "scoring_error" and reason in result["failure_message"], result


def test_invalid_requests_are_reported_and_acknowledged(worker_config, stub_site, scorer):
    base = make_request(stub_site, "evalbox-test/busybox", scorer)
    cases = [
        ({**base, "schema": 99}, "Unsupported message schema version 99"),
        ({**base, "image": "evil;rm"}, "not allowed: ;"),
        ({**base, "limits": {**base["limits"], "memory_mb": -1}}, "limits.memory_mb"),
        ({**base, "surprise": 1}, "Unknown fields"),
    ]
    for kwargs, message in cases:
        stub_site.requests.clear()
        summary = handle_message(kwargs, config=worker_config)
        assert summary["failure_reason"] == "invalid_request"
        result = stub_site.result()
        assert result["failure_reason"] == "invalid_request" and message in result["failure_message"], result
    stub_site.requests.clear()
    summary = handle_message({"schema": 1, "garbage": True}, config=worker_config)  # nothing to report to
    assert summary["failure_reason"] == "invalid_request" and stub_site.requests == []


def test_redelivered_past_limit_is_worker_lost(worker_config, stub_site, scorer):
    kwargs = make_request(stub_site, "evalbox-test/busybox", scorer)
    summary = handle_message(kwargs, config=worker_config, delivery_count=transport.DELIVERY_LIMIT - 1)
    result = stub_site.result()
    assert summary["failure_reason"] == "worker_lost"
    assert result["failure_message"] == (f"the submission was delivered {transport.DELIVERY_LIMIT} times and every "
                                         "worker running it died")
    assert stub_site.posts("status") == []  # never ran


def test_cancelled_by_site_stops_container(worker_config, stub_site, scorer, docker_client):
    image = docker_images.busybox_script_image("sleeper", "sleep 60\n")
    stub_site.script("status", 200, 200, 409)  # RUNNING, one heartbeat, then: cancelled
    started = time.monotonic()
    summary = handle_message(make_request(stub_site, image, scorer), config=worker_config)
    assert summary["status"] == "STOPPED"
    assert time.monotonic() - started < 10
    assert stub_site.posts("result") == []
    assert docker_client.containers.list(all=True, filters={"label": f"evalbox.worker={worker_config.worker_id}"}) == []


@pytest.mark.parametrize(("image", "config_changes", "reason", "message"), [
    ("evalbox-test/does-not-exist:1", {}, "image_not_found", "pull policy is 'never'"),
    ("ghcr.io/team/model:1", {"allowed_registries": ("docker.io",)}, "image_not_allowed", "not allowed by this worker"),
    ("evalbox-test/busybox", {"max_image_mb": 1}, "image_too_large", "at most 1 MB"),
])
def test_image_problems(worker_config, stub_site, scorer, busybox, image, config_changes, reason, message):
    config = dataclasses.replace(worker_config, **config_changes)
    summary = handle_message(make_request(stub_site, image, scorer), config=config)
    result = stub_site.result()
    assert summary["failure_reason"] == reason
    assert message in result["failure_message"], result["failure_message"]


def test_request_registries_are_enforced(worker_config, stub_site, scorer):
    kwargs = make_request(stub_site, "evalbox-test/busybox", scorer, allowed_registries=["registry.example.org"])
    handle_message(kwargs, config=worker_config)
    result = stub_site.result()
    assert result["failure_reason"] == "image_not_allowed" and "by the competition" in result["failure_message"]


def test_results_upload_is_scored_without_participant_container(worker_config, stub_site, scorer):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.txt", "42\n7\n")
    data = buffer.getvalue()
    url = stub_site.add_file(protocol.PREDICTIONS_PATH, data)
    kwargs = make_request(stub_site, "", scorer, reference_files={"answer.txt": b"42\n"}, predictions_url=url,
                          predictions_sha256=sha256(data))
    summary = handle_message(kwargs, config=worker_config)
    result = stub_site.result()
    assert summary["status"] == "FINISHED", summary
    assert result["scores"] == {"lines": 2.0, "matches": 1.0}
    assert result["exit_code"] is None and "participant_run" not in result["timings"]


def test_input_sha_mismatch_is_data_error(worker_config, stub_site, scorer):
    kwargs = make_request(stub_site, "evalbox-test/busybox", scorer, input_files={"a.txt": b"a"})
    stub_site.files[protocol.INPUT_DATA_PATH] += b"tampered"
    handle_message(kwargs, config=worker_config)
    result = stub_site.result()
    assert result["failure_reason"] == "data_error" and "sha256 does not match" in result["failure_message"]
    assert len([r for r in stub_site.all(protocol.INPUT_DATA_PATH)]) == 2  # fetched once more


def test_gpu_phase_on_worker_without_gpu(worker_config, stub_site, scorer):
    image = docker_images.busybox_script_image("predict", PREDICT)
    handle_message(make_request(stub_site, image, scorer, limits={"gpus": 1}), config=worker_config)
    result = stub_site.result()
    assert result["failure_reason"] == "gpu_unavailable" and "EVALBOX_GPUS" in result["failure_message"]
    stub_site.requests.clear()
    config = dataclasses.replace(worker_config, gpus=("0",))
    handle_message(make_request(stub_site, image, scorer, limits={"gpus": 1}), config=config)
    result = stub_site.result()
    assert result["failure_reason"] == "gpu_unavailable" and "NVIDIA runtime" in result["failure_message"]


def test_gpu_device_request_at_sdk_boundary(worker_config, stub_site, scorer, mocker):
    """With an NVIDIA runtime (mocked in ``info``) the container asks for exactly the slot's GPU."""
    config = dataclasses.replace(worker_config, gpus=("0", "1"))
    real_info = docker.DockerClient.info
    mocker.patch.object(docker.DockerClient, "info", autospec=True,
                        side_effect=lambda self: {**real_info(self), "Runtimes": {"runc": {}, "nvidia": {}}})
    real_create = ContainerCollection.create
    seen: list[dict] = []

    def create(self, image=None, command=None, **kwargs):
        seen.append(dict(kwargs))
        kwargs.pop("device_requests", None)  # no GPU here: run the rest for real
        return real_create(self, image, command, **kwargs)

    mocker.patch.object(ContainerCollection, "create", autospec=True, side_effect=create)
    image = docker_images.busybox_script_image("predict", PREDICT)
    summary = handle_message(make_request(stub_site, image, scorer, limits={"gpus": 1}), config=config)
    assert summary["status"] == "FINISHED", summary
    participant, scoring = seen
    (request,) = participant["device_requests"]
    assert request["Driver"] == "nvidia" and request["DeviceIDs"] == ["0"] and request["Capabilities"] == [["gpu"]]
    assert "device_requests" not in scoring  # the scorer never gets a GPU


def test_site_client_retry_and_errors(stub_site):
    client = SiteClient(stub_site.api_url, stub_site.token, retries=3, budget_s=10, base_delay_s=0.01)
    stub_site.script("logs", 500, 500, 200)
    client.logs(protocol.LogReport(stream="participant", text="x"))
    assert [r.status for r in stub_site.all("logs")] == [500, 500, 200]
    stub_site.script("status", 409)
    with pytest.raises(SubmissionGone):
        client.status(protocol.StatusReport(status=protocol.Status.RUNNING))
    stub_site.script("result", 400)
    with pytest.raises(SiteError, match="refused the request \\(400\\)"):
        client.result(protocol.ResultReport(status=protocol.Status.FAILED,
                                             failure_reason=protocol.FailureReason.WORKER_ERROR))
    assert len(stub_site.all("result")) == 1  # 4xx: no retry
    stub_site.script("result", 503, 503, 503, 503, 503)
    with pytest.raises(SiteError, match="after 4 attempt"):
        client.result(protocol.ResultReport(status=protocol.Status.FAILED,
                                            failure_reason=protocol.FailureReason.WORKER_ERROR))
    dead = SiteClient("http://127.0.0.1:9/", "t", retries=2, budget_s=5, base_delay_s=0.01)
    with pytest.raises(SiteError, match="ConnectionError"):
        dead.status(protocol.StatusReport(status=protocol.Status.RUNNING))
