"""One Docker client per worker process, not one per job (real Docker)."""

from __future__ import annotations

import os

import docker
import pytest

from compute_worker import docker_client
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request

pytestmark = pytest.mark.docker


def test_jobs_share_the_process_client(worker_config, stub_site: StubSite, scorer, mocker):
    image = docker_images.busybox_script_image("quick-shared-client", "echo 1 > /mnt/out/answer.txt\n")
    docker_client.process_client()
    connect = mocker.spy(docker, "from_env")
    waits = mocker.spy(docker.models.containers.Container, "wait")  # a call every run makes: the spies see calls
    for _ in range(2):
        assert handle_message(make_request(stub_site, image, scorer), config=worker_config)["status"] == "FINISHED"
    assert connect.call_count == 0, "the process's client was made before: no job connects again"
    assert waits.call_count >= 4  # two containers per job


def test_the_architecture_is_asked_once_per_engine(mocker):
    client = docker_client.process_client()
    docker_client._architectures.clear()  # as in a new process
    asked = mocker.spy(client, "info")
    machine = os.uname().machine
    assert [docker_client.architecture(client) for _ in range(3)] == [{"x86_64": "amd64",
                                                                       "aarch64": "arm64"}.get(machine, machine)] * 3
    assert asked.call_count == 1


def test_a_forked_process_makes_its_own_client():
    inherited = docker_client.process_client()
    child = os.fork()
    if child == 0:  # the child: a client of its own, which answers
        own = docker_client.process_client()
        os._exit(0 if own is not inherited and own.ping() else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert docker_client.process_client() is inherited
