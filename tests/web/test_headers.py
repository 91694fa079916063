"""Headers and files: the Content-Security-Policy everywhere, no inline script or style in any
template, ``check --deploy`` clean under ``EVALBOX_TLS=1``, ``HEAD`` wherever ``GET`` is, and a
``var/`` only its owner may read."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import django
import pytest
from django.contrib import admin

from competition.project.headers import CONTENT_SECURITY_POLICY
from competition.project.settings import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TEMPLATES = Path(django.__file__).parent / "contrib" / "admin" / "templates"


def _get_urls(competition, phase, submission) -> list[str]:
    """Every page and API read of the site, for an organizer of ``competition``."""
    slug = competition.slug
    return [
        "/", "/accounts/login/", "/accounts/signup/", "/competitions/new/", f"/competitions/{slug}/",
        f"/competitions/{slug}/participate/", f"/competitions/{slug}/leaderboard/",
        f"/competitions/{slug}/leaderboard.csv", f"/competitions/{slug}/submissions/",
        f"/competitions/{slug}/submissions/broker/", f"/competitions/{slug}/edit/",
        f"/competitions/{slug}/participants/", f"/competitions/{slug}/phases/new/",
        f"/competitions/{slug}/phases/{phase.pk}/edit/", "/no/such/page/",
        f"/api/competitions/{slug}/", f"/api/competitions/{slug}/leaderboard/", f"/api/phases/{phase.pk}/leaderboard/",
        f"/api/competitions/{slug}/submissions/", f"/api/submissions/{submission.pk}/", "/api/nothing/",
        "/admin/login/", "/static/css/evalbox.css",
    ]


@pytest.fixture
def surfaces(competition, phase, registration, make_submission):
    submission, _ = make_submission(phase, registration, status="FINISHED", scores={"accuracy": 0.5},
                                    rank_score=0.5)
    return _get_urls(competition, phase, submission)


@pytest.mark.django_db
def test_every_answer_carries_the_policy_and_head_answers_as_get(organizer, surfaces, client):
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "style-src 'self'" in CONTENT_SECURITY_POLICY
    client.force_login(organizer)
    for url in surfaces:
        got, head = client.get(url), client.head(url)
        assert got["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert head.status_code == got.status_code, (url, head.status_code, got.status_code)
        assert head.content == b"", url
        if url.startswith("/api/"):
            assert got.status_code in (200, 404), url


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
_INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle=", re.IGNORECASE)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _templates() -> list[Path]:
    folders = [Path(folder) for folder in TEMPLATES[0]["DIRS"]] + [ADMIN_TEMPLATES]
    return [path for folder in folders for path in folder.rglob("*.html")]


#: The admin's change list has one style element, drawn only when its actions bar is off.
_ACTIONLESS_CHANGE_LIST = re.compile(r"{% if not actions_on_top and not actions_on_bottom %}.*?{% endif %}", re.S)


def test_no_template_has_inline_script_style_or_handlers():
    found = _templates()
    assert len(found) > 40  # ours and the admin's
    for model_admin in admin.site._registry.values():
        assert model_admin.actions_on_top or model_admin.actions_on_bottom, model_admin
    for path in found:
        text = _ACTIONLESS_CHANGE_LIST.sub("", path.read_text())
        # A JSON data island is no script: the policy does not run it.
        text = re.sub(r'<script[^>]*type="application/json"[^>]*>.*?</script>', "", text, flags=re.S)
        assert not _INLINE_SCRIPT.search(text), path
        assert not _INLINE_STYLE.search(text), path
        assert not _HANDLER.search(text), path


def _deploy_check(extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "EVALBOX_"))}
    env.update(DJANGO_SETTINGS_MODULE="competition.project.settings", EVALBOX_VAR_DIR=str(tmp_path / "var"),
               DJANGO_SECRET_KEY="k" + os.urandom(40).hex(), DJANGO_ALLOWED_HOSTS="evalbox.example", **extra)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_under_tls(tmp_path):
    plain = _deploy_check({}, tmp_path)
    assert plain.returncode != 0 and "security.W004" in plain.stderr  # the control: HTTP only
    tls = _deploy_check({"EVALBOX_TLS": "1"}, tmp_path)
    assert tls.returncode == 0, tls.stderr
    assert "System check identified no issues" in tls.stdout


@pytest.mark.django_db
def test_tls_settings_make_cookies_secure_and_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/").status_code == 301
    secure = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200 and secure["Strict-Transport-Security"].startswith("max-age=3600")


def test_var_is_readable_by_its_owner_only(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)  # as an older checkout left it
    (var / "secret_key").write_text("old-key")
    (var / "secret_key").chmod(0o644)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="competition.project.settings", EVALBOX_VAR_DIR=str(var))
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "old-key"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    fresh = tmp_path / "fresh" / "var"
    env["EVALBOX_VAR_DIR"] = str(fresh)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.strip()) >= 50
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    assert stat.S_IMODE((fresh / "secret_key").stat().st_mode) == 0o600

