"""The parts of a live run one by one: the capped log's chunks, the bounded series, NVML (mocked: no GPU here)."""

from __future__ import annotations

import sys
import threading
import time
import types

import pytest

from compute_worker import gpu_metrics, resources
from compute_worker.capped_log import CappedLog
from compute_worker.live_reports import LogChunker
from compute_worker.protocol import live
from compute_worker.resources import ResourceSeries
from tests.helpers import docker_images


def test_chunks_follow_the_head_then_skip_to_the_newest_tail():
    log = CappedLog(100)  # head 50, tail 50
    log.write(b"a" * 30)
    assert log.since(0, 1000) == (0, b"a" * 30)
    log.write(b"b" * 30)  # head full (50: 30 a, 20 b), 10 bytes in the tail, nothing dropped yet
    assert log.since(30, 1000) == (30, b"b" * 30)
    assert log.since(30, 25) == (30, b"b" * 25)
    log.write(b"c" * 200)  # the tail keeps the newest 50 bytes: 160 bytes dropped
    start, data = log.since(60, 1000)
    assert (start, data) == (210, b"c" * 50)  # a gap: the site shows it as omitted
    assert log.since(60, 20) == (240, b"c" * 20)  # in the tail, the newest first
    assert log.since(260, 20) == (260, b"")


def test_a_chunk_never_ends_inside_a_character():
    log = CappedLog(1000)
    log.write("é".encode()[:1])
    chunker = LogChunker("participant")
    assert chunker.next_chunk(log) is None  # half a character: wait for the rest
    log.write("é".encode()[1:] + "€ ok".encode())
    chunk = chunker.next_chunk(log)
    assert chunk.text == "é€ ok" and (chunk.offset, chunk.end) == (0, 8)
    chunker.taken(chunk)
    assert chunker.next_chunk(log) is None


def test_the_series_stays_bounded_and_keeps_the_peak_of_a_long_run():
    series = ResourceSeries(max_points=10)
    for second in range(1000):
        series.add(float(second), {"memory": 100.0 + (5000.0 if second == 777 else 0.0), "cpu": 1.0})
    data = series.to_json()
    assert 5 <= len(data["t"]) <= 10 and series.stride >= 64
    assert max(data["memory"]) == 5100.0  # a one-second spike survives downsampling (peak kept)
    assert all(abs(value - 1.0) < 1e-9 for value in data["cpu"])  # CPU is averaged
    assert data["t"] == sorted(data["t"]) and data["t"][0] == 0.0
    live.parse_resources(data)  # within the contract



def test_a_partial_stats_sample_is_left_out_and_keeps_every_column():
    series = ResourceSeries(max_points=10)
    series.add(0.0, {"memory": 10.0, "cpu": 0.5})  # Docker's first sample: no pids yet
    for second in range(1, 6):
        series.add(float(second), {"memory": 10.0 * second, "cpu": 1.0, "pids": 3.0})
    series.add(6.0, {"memory": 70.0})  # the sample as the container exits
    data = series.to_json()
    assert set(data) == {"t", "memory", "cpu", "pids"}
    assert data["t"] == [1.0, 2.0, 3.0, 4.0, 5.0] and data["pids"] == [3.0] * 5
    live.parse_resources(data)

class FakeNvml(types.ModuleType):
    """NVML as ``pynvml`` offers it, with two GPUs of fixed figures."""

    class NVMLError(Exception):
        pass

    def __init__(self) -> None:
        super().__init__("pynvml")
        self.calls: list[str] = []

    def nvmlInit(self):  # noqa: N802 - NVML's names
        self.calls.append("init")

    def nvmlShutdown(self):  # noqa: N802
        self.calls.append("shutdown")

    def nvmlDeviceGetHandleByIndex(self, index):  # noqa: N802
        return f"gpu{index}"

    def nvmlDeviceGetHandleByUUID(self, uuid):  # noqa: N802
        return uuid

    def nvmlDeviceGetMemoryInfo(self, handle):  # noqa: N802
        return types.SimpleNamespace(used=3 << 30 if handle == "gpu0" else 1 << 30)

    def nvmlDeviceGetUtilizationRates(self, handle):  # noqa: N802
        return types.SimpleNamespace(gpu=80 if handle == "gpu0" else 40)


def test_gpu_figures_come_from_nvml_for_the_run_s_gpus(mocker):
    nvml = FakeNvml()
    mocker.patch.dict(sys.modules, {"pynvml": nvml})
    probe = gpu_metrics.open_probe(["0", "GPU-abc"])
    assert probe.handles == ["gpu0", "GPU-abc"]
    assert probe.sample() == {"gpu_memory": float(4 << 30), "gpu_util": 60.0}
    probe.close()
    assert nvml.calls == ["init", "shutdown"]


def test_nvml_is_not_imported_without_gpus_and_its_absence_costs_only_the_gpu_figures(mocker, caplog):
    mocker.patch.dict(sys.modules, {"pynvml": None})  # importing it fails
    assert gpu_metrics.open_probe([]) is None
    assert "NVML" not in caplog.text
    assert gpu_metrics.open_probe(["0"]) is None
    assert "GPU metrics are off: NVML's binding is missing" in caplog.text


@pytest.mark.usefixtures("docker_client")
def test_a_running_container_with_gpus_gets_gpu_columns_in_its_series(mocker):
    nvml = FakeNvml()
    mocker.patch.dict(sys.modules, {"pynvml": nvml})
    image = docker_images.busybox_script_image("sleep-3", "sleep 3\n")
    client = docker_images.client()
    container = client.containers.run(image, detach=True, network_mode="none")
    try:
        series, stop = ResourceSeries(), threading.Event()
        thread = threading.Thread(target=resources.sample_resources, args=(container, series, stop),
                                  kwargs={"started": time.monotonic(), "gpu": gpu_metrics.open_probe(["0"])})
        thread.start()
        time.sleep(2.8)
        stop.set()
        thread.join(timeout=10)
    finally:
        container.remove(force=True)
        client.close()
    data = series.to_json()
    assert data["gpu_memory"] and set(data["gpu_memory"]) == {float(3 << 30)}
    assert set(data["gpu_util"]) == {80.0} and {"memory", "cpu", "pids"} <= set(data)
