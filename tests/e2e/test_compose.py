"""The compose deployment files are valid (``docker-compose config``) and keep their promises."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.helpers.paths import ROOT

COMPOSE = ROOT / "compose"


def compose_config(*files: str, profile: str | None = None) -> dict:
    """``docker-compose config`` of ``files`` with the example env file, parsed."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose is not installed (apt-get install docker-compose; .ci/run does it)")
    command = [tool, "--env-file", str(COMPOSE / ".env.example")]
    if profile:
        command += ["--profile", profile]
    for name in files:
        command += ["-f", str(COMPOSE / name)]
    result = subprocess.run([*command, "config"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_main_deployment_is_valid_and_publishes_only_the_web_port():
    config = compose_config("docker-compose.yml")
    services = config["services"]
    assert {"web", "postgres", "rabbitmq", "flower"} <= set(services)
    assert any("compute_worker" in str(s.get("command", "")) for s in services.values())
    assert any("competition.project.celery" in str(s.get("command", "")) for s in services.values())
    public = []
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        for port in service.get("ports", []):
            host_ip = port.get("host_ip", "") if isinstance(port, dict) else str(port).split(":")[0]
            if host_ip != "127.0.0.1":
                public.append(name)
    assert public == ["nginx"], public
    assert config.get("volumes"), "named volumes are expected"


def test_the_registry_runs_behind_nginx_with_the_site_as_its_token_server():
    services = compose_config("docker-compose.yml")["services"]
    registry = services["registry"]
    assert registry["command"] == ["serve", "/srv/registry-config/config.yml"] and not registry.get("ports")
    assert "registry_config" in " ".join(services["web"]["command"])
    assert services["web"]["environment"]["EVALBOX_REGISTRY_URL"] == "http://registry:5000"
    nginx = (COMPOSE / "nginx.conf").read_text()
    assert "location /v2/" in nginx and "proxy_pass http://registry:5000;" in nginx
    assert "client_max_body_size 0;" in nginx
    volumes = {str(v.get("source") if isinstance(v, dict) else v).split(":")[0] for v in registry["volumes"]}
    assert "registry-key" not in volumes  # the signing key stays with the site


@pytest.mark.parametrize("profile", [None, "gpu"])
def test_worker_deployment_is_valid(profile):
    config = compose_config("worker.yml", profile=profile)
    workers = [s for s in config["services"].values() if "compute_worker" in str(s.get("command", ""))]
    assert workers
    for service in workers:
        assert any("docker.sock" in str(volume) for volume in service.get("volumes", []))
    if profile == "gpu":
        assert any("devices" in str(s.get("deploy", "")) for s in workers)
