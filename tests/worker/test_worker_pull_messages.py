"""What a refused pull tells people: words to act on, never the engine's text or an infrastructure address."""

from __future__ import annotations

import logging
import re

import docker
import pytest

from compute_worker.failure import ImageProblem
from compute_worker.protocol import FailureReason
from compute_worker.pull import pull_image, pull_refusal

DIGEST = "sha256:" + "0" * 64
R = FailureReason
#: An IPv4 address or a host:port: what a participant must never read.
ADDRESS = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b|:\d{2,5}\b")

ENGINE_TEXTS = [
    pytest.param('Get "https://reg.example/v2/": dial tcp: lookup reg.example on 127.0.0.11:53: no such host', None,
                 R.IMAGE_REGISTRY_UNREACHABLE, id="dns-failure-names-the-worker-dns-server"),
    pytest.param('Get "http://10.0.0.5:5000/v2/": dial tcp 10.0.0.5:5000: connect: connection refused', 500,
                 R.IMAGE_REGISTRY_UNREACHABLE, id="connection-refused"),
    pytest.param("Get https://reg.example/v2/: net/http: TLS handshake timeout", 500,
                 R.IMAGE_REGISTRY_UNREACHABLE, id="tls-timeout"),
    pytest.param("pull access denied for reg.example/a/b, repository does not exist", 404,
                 R.IMAGE_UNAUTHORIZED, id="denied"),
    pytest.param("manifest for reg.example/a/b@sha256:00 not found: manifest unknown", 404,
                 R.IMAGE_NOT_FOUND, id="not-found"),
    pytest.param("failed to register layer: devmapper at 172.17.0.1 is full", 500,
                 R.RUNTIME_ERROR, id="engine-failure-is-not-the-image"),
]


@pytest.mark.parametrize(("text", "status", "reason"), ENGINE_TEXTS)
def test_a_refusal_is_classified_and_its_message_names_no_address(text: str, status: int | None,
                                                                  reason: FailureReason,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="compute_worker.pull"):
        problem = pull_refusal("reg.example/team/model@" + DIGEST, text, status)
    assert problem.reason is reason
    assert ADDRESS.search(problem.message.replace(DIGEST, "")) is None, problem.message
    assert text not in problem.message
    assert text in caplog.text  # the engine's own words stay in the worker log
    assert text in problem.detail  # ... and reach the organizers (the report's failure_detail)


def test_an_unreachable_registry_is_said_so_on_a_real_engine(docker_client: docker.DockerClient,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="compute_worker.pull"), pytest.raises(ImageProblem) as caught:
        pull_image(docker_client, "127.0.0.1:1/team/model", DIGEST, auth_config=None, timeout_s=60, total_bytes=1)
    assert caught.value.reason is R.IMAGE_REGISTRY_UNREACHABLE
    assert "could not be reached" in caught.value.message
    assert "connection refused" not in caught.value.message
    assert "connection refused" in caplog.text
