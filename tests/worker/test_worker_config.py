"""Configuration from the environment, ``compute_worker --check`` and the import rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from compute_worker.config import ConfigError, WorkerConfig, mask_url
from tests.helpers.worker_command import run_check

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_values():
    config = WorkerConfig.from_env({})
    assert config.queues == ("compute-worker",) and config.pull_policy == "if-not-present"
    assert config.sandbox_user == "65534:65534" and config.runtime == "runc" and config.heartbeat_s == 5
    config = WorkerConfig.from_env({"EVALBOX_GPUS": "0,1", "EVALBOX_QUEUES": "a, b", "EVALBOX_SANDBOX_UID": "1000",
                                    "EVALBOX_ALLOWED_REGISTRIES": "Docker.io,ghcr.io", "EVALBOX_RUNTIME": "runsc"})
    assert config.gpus == ("0", "1") and config.concurrency == 2 and config.queues == ("a", "b")
    assert config.sandbox_user == "1000:1000" and config.allowed_registries == ("docker.io", "ghcr.io")
    assert mask_url("amqp://user:secret@host:5672//") == "amqp://user:****@host:5672//"


def test_image_settings(tmp_path):
    config = WorkerConfig.from_env({"EVALBOX_DATA_DIR": str(tmp_path)})
    assert config.pull_timeout_s == 900 and config.image_cache_mb == 51200
    assert config.image_cache_dir == f"{tmp_path}/images" and config.registry_auth_file == ""
    auth = tmp_path / "auth.json"
    auth.write_text("{}")
    config = WorkerConfig.from_env({"EVALBOX_PULL_TIMEOUT_S": "30", "EVALBOX_IMAGE_CACHE_MB": "100",
                                    "EVALBOX_REGISTRY_AUTH_FILE": str(auth),
                                    "EVALBOX_INSECURE_REGISTRIES": "Registry.lan:5000"})
    assert (config.pull_timeout_s, config.image_cache_mb) == (30, 100)
    assert config.registry_auth_file == str(auth) and config.insecure_registries == ("registry.lan:5000",)


def test_the_pool_is_one_process_for_one_job_and_prefork_processes_for_more():
    assert WorkerConfig.from_env({}).celery_pool == "threads"
    assert WorkerConfig.from_env({"EVALBOX_CONCURRENCY": "2"}).celery_pool == "prefork"
    assert WorkerConfig.from_env({"EVALBOX_GPUS": "0,1"}).celery_pool == "prefork"  # a job per GPU
    assert WorkerConfig.from_env({"EVALBOX_POOL": "Prefork"}).celery_pool == "prefork"
    threads = WorkerConfig.from_env({"EVALBOX_POOL": "threads", "EVALBOX_CONCURRENCY": "4"})
    assert threads.celery_pool == "threads" and threads.pool_for(1) == "threads"
    auto = WorkerConfig.from_env({})
    assert (auto.pool_for(1), auto.pool_for(3)) == ("threads", "prefork")
    assert auto.describe()["celery_pool"] == "threads"


@pytest.mark.parametrize(("env", "message"), [
    ({"EVALBOX_POOL": "gevent"}, "EVALBOX_POOL='gevent' is not one of: auto, prefork, threads"),
    ({"EVALBOX_CONCURRENCY": "many"}, "EVALBOX_CONCURRENCY='many' is not an integer"),
    ({"EVALBOX_PULL_POLICY": "sometimes"}, "not one of: always, if-not-present, never"),
    ({"EVALBOX_SANDBOX_UID": "0:0"}, "must not be root"),
    ({"EVALBOX_SANDBOX_UID": "nobody"}, "numeric"),
    ({"EVALBOX_RUNTIME": "kata"}, "runc, runsc"),
    ({"EVALBOX_HEARTBEAT_S": "-1"}, "out of range"),
    ({"EVALBOX_GPUS": "0;rm"}, "not a GPU id"),
    ({"EVALBOX_PULL_TIMEOUT_S": "0"}, "EVALBOX_PULL_TIMEOUT_S=0.0 is out of range"),
    ({"EVALBOX_IMAGE_CACHE_MB": "lots"}, "EVALBOX_IMAGE_CACHE_MB='lots' is not an integer"),
    ({"EVALBOX_REGISTRY_AUTH_FILE": "/nonexistent/auth.json"}, "no such readable file"),
])
def test_bad_values_are_clear_errors(env, message):
    with pytest.raises(ConfigError, match=message):
        WorkerConfig.from_env(env)


@pytest.mark.docker
def test_check_ok():
    done = run_check(CELERY_BROKER_URL="amqp://guest:hunter2@127.0.0.1:5672//")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "docker: OK, engine" in done.stdout and "gpu runtime: absent" in done.stdout
    assert "runtimes: " in done.stdout and "check: OK" in done.stdout
    assert "hunter2" not in done.stdout and "guest:****@" in done.stdout


@pytest.mark.docker
def test_check_reports_missing_gpu_runtime_and_bad_config():
    done = run_check(EVALBOX_GPUS="0,1")
    assert done.returncode == 1
    assert "PROBLEM: EVALBOX_GPUS=0,1 but the Docker engine has no NVIDIA runtime" in done.stdout
    done = run_check(EVALBOX_PULL_POLICY="sometimes")
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert "configuration: ERROR: EVALBOX_PULL_POLICY" in done.stdout
    done = run_check(DOCKER_HOST="unix:///nonexistent.sock")
    assert done.returncode == 1 and "docker: ERROR" in done.stdout


def test_worker_imports_without_django():
    code = ("import sys; sys.modules['django'] = None; sys.modules['competition'] = None\n"
            "import compute_worker.protocol\n"
            "assert 'celery' not in sys.modules, 'importing the protocol must not load celery'\n"
            "import compute_worker; app = compute_worker.app\n"
            "assert 'compute_worker.run_submission' in app.tasks\n"
            "conf = app.conf\n"
            "assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1\n"
            "assert conf.accept_content == ['json']\n"
            "import compute_worker.tasks, compute_worker.__main__\n"
            "print('ok')")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EVALBOX_", "CELERY_", "DJANGO_"))}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    bad = subprocess.run([sys.executable, "-c", "import compute_worker; compute_worker.app"], cwd=ROOT,
                         env={**clean, "EVALBOX_CONCURRENCY": "x"}, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "configuration error: EVALBOX_CONCURRENCY" in bad.stderr
    assert "Traceback" not in bad.stderr
