"""The wheel works outside the checkout: the plain install is the CLI, ``[worker]`` and ``[site]`` add the rest.

The wheel is built once from the checkout and installed into fresh virtual environments (pip
fetches the dependencies from PyPI, or its cache). Every command then runs from a temporary
directory with a clean environment, so nothing can come from the checkout.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(900)


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """Run ``command``; its output, or a failure showing it."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def clean_env(**extra: str) -> dict[str, str]:
    """An environment with nothing pointing at the checkout."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout (setuptools writes build/ next to the sources)."""
    source = tmp_path_factory.mktemp("source") / "evalbox"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "var", "build", "*.egg-info", "__pycache__", "tests", "bench", "examples", "node_modules"))
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)], cwd=out)
    (built,) = out.glob("evalbox-*.whl")
    return built


def venv_with(tmp_path: Path, requirement: str) -> Path:
    """A fresh virtualenv with ``requirement`` installed; its ``bin`` directory."""
    run([sys.executable, "-m", "venv", str(tmp_path / "venv")], cwd=tmp_path)
    bin_dir = tmp_path / "venv" / "bin"
    run([str(bin_dir / "pip"), "install", "-q", requirement], cwd=tmp_path, env=clean_env())
    return bin_dir


def installed(bin_dir: Path, *modules: str) -> list[str]:
    """Which of ``modules`` the environment can import."""
    code = ("import importlib.util, sys; "
            "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))")
    return run([str(bin_dir / "python"), "-c", code, *modules], cwd=bin_dir, env=clean_env()).split()


def test_the_wheel_holds_every_package_and_no_top_level_migrations(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "competition/migrations/0001_initial.py" in names
    assert "competition/templates/base.html" in names and "competition/static/js/submit_docker.js" in names
    assert not [n for n in names if n.startswith(("migrations/", "templates/", "static/", "tests/"))]
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for package in ("competition", "compute_worker", "evalbox_cli")
               for p in (ROOT / package).rglob("__init__.py")}
    assert on_disk <= listed, f"packages missing from pyproject.toml: {sorted(on_disk - listed)}"


def test_the_plain_install_is_the_cli_with_requests_only(wheel: Path, tmp_path: Path) -> None:
    bin_dir = venv_with(tmp_path, str(wheel))
    assert "submit" in run([str(bin_dir / "evalbox"), "--help"], cwd=tmp_path, env=clean_env())
    assert installed(bin_dir, "requests", "django", "docker", "celery", "kombu") == ["requests"]
    # evalbox try needs the worker: without it, one clear line (and the usage exit code).
    tried = subprocess.run([str(bin_dir / "evalbox"), "try", "team/model:v1", "--input", str(tmp_path)], cwd=tmp_path,
                           env=clean_env(), capture_output=True, text=True, timeout=60)
    assert tried.returncode == 2 and "pip install 'evalbox[worker]'" in tried.stderr, tried.stderr
    assert "Traceback" not in tried.stderr


def test_the_worker_extra_runs_the_worker_without_django(wheel: Path, tmp_path: Path) -> None:
    bin_dir = venv_with(tmp_path, f"{wheel}[worker]")
    assert "compute_worker" in run([str(bin_dir / "python"), "-m", "compute_worker", "--help"], cwd=tmp_path,
                                   env=clean_env())
    assert installed(bin_dir, "docker", "celery", "django") == ["docker", "celery"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_site_extra_migrates_and_serves_pages_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    bin_dir = venv_with(tmp_path, f"{wheel}[site]")
    assert "docker" not in installed(bin_dir, "docker")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = clean_env(DJANGO_SETTINGS_MODULE="competition.project.settings", EVALBOX_VAR_DIR=str(work / "var"))
    django_admin = [str(bin_dir / "python"), "-m", "django"]
    assert "Applying competition.0001_initial... OK" in run([*django_admin, "migrate"], cwd=work, env=env)
    run([*django_admin, "collectstatic", "--no-input"], cwd=work, env=env)
    assert (work / "var" / "staticfiles" / "js" / "submit_docker.js").is_file()
    port = _free_port()
    server = subprocess.Popen([str(bin_dir / "gunicorn"), "competition.project.wsgi", "-b", f"127.0.0.1:{port}"],
                              cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page = _get(f"http://127.0.0.1:{port}/accounts/login/")
        assert "Sign in" in page and "evalbox" in page
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get(url: str, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
