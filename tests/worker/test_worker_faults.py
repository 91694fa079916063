"""No silent task death: an error injected at every step of the task still ends in a FAILED report.

Fault injection (pytest-mock): one call of one step raises; every other call runs for real (real
Docker, the stub site on loopback). The submission must be reported FAILED ``worker_error`` with
the error named, and its containers and work directory must be gone.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import docker
import pytest

from compute_worker import runner, sandbox
from compute_worker.job import work_prefix
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request

pytestmark = pytest.mark.docker

#: (module, attribute, which call fails, what it raises): every step of the job and its evaluation.
STEPS = [
    ("compute_worker.job", "DataCache", 1, MemoryError()),
    ("compute_worker.reporter.Reporter", "status", 1, RuntimeError("the RUNNING report broke")),
    ("compute_worker.site_client.SiteClient", "status", 1, RuntimeError("sending RUNNING broke")),  # in the background
    ("compute_worker.data_step", "lease_data", 1, RecursionError("maximum recursion depth exceeded")),
    ("compute_worker.engine.Engine", "resolve", 1, KeyError("Id")),
    ("compute_worker.engine.Engine", "reap_previous", 1, AttributeError("no attribute 'labels'")),
    ("compute_worker.evaluation", "sandbox_directory", 1, OSError(28, "No space left on device")),
    ("compute_worker.sandbox", "container_kwargs", 1, ValueError("a bug in the policy")),
    ("compute_worker.runner", "_wait_for_end", 1, RecursionError("deep")),
    ("compute_worker.followers.Followers", "finish", 1, MemoryError()),
    ("compute_worker.evaluation", "classify_run", 1, TypeError("a bug in the classification")),
    ("compute_worker.outputs", "collect_output", 1, RecursionError("deep output")),
    ("compute_worker.site_client.SiteClient", "logs", 1, MemoryError()),  # the whole log, sent in the background
    ("compute_worker.reporter.Reporter", "status", 2, RuntimeError("the SCORING report broke")),
    ("compute_worker.site_client.SiteClient", "status", 2, RuntimeError("sending SCORING broke")),
    ("compute_worker.reporter.Reporter", "settle", 2, RecursionError("settling broke")),
    ("compute_worker.data_step", "lease_data", 2, MemoryError()),
    ("compute_worker.engine.Engine", "resolve", 2, KeyError("scorer")),
    ("compute_worker.runner", "_wait_for_end", 2, RuntimeError("scorer wait broke")),
    ("compute_worker.outputs", "read_scores", 1, RecursionError("deep scores")),
    ("compute_worker.outputs", "read_detailed_results", 1, UnicodeError("bad bytes")),
    ("compute_worker.trees", "remove_tree", 1, PermissionError(13, "Permission denied")),  # of the work dir
    ("compute_worker.reporter.Reporter", "close", 1, RuntimeError("closing broke")),
    ("compute_worker.reporter.Reporter", "result", 1, RecursionError("result broke")),
    ("compute_worker.engine.Engine", "close", 1, RuntimeError("engine close broke")),
]


def _owner(path: str) -> Any:
    """The module or class ``path`` names."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        module, _, cls = path.rpartition(".")
        return getattr(importlib.import_module(module), cls)


def _inject(mocker: Any, owner: Any, name: str, failing_call: int, error: BaseException) -> None:
    """Make call number ``failing_call`` of ``owner.name`` raise ``error``; every other call is the real one."""
    original = getattr(owner, name)
    calls = [0]

    def step(*args: Any, **kwargs: Any) -> Any:
        if name == "remove_tree" and not Path(args[0]).name.startswith(work_prefix(1)):
            return original(*args, **kwargs)  # the data cache's removals: not the job's step
        calls[0] += 1
        if calls[0] == failing_call:
            raise error
        return original(*args, **kwargs)

    mocker.patch.object(owner, name, autospec=not isinstance(original, type), side_effect=step)


@pytest.mark.parametrize(("where", "name", "call", "error"), STEPS,
                         ids=[f"{w.rsplit('.', 1)[-1]}.{n}#{c}" for w, n, c, _ in STEPS])
def test_an_error_at_any_step_is_reported(where: str, name: str, call: int, error: BaseException, mocker: Any,
                                          worker_config, stub_site: StubSite, scorer: str,
                                          docker_client: docker.DockerClient) -> None:
    image = docker_images.busybox_script_image("predict-faults", "echo 42 > /mnt/out/predictions.txt\n")
    stub_site.script("result", 200, 409)  # like the site: a second result for a final submission is refused
    _inject(mocker, _owner(where), name, call, error)
    kwargs = make_request(stub_site, image, scorer, reference_files={"answer.txt": b"42\n"})
    summary = handle_message(kwargs, config=worker_config)
    results = stub_site.posts("result")
    assert results, "no result was reported"
    first = results[0]
    if first["status"] == "FINISHED":  # the error came after the result was reported: nothing to change
        assert (where, name) in {("compute_worker.engine.Engine", "close")}, first
    else:
        assert first["failure_reason"] == "worker_error", first
        assert type(error).__name__ in first["failure_message"], first
        assert "rerun the submission" in first["failure_message"], first
        assert summary["failure_reason"] == "worker_error", summary
    containers = docker_client.containers.list(all=True, filters={"label": f"{sandbox.LABEL_WORKER}="
                                                                           f"{worker_config.worker_id}"})
    assert containers == []
    work = Path(worker_config.work_dir)
    assert not work.exists() or list(work.iterdir()) == []


def test_reap_skips_a_container_removed_between_listing_and_inspection(docker_client, worker_config, busybox,
                                                                       mocker):
    labels = {sandbox.LABEL_WORKER: worker_config.worker_id, sandbox.LABEL_SUBMISSION: "7"}
    gone, kept = (docker_client.containers.create(busybox, "true", labels=labels) for _ in range(2))
    inspect = docker_client.api.inspect_container

    def removed_first(container_id, *args, **kwargs):
        if container_id == gone.id:  # another cleaner removes it after the engine listed it
            docker_client.api.remove_container(gone.id, force=True)
        return inspect(container_id, *args, **kwargs)

    mocker.patch.object(docker_client.api, "inspect_container", side_effect=removed_first)
    assert runner.reap(docker_client, worker_config.worker_id, 7) == [kept.id]
    assert docker_client.containers.list(all=True, filters={"label": f"{sandbox.LABEL_WORKER}="
                                                                      f"{worker_config.worker_id}"}) == []
