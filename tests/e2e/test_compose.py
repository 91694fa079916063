"""The compose deployment files are valid (``docker-compose config``) and keep their promises."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys

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


def test_check_deploy_reports_nothing_under_the_web_service_s_settings(tmp_path):
    """``manage.py check --deploy`` with the environment compose gives ``web`` (the example's secrets replaced)."""
    environment = compose_config("docker-compose.yml")["services"]["web"]["environment"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "EVALBOX_"))}
    env.update({key: str(value) for key, value in environment.items()})
    # What an operator sets in compose/.env, and paths of the container that do not exist here.
    env.update(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), EVALBOX_VAR_DIR=str(tmp_path / "var"),
               EVALBOX_CACHE_DIR=str(tmp_path / "cache"), EVALBOX_STATIC_ROOT=str(tmp_path / "static"),
               EVALBOX_MEDIA_ROOT=str(tmp_path / "media"), DJANGO_SETTINGS_MODULE="competition.project.settings")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert environment["EVALBOX_TLS"] == "1" and environment["EVALBOX_TRUSTED_PROXIES"] == "1"


def test_nginx_passes_the_client_address_and_the_tls_proxy_s_scheme():
    nginx = (COMPOSE / "nginx.conf").read_text()
    assert nginx.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == 2
    assert nginx.count("proxy_set_header X-Forwarded-Proto $forwarded_proto;") == 2
    assert "$scheme;" not in nginx.replace('""      $scheme;', "")


def test_the_debian_build_option_builds_every_image_here_from_the_project_s_base():
    services = compose_config("docker-compose.yml", "debian-build.yml")["services"]
    for name, service in services.items():
        assert service["image"].startswith("evalbox-debian/"), (name, service["image"])
        assert service["build"]["args"]["BASE"] == "evalbox/python-base:bookworm", name
    assert services["web"]["build"]["args"]["PIP_OFFLINE"] == "1"
    for name in ("postgres", "rabbitmq", "nginx", "registry"):
        dockerfile = (COMPOSE / "debian" / services[name]["build"]["dockerfile"]).read_text()
        assert "apt-get install" in dockerfile and "FROM ${BASE}" in dockerfile, name
    # The official images stay the default.
    default = compose_config("docker-compose.yml")["services"]
    assert default["postgres"]["image"] == "postgres:16" and default["nginx"]["image"].startswith("nginx:")
