"""The worker pulls from the real registry with real Docker: tokens, pinned digests, safe pulls.

Each test pushes with ``docker push`` as a participant, submits through the site's API (which
pins the digest) and runs the dispatch's request on an in-process worker that reports to the
live site.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import threading
import time

import pytest

from competition.actions import rerun_submission
from competition.dispatch import build_run_request
from competition.models import Submission
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.registry_jobs import run_on_worker
from tests.helpers.registry_proxy import registry_proxy
from tests.helpers.timing import wait_for

ENV_DUMP = "env\ncat /proc/self/environ | tr '\\0' '\\n'\necho 1 > /mnt/out/predictions.txt\n"


@pytest.fixture
def two_versions(docker_client) -> tuple[str, str]:
    """Two images of one program: ``version one`` and ``version two``."""
    return (docker_images.unique_image("pull-one", "echo version one\necho 1 > /mnt/out/predictions.txt\n"),
            docker_images.unique_image("pull-two", "echo version two\necho 1 > /mnt/out/predictions.txt\n"))


def test_a_platform_image_runs_with_a_pull_token_that_reaches_no_container_log_or_report(
        push_as, submit, cast, pull_config, caplog, platform_registry):
    image = docker_images.unique_image("pull-env", ENV_DUMP)
    reference = push_as("pat")(image, "model:env")
    submission = submit("pat", reference)
    assert submission.image_pinned.startswith(f"{platform_registry.host}/cats/pat/model@sha256:")
    caplog.set_level(logging.DEBUG)
    summary = run_on_worker(submission, pull_config)
    submission.refresh_from_db()
    assert summary["status"] == "FINISHED", summary
    assert submission.image_digest == submission.image_pinned
    assert "version" not in submission.participant_log and "HOME=/tmp" in submission.participant_log
    report = json.dumps({k: getattr(submission, k) for k in ("participant_log", "scoring_log", "failure_message",
                                                             "status_message", "image_labels", "timings")})
    for secret in ("eyJ", cast["pat"].token, "registrytoken", "Bearer"):  # a JWT starts with eyJ
        assert secret not in report
        assert secret not in caplog.text


def test_a_tag_pushed_again_after_the_submission_still_runs_the_submitted_digest(
        push_as, submit, cast, pull_config, two_versions):
    push = push_as("pat")
    reference = push(two_versions[0], "model:v1")
    submission = submit("pat", reference)
    push(two_versions[1], "model:v1")  # the tag moves on before any worker pulls
    assert run_on_worker(submission, pull_config)["status"] == "FINISHED"
    submission.refresh_from_db()
    assert "version one" in submission.participant_log
    again = submit("pat", reference)
    assert run_on_worker(again, pull_config)["status"] == "FINISHED"
    assert "version two" in Submission.objects.get(pk=again.pk).participant_log


def test_a_second_submission_of_the_same_digest_downloads_nothing(push_as, submit, cast, pull_config,
                                                                  platform_registry, two_versions):
    reference = push_as("pat")(two_versions[0], "model:same")
    first = submit("pat", reference)
    assert run_on_worker(first, pull_config)["status"] == "FINISHED"
    fetched = platform_registry.blob_gets("cats/pat/model")
    assert fetched  # the first run pulled the layers
    second = submit("pat", reference)
    assert run_on_worker(second, pull_config)["status"] == "FINISHED"
    assert platform_registry.blob_gets("cats/pat/model") == fetched


def test_an_image_elsewhere_is_pinned_by_its_first_run_and_a_rerun_runs_that_digest(
        push_as, submit, cast, pull_config, platform_registry, tmp_path, two_versions):
    """``localhost:<port>`` is the same registry under a name the site does not know: an outside registry."""
    push = push_as("pat")
    push(two_versions[0], "outside:v1")
    auth_file = tmp_path / "auth.json"
    pat = cast["pat"]
    credentials = base64.b64encode(f"{pat.username}:{pat.token}".encode()).decode()
    outside = f"localhost:{platform_registry.port}"
    auth_file.write_text(json.dumps({"auths": {outside: {"auth": credentials}}}))
    # A loopback registry: the worker's operator allows it by name (else the address guard refuses it).
    pull_config = dataclasses.replace(pull_config, trusted_registries=(outside,))
    submission = submit("pat", f"{outside}/cats/pat/outside:v1")
    assert submission.image_pinned == ""
    anonymous = run_on_worker(submission, pull_config)
    assert anonymous["failure_reason"] == "image_unauthorized", anonymous
    rerun_submission(submission.pk)
    config = dataclasses.replace(pull_config, registry_auth_file=str(auth_file))
    assert run_on_worker(submission, config)["status"] == "FINISHED"
    submission.refresh_from_db()
    assert submission.image_pinned.startswith(f"{outside}/cats/pat/outside@sha256:")
    push(two_versions[1], "outside:v1")
    rerun_submission(submission.pk)
    assert run_on_worker(submission, config)["status"] == "FINISHED"
    submission.refresh_from_db()
    assert "version one" in submission.participant_log


def test_an_oversized_image_is_refused_before_any_blob_is_fetched(push_as, submit, cast, pull_config,
                                                                   platform_registry, docker_client):
    big = docker_images.unique_image("pull-big", "echo big\n", noise_mb=3)
    reference = push_as("pat")(big, "big:v1")
    submission = submit("pat", reference)
    summary = run_on_worker(submission, dataclasses.replace(pull_config, max_image_mb=2))
    assert summary["failure_reason"] == "image_too_large", summary
    assert "compressed; this worker accepts at most 2 MB. Nothing was downloaded." in summary["message"]
    assert platform_registry.blob_gets("cats/pat/big") == []


def test_a_stalled_registry_ends_as_a_pull_timeout_with_progress_reported(
        push_as, submit, cast, pull_config, platform_registry, settings, docker_client):
    image = docker_images.unique_image("pull-stall", "echo stall\n", noise_mb=2)
    push_as("pat")(image, "stall:v1")
    with registry_proxy(platform_registry.port) as proxy:
        settings.EVALBOX_REGISTRY = proxy.host  # the site and the workers see the registry through the proxy
        submission = submit("pat", f"{proxy.host}/cats/pat/stall:v1")
        proxy.stall()
        outcome: dict = {}
        config = dataclasses.replace(pull_config, pull_timeout_s=6)
        worker = threading.Thread(target=lambda: outcome.update(run_on_worker(submission, config)))
        started = time.monotonic()
        worker.start()
        wait_for(lambda: Submission.objects.get(pk=submission.pk).status_message.startswith("Pulling image: "), 30,
                 "a progress message")
        message = Submission.objects.get(pk=submission.pk).status_message
        worker.join(60)
        elapsed = time.monotonic() - started
        assert proxy.stalled, "no blob download was stalled"
    assert outcome["failure_reason"] == "image_pull_timeout", outcome
    assert "took longer than 6 s" in outcome["message"] and "the pull was stopped" in outcome["message"]
    assert elapsed < 6 + 15  # the pull's own limit, not the phase's 600 s
    assert message.endswith(" MB") and " of " in message
    submission.refresh_from_db()
    assert submission.failure_reason == "image_pull_timeout" and submission.duration_s is None


def test_a_pull_token_the_site_refuses_fails_as_access_denied(push_as, submit, pull_config, small_image):
    submission = submit("pat", push_as("pat")(small_image, "model:refused"))
    Submission.objects.filter(pk=submission.pk).update(image_pinned="")  # the site no longer knows the pin
    submission.refresh_from_db()
    token = submission.new_token()
    submission.save(update_fields=["token_hash"])
    request = build_run_request(submission, token)
    kwargs = {**request.to_kwargs(), "pull_token_url": request.api_url + "registry-token"}
    summary = handle_message(kwargs, config=pull_config)
    assert summary["failure_reason"] == "image_unauthorized", summary
    assert "The site gave no pull token for the image" in summary["message"]
    assert "not in the platform registry" in summary["message"]
