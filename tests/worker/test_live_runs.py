"""Live runs through the whole task (real Docker, the stub site): log chunks while the container
runs, the program's progress and metrics lines, the resource series."""

from __future__ import annotations

import pytest

from compute_worker import protocol
from compute_worker.protocol import live
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request
from tests.helpers.worker_subprocess import handle_in_subprocess

pytestmark = pytest.mark.docker

TICKING = """
for i in 1 2 3 4 5 6; do echo "step $i"; sleep 0.5; done
echo 42 > /mnt/out/predictions.txt
"""

PROGRESS = """
echo 'starting'
echo '{"evalbox": {"progress": 0.25, "message": "epoch 1/4"}}'
sleep 1
echo '{"evalbox": {"progress": 0.5, "message": "epoch 2/4", "metrics": {"loss": 0.9, "phase": "warm"}}}'
sleep 1
echo '{"evalbox": {"progress": 0.75, "metrics": {"loss": 0.5}}}'
echo '{"evalbox": {"progress": 7}}'
echo '  {"evalbox": {"metrics": {"loss": 0.24, "lr": 0.001}}}'
echo '{"evalbox": {"progress": 1.0}, "other": 1}'
sleep 1
echo 42 > /mnt/out/predictions.txt
echo done
"""


def chunks(site: StubSite, stream: str = "participant") -> list[dict]:
    return [b for b in site.posts("logs") if b["stream"] == stream and b.get("offset") is not None]


def evaluated(site: StubSite, config, scorer: str, name: str, script: str, **request) -> dict:
    """The result the worker reports for a busybox ``script`` image (which must finish)."""
    image = docker_images.busybox_script_image(name, script)
    summary = handle_message(make_request(site, image, scorer, **request), config=config)
    assert summary["status"] == "FINISHED", summary
    return site.result()


def test_the_log_reaches_the_site_in_chunks_while_the_container_runs(worker_config, stub_site, scorer):
    evaluated(stub_site, worker_config, scorer, "ticking", TICKING)
    sent = chunks(stub_site)
    assert len(sent) >= 2, sent  # several chunks, not one at the end
    # Contiguous offsets: each chunk starts where the previous one ended; together they are the log.
    assert sent[0]["offset"] == 0
    assert all(b["offset"] == a["end"] for a, b in zip(sent, sent[1:], strict=False))
    whole = "".join(f"step {i}\n" for i in range(1, 7))
    assert whole.startswith("".join(c["text"] for c in sent))  # the last lines may come with the final log
    # The first chunk came while the container still ran: before the SCORING report.
    first_chunk = next(r for r in stub_site.all("logs") if r.body.get("offset") is not None)
    scoring = next(r for r in stub_site.all("status") if r.body["status"] == "SCORING")
    assert first_chunk.at < scoring.at
    # Then the whole final log, which replaces what the chunks built.
    final = [b for b in stub_site.posts("logs") if b.get("offset") is None]
    assert [b["stream"] for b in final] == ["participant"]  # the scorer's whole log comes with the result
    assert final[0]["text"] == stub_site.result()["participant_log"]
    assert stub_site.result()["scoring_log"]
    for body in sent:
        protocol.LogReport.from_json(body)  # the site can parse every chunk


def test_progress_and_metrics_lines_are_read_not_logged(worker_config, stub_site, scorer):
    result = evaluated(stub_site, worker_config, scorer, "progress", PROGRESS)
    log = result["participant_log"]
    assert log.startswith("starting\n") and log.endswith("done\n")
    assert '"evalbox"' not in log.replace('{"evalbox": {"progress": 1.0}, "other": 1}', "")
    assert '{"evalbox": {"progress": 1.0}, "other": 1}' in log  # not the single key "evalbox": a log line
    assert "progress must be a number between 0 and 1" in log  # the unusable line leaves a note
    # Last value per key wins; the scores come from the scorer only.
    assert result["metadata"] == {"loss": 0.24, "phase": "warm", "lr": 0.001}
    assert result["scores"] == {"lines": 1.0, "matches": 0.0}
    beats = [b for b in stub_site.posts("status") if b["status"] == "RUNNING" and b.get("progress") is not None]
    values = [b["progress"] for b in beats]
    assert values == sorted(values) and values[0] < values[-1], values  # the bar moved forward
    assert any(b["progress_message"] == "epoch 2/4" for b in beats)
    assert all(b["worker"] == worker_config.worker_id for b in beats)
    for body in beats:
        protocol.StatusReport.from_json(body)


def test_a_memory_balloon_shows_its_climb_in_the_resource_series(worker_config, stub_site, scorer):
    python = docker_images.python_image()
    script = ("import time\nblocks = []\nfor _ in range(12):\n    blocks.append(b'x' * (16 << 20))\n"
              "    time.sleep(0.4)\ntime.sleep(1)\nopen('/mnt/out/predictions.txt', 'w').write('42\\n')\n")
    image = docker_images.build_from_files(
        "evalbox-test/balloon:latest", f"FROM {python}\nCOPY balloon.py /balloon.py\n"
        'CMD ["/usr/bin/python3", "/balloon.py"]\n', {"balloon.py": (script.encode(), 0o644)})
    kwargs = make_request(stub_site, image, scorer, limits={"memory_mb": 512, "time_limit_s": 60})
    summary = handle_message(kwargs, config=worker_config)
    assert summary["status"] == "FINISHED", summary
    result = stub_site.result()
    series = live.parse_resources(result["resources"])
    memory = series["memory"]
    assert len(memory) >= 4, series
    peak = memory.index(max(memory))
    assert max(memory) > 150 << 20 and memory[0] < max(memory) / 2, memory  # from tens of MB to ~200 MB
    assert peak >= 3 and memory[:peak + 1] == sorted(memory[:peak + 1]), memory  # a climb up to the peak
    assert series["t"] == sorted(series["t"]) and set(series) >= {"t", "cpu", "memory", "pids"}
    assert result["peak_memory_bytes"] >= 190 << 20
    assert result["cpu_seconds"] > 0
    assert len(memory) <= live.MAX_SERIES_POINTS


FLOOD = """
yes '{"evalbox": {"progress": 0.5, "metrics": {"loss": 1}}}' | head -c 60000000
head -c 20000000 /dev/zero | tr '\\0' 'a'
echo
head -c 3000000 /dev/zero | tr '\\0' '{'
echo
yes 'an ordinary line of log' | head -c 20000000
echo 42 > /mnt/out/predictions.txt
"""

METRICS = """
echo '{"evalbox": {"metrics": {"note": "%s"}}}'
seq 1 200 | awk '{print "{\\"evalbox\\": {\\"metrics\\": {\\"k" $1 "\\": " $1 "}}}"}'
echo '{"evalbox": {"metrics": {"k1": 1.5}}}'
head -c 2000000 /dev/zero | tr '\\0' '{'
echo
echo 42 > /mnt/out/predictions.txt
echo done
""" % ("x" * 300)


def test_a_flood_of_progress_lines_and_huge_lines_costs_bounded_memory_and_requests(worker_config, stub_site,
                                                                                      scorer):
    image = docker_images.busybox_script_image("flood-lines", FLOOD)
    kwargs = make_request(stub_site, image, scorer, limits={"time_limit_s": 120, "log_max_kb": 256})
    summary, growth = handle_in_subprocess(kwargs, worker_config)
    assert summary["status"] == "FINISHED", summary
    # About 100 MB of output: 60 MB of progress lines, single lines of 20 MB and 3 MB, 20 MB of lines.
    assert growth < 48 << 20, f"the worker's peak memory grew by {growth >> 20} MB"
    result = stub_site.result()
    assert 0 < len(result["participant_log"]) <= 256 * 1024 + 200
    assert len(result["metadata"]) <= live.MAX_METADATA_KEYS
    # Requests: bounded by the run's duration (one chunk per flush), never by the output's size.
    duration = result["timings"]["participant_run"]
    sent = chunks(stub_site)
    assert len(sent) <= duration / worker_config.log_flush_s + 3, (len(sent), duration)
    assert all(len(c["text"]) <= live.MAX_LOG_CHUNK_CHARS for c in sent)
    beats = stub_site.all("status")
    assert len(beats) <= duration / worker_config.heartbeat_s + 5
    assert max(len(str(r.body)) for r in beats) < 64 * 1024


def test_metadata_keeps_at_most_its_bound_of_keys_and_says_what_it_left_out(worker_config, stub_site, scorer):
    result = evaluated(stub_site, worker_config, scorer, "many-metrics", METRICS)
    metadata = result["metadata"]
    # The first 50 keys are kept, the others left out; an existing key is still updated.
    assert list(metadata) == [f"k{i}" for i in range(1, live.MAX_METADATA_KEYS + 1)]
    assert metadata["k1"] == 1.5 and metadata["k50"] == 50.0
    log = result["participant_log"]
    assert "metric 'k51' left out: at most 50 metrics are kept" in log
    assert "metric 'note' is longer than 200" in log
    assert log.count("[evalbox: a progress line") == 20  # at most 20 notes, then one line
    assert "further problems with progress lines are not shown" in log
    assert "{{{{" in log and log.endswith("done\n")  # a 2 MB line starting with { is logged, cut by the cap
    assert len(log) <= 64 * 1024 + 200
