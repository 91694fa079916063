"""Running one task message in a fresh process, to measure the worker's memory on its own."""

from __future__ import annotations

import multiprocessing
import resource
from typing import Any

from compute_worker.config import WorkerConfig


def _child(kwargs: dict[str, Any], config: WorkerConfig, answers: Any) -> None:
    from compute_worker.tasks import handle_message

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = handle_message(kwargs, config=config)
    answers.put((summary, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def handle_in_subprocess(kwargs: dict[str, Any], config: WorkerConfig, timeout_s: float = 300
                         ) -> tuple[dict[str, Any], int]:
    """``(task summary, growth of the peak resident memory in bytes)`` of one message run in a new process.

    The peak before the task is taken once the worker's modules are imported, so the growth is
    what running the task cost.
    """
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    process = context.Process(target=_child, args=(kwargs, config, answers))
    process.start()
    try:
        summary, before, after = answers.get(timeout=timeout_s)
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    return summary, (after - before) * 1024
