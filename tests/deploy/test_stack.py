"""The compose stack for real: built here from Debian packages, started with docker-compose 1.29, used only
through nginx (and RabbitMQ's published port for a second worker machine), always taken down with its volumes."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.helpers.compose_stack import COMPOSE, Stack, fast_health_checks, write_env
from tests.helpers.examples import make_demo_archives
from tests.helpers.paths import ROOT
from tests.helpers.private_services import free_port
from tests.helpers.registry import remove_pulled_images

pytestmark = pytest.mark.slow

MAIN_SERVICES = ["nginx", "web", "site-worker", "compute-worker", "registry", "postgres", "rabbitmq", "flower"]
PASSWORD = "Quartz-lamp-7781-river"  # nothing like the username: Django refuses similar ones


def host_address() -> str:
    """This machine's first address (``hostname -I``): how the workers reach the stack's published ports."""
    addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True).stdout.split()
    assert addresses, "this machine has no address besides the loopback"
    return addresses[0]


def prepare_images() -> None:
    """The Debian-built base (debootstrap, once per machine) and the wheels of the evalbox image."""
    subprocess.run(["bash", str(ROOT / "examples" / "base-images" / "build.sh"), "python"], check=True)
    subprocess.run(["bash", str(ROOT / "scripts" / "compose-wheels.sh")], check=True, capture_output=True)


class Site:
    """The site as a browser reaches it through nginx: a session, its CSRF token, the JSON API."""

    def __init__(self, url: str) -> None:
        self.url, self.http = url, requests.Session()

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.http.cookies.get("csrftoken", ""), "Referer": self.url + "/"}

    def sign_up(self, username: str) -> None:
        """Sign up through the form (which signs in)."""
        self.http.get(f"{self.url}/accounts/signup/", timeout=30).raise_for_status()
        answer = self.http.post(f"{self.url}/accounts/signup/", headers=self._csrf(), timeout=30, data={
            "username": username, "email": "", "password1": PASSWORD, "password2": PASSWORD,
            "csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")})
        errors = re.findall(r'class="[^"]*(?:invalid-feedback|errorlist|alert)[^"]*"[^>]*>(.*?)</', answer.text, re.S)
        assert "sessionid" in self.http.cookies, (answer.status_code, errors)

    def post(self, path: str, body: dict) -> requests.Response:
        """A JSON POST of the API with the session and its CSRF token."""
        return self.http.post(f"{self.url}{path}", json=body, headers=self._csrf(), timeout=30)

    def get(self, path: str) -> dict:
        """A JSON GET of the API."""
        answer = self.http.get(f"{self.url}{path}", timeout=30)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:2000])
        return answer.json()

    def submit(self, phase: int, image: str) -> int:
        """Submit ``image``; the submission's id."""
        answer = self.post("/api/competitions/demo/submissions/", {"phase": phase, "image": image})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    def follow(self, *submission_ids: int, timeout: float = 240) -> None:
        """Poll until all are FINISHED (failing on another end)."""
        pending, deadline, last = set(submission_ids), time.monotonic() + timeout, {}
        while pending and time.monotonic() < deadline:
            for submission_id in sorted(pending):
                last[submission_id] = submission = self.get(f"/api/submissions/{submission_id}/")
                if submission["status"] in ("FINISHED", "FAILED", "CANCELLED"):
                    assert submission["status"] == "FINISHED", submission
                    pending.discard(submission_id)
            time.sleep(0.5)
        assert not pending, f"not finished within {timeout:.0f} s: {last}"


def worker_of(stack: Stack, submission_id: int) -> str:
    """The worker the site recorded for a finished submission (its result report names it).

    Read from the site's database: the "Started on worker" status message lasts only until the
    next status, so a poll can miss it.
    """
    script = f"from competition.models import Submission; print(Submission.objects.get(pk={submission_id}).worker)"
    lines = stack.run("exec", "-T", "web", "django-admin", "shell", "-c", script).strip().splitlines()
    assert lines and lines[-1], f"submission {submission_id} names no worker"
    return lines[-1]  # Django 5.2's shell first says what it imported


def slow_participant(base: str) -> str:
    """The example participant that first sleeps 12 s: two of them run at once, one per worker."""
    tag = "evalbox-test/slow-participant:latest"
    dockerfile = f'FROM {base}\nENTRYPOINT ["sh", "-c", "sleep 12 && exec python3 /app/predict.py"]\n'
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=dockerfile, text=True, check=True,
                   capture_output=True)
    return tag


def main_env(tmp_path: Path, address: str) -> dict[str, str]:
    """The main stack's settings: free ports, its own secrets, the site and registry as reached from here."""
    http_port, secret = free_port(), uuid.uuid4().hex
    return {
        "DJANGO_SECRET_KEY": secret * 2, "DJANGO_ALLOWED_HOSTS": f"{address},127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{http_port}",
        "EVALBOX_SITE_URL": f"http://{address}:{http_port}", "EVALBOX_HTTP_PORT": str(http_port),
        # People and this machine's engine push and pull on the loopback (plain HTTP is allowed there
        # only); the workers' containers read the registry's API at the machine's address.
        "EVALBOX_REGISTRY": f"127.0.0.1:{http_port}", "EVALBOX_REGISTRY_PUBLIC_URL": f"http://{address}:{http_port}",
        "EVALBOX_TLS": "0", "EVALBOX_TRUSTED_PROXIES": "1",
        "POSTGRES_PASSWORD": secret, "DATABASE_URL": f"postgres://evalbox:{secret}@postgres:5432/evalbox",
        "RABBITMQ_DEFAULT_USER": "evalbox", "RABBITMQ_DEFAULT_PASS": secret,
        "CELERY_BROKER_URL": f"amqp://evalbox:{secret}@rabbitmq:5672//",
        # AMQP on the machine's address: the second machine's worker reaches it as a remote one would.
        "EVALBOX_AMQP_BIND": address, "EVALBOX_AMQP_PORT": str(free_port()),
        "EVALBOX_RABBITMQ_UI_PORT": str(free_port()), "EVALBOX_FLOWER_PORT": str(free_port()),
        "FLOWER_BASIC_AUTH": f"admin:{secret}", "EVALBOX_HOST_DATA_DIR": str(tmp_path / "data"),
    }


def set_up_competition(stack: Stack, tmp_path: Path, scoring_image: str) -> int:
    """The operator's part: the demo competition, its data and scorer (``demo_setup`` in ``web``); its phase."""
    archives = make_demo_archives.make_archives(tmp_path / "archives")
    web = stack.containers("web")[0]
    for path in archives.values():
        subprocess.run(["docker", "cp", str(path), f"{web}:/tmp/{path.name}"], check=True)
    out = stack.run("exec", "-T", "web", "django-admin", "demo_setup", "--input", f"/tmp/{archives['input'].name}",
                    "--reference", f"/tmp/{archives['reference'].name}", "--scoring-image", scoring_image)
    return json.loads(out)["phase"]


def test_the_stack_built_from_debian_packages_serves_a_submission_end_to_end(tmp_path, docker_cli, example_images):
    prepare_images()
    gateway, project = host_address(), f"evalbox-t{uuid.uuid4().hex[:8]}"
    env = main_env(tmp_path, gateway)
    url, registry = f"http://127.0.0.1:{env['EVALBOX_HTTP_PORT']}", env["EVALBOX_REGISTRY"]
    stack = Stack(project, write_env(tmp_path / "main.env", env), [
        COMPOSE / "docker-compose.yml", COMPOSE / "debian-build.yml",
        fast_health_checks(tmp_path / "health.yml", MAIN_SERVICES)])
    second = Stack(f"{project}-w2", write_env(tmp_path / "worker.env", {
        "CELERY_BROKER_URL": f"amqp://evalbox:{env['RABBITMQ_DEFAULT_PASS']}@{gateway}:{env['EVALBOX_AMQP_PORT']}//",
        "EVALBOX_SITE_URL": env["EVALBOX_SITE_URL"], "EVALBOX_WORKER_ID": f"{project}-second-machine",
        "EVALBOX_HOST_DATA_DIR": str(tmp_path / "data2"), "EVALBOX_IMAGE": "evalbox-debian/evalbox:latest",
    }), [COMPOSE / "worker.yml", fast_health_checks(tmp_path / "worker-health.yml", ["compute-worker"])])
    try:
        started = time.monotonic()
        stack.run("up", "-d", "--build", timeout=1800)
        stack.wait_healthy(len(MAIN_SERVICES))
        print(f"stack: built, up and healthy in {time.monotonic() - started:.0f} s")
        phase = set_up_competition(stack, tmp_path, example_images["scoring"])
        site = Site(url)
        username = f"stack-{uuid.uuid4().hex[:6]}"
        site.sign_up(username)
        assert site.post("/api/competitions/demo/register/", {}).status_code in (200, 201)
        token = stack.run("exec", "-T", "web", "django-admin", "issue_token", username).strip()
        docker_cli.login(registry, username, token)
        model = f"{registry}/demo/{username}/model"
        docker_cli.push(example_images["participant"], f"{model}:v1")
        docker_cli.push(slow_participant(example_images["participant"]), f"{model}:slow")
        first = site.submit(phase, f"{model}:v1")
        site.follow(first)
        one_worker = worker_of(stack, first)
        board = site.get(f"/api/phases/{phase}/leaderboard/")
        assert [row["participant"] for row in board["rows"]] == [username], board

        stack.run("up", "-d", "--no-recreate", "--scale", "compute-worker=2")
        stack.wait_healthy(len(MAIN_SERVICES) + 1)
        pair = [site.submit(phase, f"{model}:slow") for _ in range(2)]
        site.follow(*pair)
        assert len({worker_of(stack, pair[0]), worker_of(stack, pair[1])}) == 2

        stack.run("restart", "web")
        stack.wait_healthy(len(MAIN_SERVICES) + 1)
        assert site.get(f"/api/submissions/{first}/")["status"] == "FINISHED"  # the session survived too
        assert site.get("/api/competitions/demo/submissions/")["count"] == 3

        second.run("up", "-d", "--no-build")
        second.wait_healthy(1)
        stack.run("up", "-d", "--no-recreate", "--scale", "compute-worker=0")
        last = site.submit(phase, f"{model}:v1")
        site.follow(last)
        assert worker_of(stack, last) == f"{project}-second-machine" != one_worker
        print(f"stack: whole test {time.monotonic() - started:.0f} s")
    finally:
        second.down()
        stack.down()
        remove_pulled_images(registry)
