"""GPU memory and utilization of a run's GPUs, read with NVML.

NVML's Python binding (``pynvml``, from the ``nvidia-ml-py`` package: ``pip install
'evalbox[worker,gpu]'``) is imported only when a run holds GPUs, so a worker without GPUs never
needs it. The figures are per device: a GPU slot belongs to one run at a time
(:mod:`compute_worker.gpu`), so a device's use is the run's.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger(__name__)


class GpuProbe:
    """NVML handles of the run's GPUs; :meth:`sample` reads them, :meth:`close` shuts NVML down."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self.nvml = nvml
        self.handles = handles

    def sample(self) -> dict[str, float]:
        """``{"gpu_memory": bytes used on the run's GPUs, "gpu_util": their mean utilization in %}``."""
        try:
            memory = sum(self.nvml.nvmlDeviceGetMemoryInfo(handle).used for handle in self.handles)
            utilization = [self.nvml.nvmlDeviceGetUtilizationRates(handle).gpu for handle in self.handles]
        except self.nvml.NVMLError as exc:
            logger.debug("NVML sample failed: %s", exc)
            return {}
        return {"gpu_memory": float(memory), "gpu_util": float(sum(utilization) / len(utilization))}

    def close(self) -> None:
        """Shut NVML down."""
        try:
            self.nvml.nvmlShutdown()
        except self.nvml.NVMLError as exc:
            logger.debug("NVML shutdown failed: %s", exc)


def _handle(nvml: Any, gpu_id: str) -> Any:
    """A device handle by index (``0``) or UUID (``GPU-...``), as ``EVALBOX_GPUS`` names it."""
    if gpu_id.isdigit():
        return nvml.nvmlDeviceGetHandleByIndex(int(gpu_id))
    return nvml.nvmlDeviceGetHandleByUUID(gpu_id)


def open_probe(gpu_ids: Sequence[str]) -> GpuProbe | None:
    """A probe of ``gpu_ids``, or ``None`` without GPUs, without NVML (a warning) or when NVML fails."""
    if not gpu_ids:
        return None
    try:
        nvml = importlib.import_module("pynvml")
    except ImportError:
        logger.warning("GPU metrics are off: NVML's binding is missing (pip install nvidia-ml-py)")
        return None
    try:
        nvml.nvmlInit()
        return GpuProbe(nvml, [_handle(nvml, gpu_id) for gpu_id in gpu_ids])
    except nvml.NVMLError as exc:
        logger.warning("GPU metrics are off: NVML failed: %s", exc)
        return None
