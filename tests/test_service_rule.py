"""The rule for a missing service, run for real: a test needing it fails at setup with one line, never skips.

Each case runs a tiny test file in its own pytest process, with the suite's plugins and
markers, against services that are not there: a dead Docker socket, a closed broker port, a
missing chromium, a PostgreSQL port nobody listens on.
"""

from __future__ import annotations

import tomllib

import pytest

from tests.helpers.paths import ROOT

PLUGINS = ["tests.helpers.markers", "tests.helpers.service_fixtures", "tests.helpers.browser_fixtures"]
SERVICES_FILE = """
import pytest

def test_plain():
    pass

def test_uses_docker(docker_client):
    pass

@pytest.mark.docker
def test_marked_docker():
    pass

def test_uses_rabbitmq(rabbitmq_url):
    pass

def test_uses_browser(browser):
    pass
"""
DATABASE_FILE = """
import pytest

@pytest.mark.django_db
def test_uses_the_database():
    pass
"""
DOCKER_LINE = ("needs a Docker engine at unix:///nonexistent.sock: run `make docker` (scripts/ensure-docker.sh), "
               "or deselect with -m 'not docker'")
RABBITMQ_LINE = ("needs RabbitMQ at amqp://guest:****@127.0.0.1:1//: run scripts/ensure-services.sh "
                 "(or set EVALBOX_TEST_BROKER_URL), or deselect with -m 'not rabbitmq'")
BROWSER_LINE = ("needs Playwright and Debian's chromium at /nonexistent/chromium: apt-get install -y chromium and "
                "pip install -e '.[dev]' (or set EVALBOX_CHROMIUM), or deselect with -m 'not browser'")
POSTGRESQL_LINE = ("needs PostgreSQL at postgres://postgres:****@127.0.0.1:1/evalbox: start it "
                   "(scripts/ensure-services.sh) and set DATABASE_URL to it")


def setup_error(result: pytest.RunResult, test: str) -> str:
    """The first line of ``test``'s setup error (the line right under its ``ERROR at setup`` header)."""
    lines = result.stdout.lines
    header = next(i for i, line in enumerate(lines) if line.strip("_ ") == f"ERROR at setup of {test}")
    return lines[header + 1]


@pytest.fixture
def isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytest project with the suite's plugins and markers, where no service answers."""
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    pytester.makeini("[pytest]\naddopts = -ra --strict-markers\nmarkers =\n" + "".join(f"    {m}\n" for m in markers))
    pytester.makeconftest(f"pytest_plugins = {PLUGINS!r}\n")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    monkeypatch.setenv("EVALBOX_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:1//")
    monkeypatch.setenv("EVALBOX_CHROMIUM", "/nonexistent/chromium")
    return pytester


def test_a_test_whose_service_is_missing_fails_at_setup_with_one_line(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(test_services=SERVICES_FILE)
    result = isolated.runpytest_subprocess("-p", "no:django")
    result.assert_outcomes(passed=1, errors=4, skipped=0)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for test, line in (("test_uses_docker", DOCKER_LINE), ("test_marked_docker", DOCKER_LINE),
                       ("test_uses_rabbitmq", RABBITMQ_LINE), ("test_uses_browser", BROWSER_LINE)):
        assert setup_error(result, test) == line, result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_deselecting_the_missing_services_leaves_a_passing_run(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(test_services=SERVICES_FILE)
    result = isolated.runpytest_subprocess("-p", "no:django", "-m", "not docker and not rabbitmq and not browser")
    result.assert_outcomes(passed=1, deselected=4)
    assert result.ret == pytest.ExitCode.OK


def test_markers_come_from_the_fixtures_a_test_uses(isolated: pytest.Pytester) -> None:
    isolated.makepyfile(test_services=SERVICES_FILE)
    for marker, tests in (("docker", ["test_marked_docker", "test_uses_docker"]),
                          ("rabbitmq", ["test_uses_rabbitmq"]), ("browser", ["test_uses_browser"])):
        result = isolated.runpytest_subprocess("-p", "no:django", "-m", marker, "--collect-only", "-q")
        collected = sorted(line.split("::")[1] for line in result.stdout.lines if "::" in line)
        assert collected == tests, (marker, result.stdout.str())


def test_a_database_test_fails_at_setup_when_the_postgresql_of_database_url_is_missing(
    isolated: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/evalbox")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "competition.project.settings")
    isolated.makepyfile(test_database=DATABASE_FILE)
    result = isolated.runpytest_subprocess()
    result.assert_outcomes(errors=1, skipped=0)
    assert setup_error(result, "test_uses_the_database") == POSTGRESQL_LINE, result.stdout.str()
