"""Each sandbox control, tested by a container that tries to break it (real Docker)."""

from __future__ import annotations

import dataclasses
import ipaddress
import time

import docker
import pytest

from compute_worker import protocol, runner, sandbox
from compute_worker.classification import classify_run
from compute_worker.config import WorkerConfig
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.sandbox_runs import run_script
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request

pytestmark = pytest.mark.docker


def labelled(client: docker.DockerClient, config: WorkerConfig) -> list:
    """Containers of this test worker still present."""
    return client.containers.list(all=True, filters={"label": f"{sandbox.LABEL_WORKER}={config.worker_id}"})


def test_no_network_only_loopback(docker_client, worker_config, busybox, stub_site: StubSite):
    ipam = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]
    gateway = ipam.get("Gateway") or str(next(ipaddress.ip_network(ipam["Subnet"]).hosts()))
    port = stub_site.server.server_address[1]
    outcome = run_script(docker_client, worker_config, "attack-network", f"""
echo "ifaces: $(ls /sys/class/net | tr '\\n' ' ')"
if nc -w 2 {gateway} {port} </dev/null; then echo "tcp-gateway: connected"; else echo "tcp-gateway: failed"; fi
if nc -w 2 127.0.0.1 {port} </dev/null; then echo "tcp-loopback: connected"; else echo "tcp-loopback: failed"; fi
if nslookup evalbox.test 127.0.0.1 2>/dev/null | grep -q Address; then echo "dns: ok"; else echo "dns: failed"; fi
""")
    assert outcome.exit_code == 0, outcome
    assert "ifaces: lo \n" in outcome.log
    assert "tcp-gateway: failed" in outcome.log
    assert "tcp-loopback: failed" in outcome.log  # the container's loopback is its own
    assert "dns: failed" in outcome.log
    assert stub_site.requests == []  # nothing reached the site


def test_not_root_no_capabilities_read_only(docker_client, worker_config, busybox, tmp_path):
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    (input_dir / "data.txt").write_text("input")
    out_dir = tmp_path / "out"
    out_dir.mkdir(mode=0o777)
    out_dir.chmod(0o777)
    outcome = run_script(docker_client, worker_config, "attack-identity", """
echo "uid=$(id -u) gid=$(id -g)"
grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status
touch /mnt/in/x 2>/dev/null && echo "write-in: ok" || echo "write-in: failed"
rm /mnt/in/data.txt 2>/dev/null && echo "rm-in: ok" || echo "rm-in: failed"
touch /evil 2>/dev/null && echo "write-root: ok" || echo "write-root: failed"
touch /bin/evil 2>/dev/null && echo "write-bin: ok" || echo "write-bin: failed"
touch /tmp/x && echo "write-tmp: ok" || echo "write-tmp: failed"
echo out > /mnt/out/o && echo "write-out: ok" || echo "write-out: failed"
chown 0 /tmp/x 2>/dev/null && echo "chown: ok" || echo "chown: failed"
echo "home=$HOME"
env | sort
""", mounts=[sandbox.BindMount(str(input_dir), "/mnt/in", True), sandbox.BindMount(str(out_dir), "/mnt/out", False)])
    log = outcome.log
    assert outcome.exit_code == 0, outcome
    assert "uid=65534 gid=65534" in log
    for cap in ("CapEff", "CapPrm", "CapBnd"):
        assert f"{cap}:\t0000000000000000" in log
    assert "NoNewPrivs:\t1" in log
    for attempt in ("write-in", "rm-in", "write-root", "write-bin", "chown"):
        assert f"{attempt}: failed" in log
    assert "write-tmp: ok" in log and "write-out: ok" in log
    assert "home=/tmp" in log
    assert (input_dir / "data.txt").read_text() == "input"
    lines = log.splitlines()
    env_names = {line.split("=", 1)[0] for line in lines[lines.index("home=/tmp") + 1:]}  # the `env | sort` listing
    assert {"HOME", "PATH"} <= env_names, log
    assert not any("TOKEN" in name or "EVALBOX" in name or "CELERY" in name for name in env_names)


def test_tmp_is_size_limited(docker_client, worker_config, busybox):
    limits = protocol.Limits(time_limit_s=20, memory_mb=32, pids=64, log_max_kb=16)
    outcome = run_script(docker_client, worker_config, "attack-tmp",
                         "head -c 64m /dev/zero > /tmp/fill; echo rc=$?; ls -l /tmp/fill\n", limits=limits)
    assert "No space left on device" in outcome.log or outcome.oom_killed
    assert "64m" not in outcome.log and "67108864" not in outcome.log


def test_memory_limit_reported_as_out_of_memory(docker_client, worker_config, busybox, stub_site, scorer):
    # `tail` keeps a whole line in memory: one 1 GB line without newlines balloons.
    image = docker_images.busybox_script_image("attack-memory", "head -c 1000m /dev/zero | tail -n 1 >/dev/null\n")
    kwargs = make_request(stub_site, image, scorer, limits={"memory_mb": 48})
    summary = handle_message(kwargs, config=worker_config)
    result = stub_site.result()
    assert summary["failure_reason"] == "out_of_memory", summary
    assert result["status"] == "FAILED" and result["failure_reason"] == "out_of_memory"
    assert "out of memory" in result["failure_message"] and "48 MB" in result["failure_message"]


def test_fork_past_pids_limit_fails(docker_client, worker_config, busybox):
    limits = protocol.Limits(time_limit_s=20, memory_mb=128, pids=16, log_max_kb=64)
    outcome = run_script(docker_client, worker_config, "attack-fork", """
i=0
while [ $i -lt 60 ]; do echo "spawn $i"; sleep 5 & i=$((i+1)); done
echo "loop done"
""", limits=limits)
    assert "can't fork" in outcome.log or "Resource temporarily unavailable" in outcome.log, outcome.log[:2000]
    # The shell gave up at the first failed fork: at most 16 processes (the shell and 15 sleeps).
    assert "loop done" not in outcome.log
    spawned = outcome.log.count("spawn ")
    assert 8 <= spawned <= 16, outcome.log[:2000]


def test_time_limit_kills_and_container_is_gone(docker_client, worker_config, busybox, stub_site, scorer):
    image = docker_images.busybox_script_image("attack-sleep", "trap '' TERM; echo sleeping; sleep 600\n")
    kwargs = make_request(stub_site, image, scorer, limits={"time_limit_s": 2})
    started = time.monotonic()
    summary = handle_message(kwargs, config=worker_config)
    elapsed = time.monotonic() - started
    assert summary["failure_reason"] == "time_limit", summary
    assert elapsed < 2 + 4, elapsed
    assert labelled(docker_client, worker_config) == []
    result = stub_site.result()
    assert "time limit of 2 s" in result["failure_message"]
    assert result["participant_log"].startswith("sleeping")
    heartbeats = [b for b in stub_site.posts("status") if b["status"] == "RUNNING"]
    assert len(heartbeats) >= 3  # RUNNING + heartbeats every 0.5 s
    assert max(b["elapsed_s"] for b in heartbeats) >= 1.0


def test_log_flood_is_capped(docker_client, worker_config, busybox):
    limits = protocol.Limits(time_limit_s=20, memory_mb=128, pids=64, log_max_kb=8)
    outcome = run_script(docker_client, worker_config, "attack-logs",
                         "echo FIRST-LINE; yes 'flood flood flood' | head -c 10000000; echo; echo LAST-LINE\n",
                         limits=limits)
    assert outcome.exit_code == 0
    assert outcome.log_truncated
    assert outcome.log.startswith("FIRST-LINE")
    assert outcome.log.rstrip().endswith("LAST-LINE")
    assert "bytes of log omitted by evalbox" in outcome.log
    assert len(outcome.log) < 8 * 1024 + 200


def test_output_over_cap(docker_client, worker_config, busybox, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out_dir.chmod(0o777)
    limits = protocol.Limits(time_limit_s=20, memory_mb=128, pids=64, output_max_mb=4)
    many = run_script(docker_client, worker_config, "attack-output",
                      "for i in 1 2 3; do head -c 3m /dev/zero > /mnt/out/f$i; done; sleep 3\n",
                      limits=limits, mounts=[sandbox.BindMount(str(out_dir), "/mnt/out", False)], output_dir=out_dir)
    assert many.output_exceeded
    for leftover in out_dir.iterdir():
        leftover.unlink()
    single = run_script(docker_client, worker_config, "attack-output-one", "head -c 9m /dev/zero > /mnt/out/big\n",
                        limits=limits, mounts=[sandbox.BindMount(str(out_dir), "/mnt/out", False)],
                        output_dir=out_dir)
    # The fsize ulimit stopped the write at the cap: SIGXFSZ, classified as the output cap.
    assert single.exit_code == 153, single
    failure = classify_run(single, limits=limits, runtime=worker_config.runtime, scoring=False)
    assert failure is not None and failure.reason == protocol.FailureReason.OUTPUT_TOO_LARGE
    assert (out_dir / "big").stat().st_size <= 4 << 20


def test_reference_data_hidden_and_env_clean(docker_client, worker_config, busybox, stub_site, scorer):
    image = docker_images.busybox_script_image("attack-reference", """
ls -laR /mnt
find / -path /proc -prune -o -path /sys -prune -o -name 'answer*' -print 2>/dev/null
grep -r SECRET-ANSWER /mnt /tmp /etc 2>/dev/null | head -n 3
env
echo attempt > /mnt/out/predictions.txt
""")
    kwargs = make_request(stub_site, image, scorer, input_files={"public.txt": b"public"},
                          reference_files={"answer.txt": b"SECRET-ANSWER\n"})
    summary = handle_message(kwargs, config=worker_config)
    assert summary["status"] == "FINISHED", summary
    log = stub_site.result()["participant_log"]
    assert "public.txt" in log
    assert "SECRET-ANSWER" not in log and "answer.txt" not in log
    assert stub_site.token not in log and "127.0.0.1" not in log


def test_symlink_and_special_files_in_output_not_followed(docker_client, worker_config, busybox, stub_site,
                                                          tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("HOST-SECRET\n")
    participant = docker_images.busybox_script_image("attack-symlink", f"""
ln -s {secret} /mnt/out/predictions.txt
ln -s / /mnt/out/root
ln -s {tmp_path} /mnt/out/hostdir
mkfifo /mnt/out/fifo
mkdir /mnt/out/sub && echo fine > /mnt/out/sub/real.txt
echo '{{"lines": 1000000}}' > /mnt/out/scores.json
""")
    scorer = docker_images.scoring_image("scorer-dump", """
ls -laR /mnt/predictions
cat /mnt/predictions/predictions.txt /mnt/predictions/hostdir/host-secret.txt /mnt/predictions/root/etc/hostname
printf '{"files": %s}' "$(find /mnt/predictions -type f | wc -l)" > /mnt/out/scores.json
""")
    summary = handle_message(make_request(stub_site, participant, scorer), config=worker_config)
    result = stub_site.result()
    assert summary["status"] == "FINISHED", summary
    # Only the two regular files were copied (sub/real.txt and the forged scores.json) ...
    assert result["scores"] == {"files": 2.0}
    # ... the forged scores had no effect, and no link was followed to the host.
    assert "HOST-SECRET" not in result["scoring_log"]
    assert "fifo" not in result["scoring_log"]
    assert secret.read_text() == "HOST-SECRET\n"


def test_runsc_pids_floor_and_silent_exit_is_a_runtime_error(worker_config):
    config = dataclasses.replace(worker_config, runtime="runsc")
    kwargs = sandbox.container_kwargs(protocol.Limits(pids=64), image="x", mounts=[], config=config,
                                      submission_id=1, role="participant")
    assert kwargs["runtime"] == "runsc"
    assert kwargs["pids_limit"] >= sandbox.RUNSC_PIDS_FLOOR
    runc = sandbox.container_kwargs(protocol.Limits(pids=64), image="x", mounts=[], config=worker_config,
                                    submission_id=1, role="participant")
    assert runc["pids_limit"] == 64
    from compute_worker.classification import classify_run

    request = protocol.RunRequest(submission_id=1, image="a", scoring_image="b", api_url="http://127.0.0.1:1/",
                                  token="t")
    failure = classify_run(runner.RunOutcome(exit_code=2, duration_s=0.3, log=""), limits=request.limits,
                           runtime=config.runtime, scoring=False)
    assert failure is not None and failure.reason is protocol.FailureReason.RUNTIME_ERROR
    assert "gVisor" in failure.message
    failure = classify_run(runner.RunOutcome(exit_code=2, duration_s=0.3, log=""), limits=request.limits,
                           runtime=worker_config.runtime, scoring=False)
    assert failure is not None and failure.reason is protocol.FailureReason.NON_ZERO_EXIT


def test_sandbox_policy_kwargs(worker_config):
    limits = protocol.Limits(memory_mb=512, cpus=1.5, pids=100, output_max_mb=10)
    kwargs = sandbox.container_kwargs(limits, image="img", config=worker_config, submission_id=42, role="scoring",
                                      mounts=[sandbox.BindMount("/a", "/mnt/in"), sandbox.BindMount("/b", "/mnt/out",
                                                                                                   False)])
    assert kwargs["network_mode"] == "none" and kwargs["privileged"] is False
    assert kwargs["user"] == "65534:65534" and kwargs["cap_drop"] == ["ALL"]
    assert kwargs["security_opt"] == ["no-new-privileges"] and kwargs["read_only"] is True
    assert kwargs["mem_limit"] == kwargs["memswap_limit"] == 512 << 20
    assert kwargs["nano_cpus"] == 1_500_000_000 and kwargs["pids_limit"] == 100
    assert kwargs["tmpfs"]["/tmp"].endswith(f"size={256 << 20},mode=1777")
    assert kwargs["environment"] == {"HOME": "/tmp"}
    assert kwargs["labels"] == {"evalbox.submission": "42", "evalbox.worker": worker_config.worker_id,
                                "evalbox.role": "scoring"}
    assert [(m["Target"], m["ReadOnly"]) for m in kwargs["mounts"]] == [("/mnt/in", True), ("/mnt/out", False)]
    assert "device_requests" not in kwargs
    with pytest.raises(ValueError):
        sandbox.container_kwargs(limits, image="img", config=worker_config, submission_id=1, role="scoring",
                                 mounts=[sandbox.BindMount("/etc", "/etc")])
