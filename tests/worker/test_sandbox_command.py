"""``python -m compute_worker sandbox-command``: the docs' ``docker run`` lines come from the sandbox itself.

The translation is checked key by key, the docs' quoted blocks are regenerated and compared,
and the printed command is run and created on the real Docker engine: Docker accepts it, and
the container it makes is confined exactly like the one the worker creates from
``sandbox.container_kwargs``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from compute_worker import protocol, sandbox
from compute_worker.__main__ import main
from compute_worker.docker_cli import Untranslatable, docker_run_command, docker_run_options
from tests.helpers import docker_images

ROOT = Path(__file__).resolve().parents[2]
#: ``<!-- generated: python -m compute_worker sandbox-command ARGS -->`` and the ```sh block right after it.
GENERATED = re.compile(r"<!-- generated: python -m compute_worker sandbox-command(?P<args>[^\n]*?) -->\n"
                       r"```sh\n(?P<block>.*?)\n```", re.DOTALL)
#: The documents that quote the command, and how many blocks each quotes.
QUOTING = {"docs/participants.md": 1, "docs/organizers.md": 2, "examples/README.md": 2}


def sandbox_command(args: list[str]) -> str:
    """What ``python -m compute_worker sandbox-command ARGS`` prints (in this process)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["sandbox-command", *args]) == 0
    return out.getvalue()


def kwargs_for(config, **limits) -> dict:  # noqa: ANN001
    return sandbox.container_kwargs(protocol.Limits(**limits), image="img", config=config, submission_id=3,
                                    role="participant", mounts=[sandbox.BindMount("/data/in", "/mnt/in"),
                                                                sandbox.BindMount("/data/out", "/mnt/out", False)],
                                    gpu_ids=["0", "1"])


@pytest.mark.parametrize("document", sorted(QUOTING))
def test_the_docs_quote_the_command_as_it_prints_today(document: str) -> None:
    text = (ROOT / document).read_text()
    blocks = list(GENERATED.finditer(text))
    assert len(blocks) == QUOTING[document], f"{document}: generated blocks missing or added"
    for match in blocks:
        expected = sandbox_command(shlex.split(match["args"])).rstrip("\n")
        assert match["block"] == expected, (
            f"{document} quotes an outdated sandbox command; replace the block after\n"
            f"<!-- generated: python -m compute_worker sandbox-command{match['args']} -->\nwith:\n{expected}")


def test_no_other_document_keeps_a_hand_copy() -> None:
    documents = [p for p in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("examples/**/*.md")]
                 if p.is_file()]
    hand_copies = [str(p.relative_to(ROOT)) for p in documents
                   if "--security-opt no-new-privileges" in GENERATED.sub("", p.read_text())]
    assert hand_copies == []


def test_every_option_of_the_sandbox_is_translated(worker_config) -> None:
    kwargs = kwargs_for(dataclasses.replace(worker_config, runtime="runsc"), memory_mb=512, cpus=1.25, pids=64,
                        gpus=2, output_max_mb=10)
    assert docker_run_options(kwargs) == [
        ("--rm",), ("--network", "none"), ("--user", "65534:65534"), ("--cap-drop", "ALL"),
        ("--security-opt", "no-new-privileges"), ("--read-only",),
        ("--tmpfs", f"/tmp:rw,nosuid,nodev,size={256 << 20},mode=1777"), ("--env", "HOME=/tmp"),
        ("--volume", "/data/in:/mnt/in:ro"), ("--volume", "/data/out:/mnt/out"),
        ("--memory", "512m"), ("--memory-swap", "512m"), ("--cpus", "1.25"),
        ("--pids-limit", str(sandbox.RUNSC_PIDS_FLOOR)), ("--ipc", "private"), ("--hostname", "sandbox"),
        ("--runtime", "runsc"), ("--ulimit", "nofile=4096:4096"), ("--ulimit", "core=0:0"),
        ("--ulimit", f"fsize={10 << 20}:{10 << 20}"), ("--ulimit", "nproc=64:64"),
        ("--log-driver", "json-file"), ("--log-opt", "max-size=20m"), ("--log-opt", "max-file=1"),
        ("--gpus", 'driver=nvidia,"device=0,1"'),
    ]
    assert docker_run_command(kwargs).endswith(" \\\n  --gpus 'driver=nvidia,\"device=0,1\"' \\\n  img")
    one_gpu = sandbox.container_kwargs(protocol.Limits(gpus=1, memory_mb=100), image="img", mounts=[],
                                       config=worker_config, submission_id=3, role="participant", gpu_ids=["7"])
    assert ("--gpus", "driver=nvidia,device=7") in docker_run_options(one_gpu)
    assert ("--tmpfs", f"/tmp:rw,nosuid,nodev,size={100 << 20},mode=1777") in docker_run_options(one_gpu)


def test_an_unknown_option_fails_loudly(worker_config) -> None:
    kwargs = kwargs_for(worker_config)
    with pytest.raises(Untranslatable, match="'oom_kill_disable'.*add it to TRANSLATIONS"):
        docker_run_options({**kwargs, "oom_kill_disable": True})
    with pytest.raises(Untranslatable, match="detach"):
        docker_run_options({**kwargs, "detach": False})
    volume = docker.types.Mount(target="/mnt/in", source="cache", type="volume")
    with pytest.raises(Untranslatable, match="only bind mounts"):
        docker_run_options({**kwargs, "mounts": [volume]})
    with pytest.raises(Untranslatable, match="device_requests: --gpus expresses GPU ids"):
        docker_run_options({**kwargs, "device_requests": [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]],
                                                                                      options={"x": "y"})]})
    with pytest.raises(Untranslatable, match="no image"):
        docker_run_command({key: value for key, value in kwargs.items() if key != "image"})


def test_the_command_checks_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in ((["--memory-mb", "0"], "limits.memory_mb"), (["--bind", "/x:/etc"], "under /mnt"),
                          (["--user", "0:0"], "must not be root"), (["--bind", "nocolon"], "SOURCE:TARGET")):
        with pytest.raises(SystemExit) as exit_info:
            main(["sandbox-command", *args])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    scorer = sandbox_command(["--role", "scoring", "--gpus", "1"])
    assert "--gpus" not in scorer and '--volume "$PWD/reference:/mnt/reference:ro"' in scorer  # never a GPU
    assert "--time-limit-s" not in sandbox_command(["--time-limit-s", "5"])


def _confinement(attrs: dict) -> dict:
    """The settings of an inspected container that confine it (labels, names and auto-removal aside)."""
    host, config = attrs["HostConfig"], attrs["Config"]
    keys = ("NetworkMode", "CapDrop", "CapAdd", "SecurityOpt", "Privileged", "ReadonlyRootfs", "Tmpfs", "Memory",
            "MemorySwap", "NanoCpus", "PidsLimit", "IpcMode", "Runtime", "Ulimits", "LogConfig", "DeviceRequests")
    return {**{key: host.get(key) for key in keys}, "User": config["User"], "Env": sorted(config["Env"]),
            "Ulimits": sorted(host["Ulimits"], key=lambda u: u["Name"]),  # the CLI sorts them by name
            "Hostname": config["Hostname"], "Image": config["Image"],
            "Mounts": sorted((m["Source"], m["Destination"], m["RW"]) for m in attrs["Mounts"])}


@pytest.mark.docker
@pytest.mark.parametrize("runtime", ["runc", "runsc"])
def test_docker_runs_the_printed_command(docker_client, worker_config, busybox, tmp_path, runtime) -> None:
    if runtime not in (docker_client.info().get("Runtimes") or {}):
        pytest.skip(f"the Docker engine has no {runtime} runtime")
    image = docker_images.busybox_script_image("sandbox-command", (
        'echo "uid=$(id -u) host=$(hostname) home=$HOME"\n'
        "cat /mnt/in/question.txt\n"
        "touch /mnt/in/x 2>/dev/null && echo write-in: ok || echo write-in: failed\n"
        "touch /evil 2>/dev/null && echo write-root: ok || echo write-root: failed\n"
        "echo 42 > /mnt/out/predictions.txt\n"))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "question.txt").write_text("what?\n")
    (tmp_path / "out").mkdir(mode=0o777)
    (tmp_path / "out").chmod(0o777)
    args = ["--memory-mb", "64", "--pids", "64", "--output-max-mb", "8", "--runtime", runtime, "--image", image]
    command = subprocess.run([sys.executable, "-m", "compute_worker", "sandbox-command", *args], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    ran = subprocess.run(["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["uid=65534 host=sandbox home=/tmp", "what?", "write-in: failed",
                                       "write-root: failed"]
    assert (tmp_path / "out" / "predictions.txt").read_text() == "42\n"
    # The same line as `docker create`, inspected beside the worker's own container of the same kwargs.
    created = subprocess.run(["sh", "-c", command.replace("docker run", "docker create", 1)], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    config = dataclasses.replace(worker_config, runtime=runtime)
    mounts = [sandbox.BindMount(str(tmp_path / "in"), "/mnt/in"), sandbox.BindMount(str(tmp_path / "out"),
                                                                                    "/mnt/out", False)]
    worker = docker_client.containers.create(**sandbox.container_kwargs(
        protocol.Limits(memory_mb=64, pids=64, output_max_mb=8), image=image, mounts=mounts, config=config,
        submission_id=1, role="participant"))
    by_cli = docker_client.containers.get(created)
    try:
        assert _confinement(by_cli.attrs) == _confinement(worker.attrs)
    finally:
        by_cli.remove(force=True)
        worker.remove(force=True)
