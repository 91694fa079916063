"""Output of any shape: every tree a participant can leave in /mnt/out ends FINISHED or FAILED with a
precise reason within the time limit plus a few seconds, and the work directory is removed (the
battery's health check after each test).
"""

from __future__ import annotations

import pytest

from compute_worker import outputs, trees
from tests.helpers import docker_images
from tests.helpers.attack_images import attack_image
from tests.helpers.battery import Battery

pytestmark = pytest.mark.docker

#: A scorer that counts the regular files it sees.
COUNT_FILES = """
printf '{"files": %s}' "$(find /mnt/predictions -type f | wc -l)" > /mnt/out/scores.json
"""


def _assert_prompt(battery: Battery, limit_s: float) -> None:
    assert battery.last_elapsed_s < limit_s + 10, battery.last_elapsed_s


def test_very_deep_tree_is_refused(battery: Battery) -> None:
    image = attack_image("out-deep", "probe deep /mnt/out 5000\necho 42 > /mnt/out/predictions.txt\n")
    result = battery.submit(image, limits={"time_limit_s": 10})
    assert result["failure_reason"] == "bad_output", result
    assert result["failure_message"] == (f"Your program nested directories in /mnt/out deeper than {trees.MAX_DEPTH} "
                                         "levels."), result
    assert battery.last_elapsed_s < 10, battery.last_elapsed_s  # stopped by the watch, not the time limit


def test_deep_tree_within_the_cap_is_collected(battery: Battery) -> None:
    image = attack_image("out-deep-ok", f"""
probe deep /mnt/out {trees.MAX_DEPTH}
echo 42 > /mnt/out/predictions.txt
cd /mnt/out && for i in $(seq 1 {trees.MAX_DEPTH}); do cd d; done && echo bottom > file && echo "bottom: ok"
""")
    scorer = docker_images.scoring_image("scorer-count-files", COUNT_FILES)
    result = battery.submit(image, scoring_image=scorer)
    assert result["status"] == "FINISHED", result
    assert "bottom: ok" in result["participant_log"], result
    assert result["scores"] == {"files": 2.0}


def test_very_wide_tree_is_stopped(battery: Battery) -> None:
    # gVisor creates files slowly (its gofer, under load: 50 000 in 20-40 s): the limit leaves room for it.
    image = attack_image("out-wide", "probe wide /mnt/out 200000\nsleep 120\n")
    result = battery.submit(image, limits={"time_limit_s": 90, "memory_mb": 512})
    assert result["failure_reason"] == "output_too_large", result
    assert f"more than {outputs.MAX_OUTPUT_FILES} files and directories" in result["failure_message"], result
    assert battery.last_elapsed_s < 90, battery.last_elapsed_s  # stopped by the watch, not the time limit


def test_names_of_any_bytes_are_collected(battery: Battery) -> None:
    image = attack_image("out-bytes", "probe byte-names /mnt/out\necho 42 > /mnt/out/predictions.txt\n")
    scorer = docker_images.scoring_image("scorer-count-files", COUNT_FILES)
    result = battery.submit(image, scoring_image=scorer)
    assert result["status"] == "FINISHED", result
    assert "byte-names: 251 files" in result["participant_log"], result
    assert result["scores"] == {"files": 252.0}


def test_directories_and_files_without_permissions(battery: Battery) -> None:
    image = attack_image("out-noperm", """
mkdir -p /mnt/out/locked/inner && echo x > /mnt/out/locked/inner/f && echo y > /mnt/out/noread
chmod 000 /mnt/out/locked/inner /mnt/out/locked /mnt/out/noread
echo 42 > /mnt/out/predictions.txt
""")
    scorer = docker_images.scoring_image("scorer-count-files", COUNT_FILES)
    result = battery.submit(image, scoring_image=scorer)
    # The worker runs as root: it reads what the sandbox user locked, and removes it afterwards.
    assert result["status"] == "FINISHED", result
    assert result["scores"] == {"files": 3.0}


@pytest.mark.parametrize(("script", "reason", "message"), [
    ("probe sparse /mnt/out/sparse 1099511627776\necho 42 > /mnt/out/predictions.txt\n", None,
     "sparse: E? (File too large)"),
    ("probe sparse /mnt/out/s1 7000000\nprobe sparse /mnt/out/s2 7000000\necho 42 > /mnt/out/predictions.txt\n",
     "output_too_large", "more than the output cap of 8 MB"),
    ("head -c 1m /dev/zero > /mnt/out/one\ncd /mnt/out && for i in $(seq 1 20); do ln one link$i; done\n"
     "echo 42 > predictions.txt\n", "output_too_large", "more than the output cap of 8 MB"),
], ids=["sparse-beyond-the-cap", "sparse-files-past-the-cap", "hard-links-past-the-cap"])
def test_sizes_are_apparent_sizes(battery: Battery, script: str, reason: str | None, message: str) -> None:
    result = battery.submit(attack_image("out-sizes", script))
    if reason is None:
        assert result["status"] == "FINISHED", result
        assert message in result["participant_log"], result
    else:
        assert result["failure_reason"] == reason, result
        assert message in result["failure_message"], result


def test_file_still_growing_when_the_program_ends(battery: Battery) -> None:
    image = attack_image("out-growing", """
(while true; do echo grow >> /mnt/out/growing; done) &
sleep 1
echo 42 > /mnt/out/predictions.txt
""")
    scorer = docker_images.scoring_image("scorer-count-files", COUNT_FILES)
    result = battery.submit(image, scoring_image=scorer)
    assert result["status"] == "FINISHED", result
    assert result["scores"] == {"files": 2.0}


def test_fifo_with_a_writer_and_a_socket_are_dropped(battery: Battery) -> None:
    image = attack_image("out-fifo", """
mkfifo /mnt/out/fifo && (echo blocked > /mnt/out/fifo &)
probe unix-socket /mnt/out/socket
echo 42 > /mnt/out/predictions.txt
""")
    scorer = docker_images.scoring_image("scorer-count-files", COUNT_FILES)
    result = battery.submit(image, scoring_image=scorer)
    assert result["status"] == "FINISHED", result
    assert result["scores"] == {"files": 1.0}


@pytest.mark.parametrize(("script", "limits", "reason", "message"), [
    ("head -c 20m /dev/zero > /tmp/big; rc=$?; rm -f /tmp/big; echo 42 > /mnt/out/predictions.txt; exit $rc\n",
     {}, "output_too_large",
     "more than the output cap of 8 MB: a file reached the file-size limit (the cap, for any file, in /tmp too) "
     "and the program was killed by SIGXFSZ (exit code 153)."),
    ("head -c 1000m /dev/zero | tail -n 1 > /dev/null; echo 42 > /mnt/out/predictions.txt\n",
     {"memory_mb": 48, "time_limit_s": 10}, "out_of_memory", "ran out of memory (limit 48 MB)"),
    ("trap '' TERM; sleep 30\n", {"time_limit_s": 2}, "time_limit", "longer than the time limit of 2 s"),
], ids=["sigxfsz", "oom-kill", "wall-clock"])
def test_signals_are_named_for_their_limit(battery: Battery, script: str, limits: dict, reason: str,
                                           message: str) -> None:
    result = battery.submit(attack_image("signals", script), limits=limits)
    assert result["failure_reason"] == reason, result
    assert message in result["failure_message"], result
    _assert_prompt(battery, limits.get("time_limit_s", 3))
