"""The ``evalbox`` command line against the live site (and, for ``--wait``, a real compute worker)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from competition.models import Submission
from evalbox_cli.client import Site
from tests.helpers.paths import ROOT


def _submit(evalbox, site, phase, image, *extra, token="", tty=False, env=None):
    environment = {"EVALBOX_TOKEN": token, **(env or {})}
    return evalbox("submit", "--site", site, "--competition", phase.competition.slug, "--phase", str(phase.pk),
                   image, *extra, env=environment, tty=tty)


def test_submit_wait_follows_the_submission_to_finished_and_prints_the_scores(
    evalbox, site, demo_phase, pat_token, example_images, one_worker
):
    run = _submit(evalbox, site, demo_phase, example_images["participant"], "--wait", "--interval", "0.3",
                  token=pat_token)
    assert run.code == 0, (run.out, run.err)
    submission = Submission.objects.get()
    assert submission.status == "FINISHED"
    assert f"as submission #{submission.pk}" in run.out
    # Not a terminal: one plain line per change, each with the elapsed time, never a carriage return.
    assert "\r" not in run.out
    lines = re.findall(rf"^\[\s*\d+s\] #{submission.pk} (\w+)", run.out, re.MULTILINE)
    order = ["SUBMITTED", "QUEUED", "RUNNING", "SCORING", "FINISHED"]
    seen = [order.index(status) for status in dict.fromkeys(lines)]
    assert lines[-1] == "FINISHED" and len(seen) >= 2 and seen == sorted(seen), run.out
    assert re.search(r"^  Accuracy\s+0\.900$", run.out, re.MULTILINE), run.out
    assert re.search(r"^  Macro F1\s+0\.900$", run.out, re.MULTILINE), run.out

    status = evalbox("status", str(submission.pk), "--site", site, env={"EVALBOX_TOKEN": pat_token})
    assert status.code == 0
    assert f"Submission #{submission.pk}: FINISHED" in status.out and "sha256:" in status.out

    board = evalbox("leaderboard", demo_phase.competition.slug, "--site", site)  # public: no token needed
    assert board.code == 0, board.err
    rows = board.out.splitlines()
    assert rows[1].split() == ["rank", "participant", "Accuracy", "Macro", "F1", "submission"]
    assert rows[2].split() == ["1", "pat", "0.900", "0.900", f"#{submission.pk}"]


def test_submit_wait_on_a_terminal_redraws_one_line_and_fails_with_the_reason(
    evalbox, site, demo_phase, pat_token, example_images, one_worker
):
    run = _submit(evalbox, site, demo_phase, example_images["exit-nonzero"], "--wait", "--interval", "0.3",
                  token=pat_token, tty=True)
    assert run.code == 1, (run.out, run.err)
    assert "\r[" in run.out
    assert re.search(r"FAILED: Non-zero exit: .*exited with code 3", run.out), run.out
    assert "exit code 3" in run.out


def test_config_file_gives_site_and_token_and_the_only_open_phase_is_the_default(
    evalbox, site, demo_phase, pat_token, tmp_path, example_images
):
    config = tmp_path / "evalbox.toml"
    config.write_text(f'site = "{site}"\ntoken = "{pat_token}"\n')
    run = evalbox("submit", "--competition", demo_phase.competition.slug, example_images["participant"],
                  env={"EVALBOX_CONFIG": str(config)})
    assert run.code == 0, run.err
    assert Submission.objects.get().phase == demo_phase
    # The default location, ~/.config/evalbox/config.toml (XDG_CONFIG_HOME here), works the same.
    (tmp_path / "config" / "evalbox").mkdir(parents=True)
    (tmp_path / "config" / "evalbox" / "config.toml").write_text(config.read_text())
    run = evalbox("status", str(Submission.objects.get().pk))
    assert run.code == 0 and "Submission #" in run.out


@pytest.mark.parametrize(
    ("argv_image", "token", "code", "message"),
    [
        ("Team/Model", "TOKEN", 2, "Bad image reference 'Team/Model': The repository name must be lowercase"),
        ("alpine;rm -rf /", "TOKEN", 2, "Bad image reference"),
        ("docker run -it foo", "TOKEN", 2, "Enter only the image reference, not a command"),
        ("alpine", "", 2, "No API token: set EVALBOX_TOKEN"),
        ("alpine", "wrong-token", 3, "HTTP 401: Invalid API token. Your API token was refused"),
    ],
)
def test_submit_errors_are_one_clear_line(evalbox, site, demo_phase, pat_token, argv_image, token, code, message):
    run = _submit(evalbox, site, demo_phase, argv_image, token=pat_token if token == "TOKEN" else token)
    assert run.code == code, run.err
    assert message in run.err
    assert "Traceback" not in run.err and run.err.count("\n") == 1
    assert not Submission.objects.exists()


def test_http_errors_from_the_site_are_reported_with_their_message(evalbox, site, demo_phase, pat_token):
    competition = demo_phase.competition
    missing = evalbox("submit", "--site", site, "--competition", "nope", "--phase", "1", "alpine",
                      env={"EVALBOX_TOKEN": pat_token})
    assert (missing.code, missing.err.strip()) == (3, "evalbox: HTTP 404: No such competition.")

    competition.enable_docker_submission = False
    competition.save()
    off = _submit(evalbox, site, demo_phase, "alpine", token=pat_token)
    assert off.code == 3 and "HTTP 403: Docker submission is disabled" in off.err

    competition.enable_docker_submission = True
    competition.save()
    demo_phase.end = timezone.now() - timedelta(minutes=1)
    demo_phase.save()
    closed = _submit(evalbox, site, demo_phase, "alpine", token=pat_token)
    assert closed.code == 3 and "is not open for submissions" in closed.err
    no_open = evalbox("submit", "--site", site, "--competition", competition.slug, "alpine",
                      env={"EVALBOX_TOKEN": pat_token})
    assert no_open.code == 2 and "Pass --phase: 0 phases are open" in no_open.err

    other = evalbox("status", "999999", "--site", site, env={"EVALBOX_TOKEN": pat_token})
    assert (other.code, other.err.strip()) == (3, "evalbox: HTTP 404: No such submission.")
    anonymous = evalbox("status", "1", "--site", site)
    assert anonymous.code == 3 and "HTTP 401" in anonymous.err and "Set EVALBOX_TOKEN" in anonymous.err
    board = evalbox("leaderboard", competition.slug, "--phase", "999999", "--site", site)
    assert (board.code, board.err.strip()) == (3, "evalbox: HTTP 404: No such phase in this competition.")
    assert not Submission.objects.exists()


def test_unreachable_site_and_bad_configuration(evalbox, tmp_path):
    down = evalbox("status", "1", "--site", "http://127.0.0.1:9", env={"EVALBOX_TOKEN": "x"})
    assert down.code == 4 and "Cannot reach http://127.0.0.1:9" in down.err and "Traceback" not in down.err
    nosite = evalbox("leaderboard", "cats")
    assert nosite.code == 2 and "No site: pass --site URL" in nosite.err
    broken = tmp_path / "broken.toml"
    broken.write_text("site = \n")
    bad = evalbox("leaderboard", "cats", env={"EVALBOX_CONFIG": str(broken)})
    assert bad.code == 2 and "Cannot read the config file" in bad.err


def test_the_console_script_runs_without_django_or_docker(site, demo_phase):
    script = ROOT / ".venv" / "bin" / "evalbox"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "evalbox_cli"]
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([*command, "leaderboard", demo_phase.competition.slug, "--site", site],
                            capture_output=True, text=True, timeout=60, env=environment, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "no finished submission yet" in result.stdout
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, evalbox_cli.main; "
         "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'docker', 'celery', 'kombu'}))"],
        capture_output=True, text=True, timeout=60, env=environment, cwd=ROOT,
    )
    assert imported.stdout.strip() == "[]", imported.stderr


def test_polling_revalidates_with_the_etag_and_sees_each_change(site, demo_phase, pat_token):
    submission = Submission.objects.create(phase=demo_phase, participant=demo_phase.competition.participants.get(),
                                           image="docker.io/library/alpine:latest", image_typed="alpine",
                                           status="RUNNING")
    client, path = Site(site, pat_token), f"submissions/{submission.pk}/"
    answer, tag = client.get_if_changed(path, None)
    assert answer["status"] == "RUNNING" and tag
    assert client.get_if_changed(path, tag) is None  # 304: nothing new
    submission.status = "SCORING"
    submission.save()
    answer, new_tag = client.get_if_changed(path, tag)
    assert answer["status"] == "SCORING" and new_tag != tag
