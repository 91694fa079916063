"""``GET /health``: the database, the broker and the platform registry, each really reached; 503 and no secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers.paths import ROOT
from tests.helpers.private_services import free_port

SECRET = "s3cret-Pw-9"


def test_health_is_ok_when_the_database_rabbitmq_and_the_registry_answer(client, platform_registry, rabbitmq_url,
                                                                         settings):
    settings.CELERY_BROKER_URL = rabbitmq_url
    response = client.get("/health")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": {"ok": True}, "broker": {"ok": True},
                                                         "registry": {"ok": True}}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_site_without_a_platform_registry_is_healthy_on_the_embedded_broker(client, settings):
    settings.EVALBOX_REGISTRY = settings.EVALBOX_REGISTRY_URL = settings.EVALBOX_REGISTRY_PUBLIC_URL = ""
    response = client.get("/health")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["registry"] == {"ok": True, "configured": False}
    assert client.head("/health").status_code == 200 and client.post("/health").status_code == 405


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_a_503_that_names_no_host_nor_password(client, settings):
    settings.CELERY_BROKER_URL = f"amqp://evalbox:{SECRET}@127.0.0.1:{free_port()}//"
    settings.EVALBOX_REGISTRY = ""
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["problem"].startswith(
        "the broker does not answer")
    assert SECRET not in response.content.decode() and "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_a_registry_that_does_not_answer_is_a_503(client, settings):
    settings.EVALBOX_REGISTRY, settings.EVALBOX_REGISTRY_URL = "registry.example", f"http://127.0.0.1:{free_port()}"
    response = client.get("/health")
    assert response.status_code == 503
    registry = response.json()["checks"]["registry"]
    assert registry["ok"] is False and "127.0.0.1" not in registry["problem"], registry


def test_a_database_that_does_not_answer_is_a_503_that_names_no_password(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "EVALBOX_"))}
    env.update(DJANGO_SETTINGS_MODULE="competition.project.settings", EVALBOX_VAR_DIR=str(tmp_path / "var"),
               DATABASE_URL=f"postgres://evalbox:{SECRET}@127.0.0.1:{free_port()}/evalbox",
               CELERY_BROKER_URL="filesystem://", EVALBOX_BROKER_DIR=str(tmp_path / "broker"))
    code = ("from django.test import Client; r = Client().get('/health'); "
            "print(r.status_code); print(r.content.decode())")
    result = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().split("\n", 1)
    assert status == "503"
    checks = json.loads(body)["checks"]
    assert checks["database"]["ok"] is False and checks["broker"] == {"ok": True}
    assert SECRET not in body


@pytest.mark.django_db
def test_check_selects_the_checks_and_an_unknown_one_is_a_clear_400(client, settings):
    settings.EVALBOX_REGISTRY, settings.EVALBOX_REGISTRY_URL = "registry.example", f"http://127.0.0.1:{free_port()}"
    response = client.get("/health?check=database,broker")
    assert response.status_code == 200 and set(response.json()["checks"]) == {"database", "broker"}
    for bad in ("disk", ""):
        refused = client.get(f"/health?check={bad}")
        assert refused.status_code == 400 and "expected some of database, broker, registry" in refused.json()["error"]
