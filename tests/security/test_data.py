"""Data attacks: the input, the hidden reference data, the root filesystem, /tmp and the output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import docker_images
from tests.helpers.attack_images import attack_image
from tests.helpers.battery import Battery

pytestmark = pytest.mark.docker

SECRET = b"REFERENCE-SECRET-5f3e\n"
#: Fill ``directory`` with files of ``mb`` MB (the output cap is also the largest file: fsize ulimit).
FILL = """
i=0
while [ $i -lt {files} ]; do
  out=$(head -c {mb}m /dev/zero 2>&1 > {directory}/fill$i) || {{ echo "fill: $out"; break; }}
  i=$((i+1))
done
echo "size: $(cat {directory}/fill* | wc -c)"
rm -f {directory}/fill*
echo 42 > /mnt/out/predictions.txt
"""


def test_input_is_read_only(battery: Battery) -> None:
    image = attack_image("write-input", """
for attempt in "touch /mnt/in/new" "rm /mnt/in/data.txt" "chmod 777 /mnt/in" "mv /mnt/in/data.txt /mnt/in/x"; do
  out=$($attempt 2>&1); echo "$attempt: rc=$? $out"
done
out=$( (echo evil >> /mnt/in/data.txt) 2>&1); echo "append: rc=$? $out"
echo "data: $(cat /mnt/in/data.txt)"
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image, input_files={"data.txt": b"original"})
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "data: original" in log, log
    assert len([line for line in log.splitlines() if ": rc=1 " in line]) == 5, log  # EROFS, EACCES or EPERM
    assert "rc=0" not in log, log


def test_reference_data_is_nowhere(battery: Battery) -> None:
    image = attack_image("hunt-reference", """
echo "mnt: $(ls /mnt | tr '\\n' ' ')"
grep /mnt /proc/mounts
find / -xdev \\( -name 'answer*' -o -name '*reference*' \\) -print 2>/dev/null
grep -r -l -s REFERENCE-SECRET / --exclude-dir=proc --exclude-dir=sys 2>/dev/null | head -n 5
cat /mnt/reference/answer.txt 2>&1
echo 42 > /mnt/out/predictions.txt
""")
    # The control: the scorer of the same run does see the secret.
    scorer = docker_images.scoring_image("scorer-reads-reference", (
        'printf \'{"secret_lines": %s}\' "$(grep -c -F REFERENCE-SECRET /mnt/reference/answer.txt)" '
        "> /mnt/out/scores.json\n"))
    result = battery.submit(image, scoring_image=scorer, input_files={"public.txt": b"public"},
                            reference_files={"answer.txt": SECRET})
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "mnt: in out \n" in log, log
    assert "can't open '/mnt/reference/answer.txt': No such file or directory" in log, log
    assert SECRET.decode().strip() not in log and "answer" not in log.replace("/mnt/reference/answer.txt", ""), log
    assert result["scores"] == {"secret_lines": 1.0}, result


def test_write_outside_out_and_tmp_fails(battery: Battery) -> None:
    targets = ("/", "/etc", "/bin", "/var", "/root", "/home", "/dev", "/run", "/mnt", "/proc", "/sys", "/mnt/in")
    attempts = "\n".join(f'out=$(touch {t}/evil 2>&1); echo "write {t}: rc=$?"' for t in targets)
    image = attack_image("write-outside", f"""
{attempts}
touch /tmp/ok && echo "write /tmp: ok"
echo 42 > /mnt/out/predictions.txt && echo "write /mnt/out: ok"
""")
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    for target in targets:
        assert f"write {target}: rc=1" in log, log
    assert "write /tmp: ok" in log and "write /mnt/out: ok" in log, log


def fill_size(log: str) -> int:
    """The ``size:`` the fill script reported."""
    return int(next(line for line in log.splitlines() if line.startswith("size: ")).split()[1])


def test_filling_tmp_hits_its_cap(battery: Battery) -> None:
    # 512 MB of memory: the 256 MB /tmp cap is below it, so the writes hit ENOSPC, not the OOM
    # killer. The output cap (also the largest file, fsize ulimit) is raised to 64 MB.
    image = attack_image("fill-tmp", FILL.format(directory="/tmp", files=8, mb=64))
    result = battery.submit(image, limits={"memory_mb": 512, "output_max_mb": 64, "time_limit_s": 30})
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "fill: head: standard output: I/O error" in log, log  # busybox's words for ENOSPC
    assert fill_size(log) == 256 << 20, log


def test_filling_shm_is_bounded(battery: Battery) -> None:
    # /dev/shm: Docker's private 64 MB tmpfs (its own tmpfs under gVisor, bounded the same).
    image = attack_image("fill-shm", FILL.format(directory="/dev/shm", files=4, mb=32))
    result = battery.submit(image, limits={"memory_mb": 256, "output_max_mb": 32, "time_limit_s": 10})
    assert result["status"] == "FINISHED", result
    assert "fill: head: standard output: I/O error" in result["participant_log"], result
    assert fill_size(result["participant_log"]) == 64 << 20, result


@pytest.mark.parametrize("script", [
    "head -c 20m /dev/zero > /mnt/out/big\n",                                   # one file: the fsize ulimit
    "for i in 1 2 3 4; do head -c 3m /dev/zero > /mnt/out/f$i; done; sleep 30\n",  # many files: the size watch
], ids=["one-file", "many-files"])
def test_filling_output_past_its_cap(battery: Battery, script: str) -> None:
    result = battery.submit(attack_image("fill-out", script), limits={"output_max_mb": 8, "time_limit_s": 8})
    assert result["failure_reason"] == "output_too_large", result
    assert "more than the output cap of 8 MB" in result["failure_message"]
    assert battery.last_elapsed_s < 8, battery.last_elapsed_s  # stopped by the watch, not the time limit


def test_links_in_output_are_not_followed(battery: Battery, tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("HOST-SECRET\n")
    participant = attack_image("output-links", f"""
ln -s {secret} /mnt/out/predictions.txt
ln -s / /mnt/out/root
ln -s {tmp_path} /mnt/out/hostdir
ln -s ../../../../../../../../{secret} /mnt/out/relative
out=$(ln /mnt/in/data.txt /mnt/out/hard-input 2>&1); echo "hardlink-input: rc=$? $out"
out=$(ln /bin/busybox /mnt/out/hard-root 2>&1); echo "hardlink-rootfs: rc=$? $out"
echo real > /mnt/out/real.txt && ln /mnt/out/real.txt /mnt/out/hard-real && echo "hardlink-inside: ok"
""")
    scorer = docker_images.scoring_image("scorer-dump", """
ls -laR /mnt/predictions
cat /mnt/predictions/predictions.txt /mnt/predictions/hostdir/host-secret.txt /mnt/predictions/relative 2>&1
printf '{"files": %s}' "$(find /mnt/predictions -type f | wc -l)" > /mnt/out/scores.json
""")
    result = battery.submit(participant, scoring_image=scorer, input_files={"data.txt": b"input"})
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "hardlink-input: rc=1" in log and "hardlink-rootfs: rc=1" in log, log
    assert log.count("Invalid cross-device link") == 2, log
    assert "hardlink-inside: ok" in log, log
    assert result["scores"] == {"files": 2.0}  # real.txt and its hard link, copied as two plain files
    assert "HOST-SECRET" not in result["scoring_log"]
    assert "-> " not in result["scoring_log"]  # no link reached the scorer
    assert secret.read_text() == "HOST-SECRET\n"


def test_special_files_in_output_are_dropped(battery: Battery) -> None:
    participant = attack_image("output-special", """
mkfifo /mnt/out/fifo && echo "fifo: made"
probe unix-socket /mnt/out/socket
out=$(mknod /mnt/out/null c 1 3 2>&1); echo "mknod: rc=$?"
echo 42 > /mnt/out/predictions.txt
""")
    scorer = docker_images.scoring_image("scorer-list", """
ls -la /mnt/predictions
printf '{"entries": %s}' "$(ls -A /mnt/predictions | wc -l)" > /mnt/out/scores.json
""")
    result = battery.submit(participant, scoring_image=scorer)
    assert result["status"] == "FINISHED", result
    assert "fifo: made" in result["participant_log"] and "unix-socket: ok" in result["participant_log"], result
    assert result["scores"] == {"entries": 1.0}, result  # only predictions.txt
    assert "fifo" not in result["scoring_log"] and "socket" not in result["scoring_log"], result


def test_dotted_names_stay_inside(battery: Battery) -> None:
    participant = attack_image("output-dots", """
mkdir /mnt/out/... && echo inside > /mnt/out/.../..x
echo a > /mnt/out/..a..
echo 42 > /mnt/out/predictions.txt
""")
    scorer = docker_images.scoring_image("scorer-find", """
find /mnt/predictions -type f | sort
ls -la /mnt
printf '{"files": %s}' "$(find /mnt/predictions -type f | wc -l)" > /mnt/out/scores.json
""")
    result = battery.submit(participant, scoring_image=scorer)
    assert result["status"] == "FINISHED", result
    assert result["scores"] == {"files": 3.0}
    assert "/mnt/predictions/.../..x" in result["scoring_log"] and "/mnt/predictions/..a.." in result["scoring_log"]


def test_newline_in_output_name_is_refused(battery: Battery) -> None:
    participant = attack_image("output-newline", """
echo 42 > /mnt/out/predictions.txt
echo x > "/mnt/out/$(printf 'evil\\nname')"
""")
    result = battery.submit(participant)
    assert result["failure_reason"] == "bad_output", result
    assert "file name with a newline: 'evil\\nname'" in result["failure_message"], result


def test_dot_dot_in_a_data_archive_is_refused(battery: Battery) -> None:
    image = attack_image("never-runs", "echo ran; echo 42 > /mnt/out/predictions.txt\n")
    result = battery.submit(image, input_files={"ok.txt": b"x", "../../escape.txt": b"evil"})
    assert result["failure_reason"] == "data_error", result
    assert "a path with '..'" in result["failure_message"], result
    assert result["participant_log"] == ""  # nothing ran
