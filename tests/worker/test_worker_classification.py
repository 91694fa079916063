"""The classification of a finished run, a pure function: a table of outcomes -> (reason, message), no Docker."""

from __future__ import annotations

import pytest

from compute_worker.classification import RUNSC_SILENT_EXIT_S, classify_run
from compute_worker.protocol import FailureReason, Limits
from compute_worker.runner import RunOutcome

LIMITS = Limits(time_limit_s=30, memory_mb=64, pids=32, output_max_mb=5)
R = FailureReason

TABLE = [
    # outcome, scoring, runtime -> reason, message
    pytest.param(RunOutcome(exit_code=143, stopped_from_outside=True), True, "runc", R.WORKER_ERROR,
                 "The scoring program's container was stopped by the worker's Docker engine (a restart) or from "
                 "outside the worker while it ran: its exit code is not the program's own.",
                 id="scorer-stopped-from-outside"),
    pytest.param(RunOutcome(vanished=True), False, "runc", R.CONTAINER_VANISHED,
                 "Your program's container disappeared while it ran (removed from outside the worker).",
                 id="vanished"),
    pytest.param(RunOutcome(vanished=True, timed_out=True), True, "runc", R.SCORING_ERROR,
                 "The scoring program's container disappeared while it ran (removed from outside the worker).",
                 id="scorer-vanished-before-time-limit"),
    pytest.param(RunOutcome(exit_code=2, duration_s=0.3), False, "runsc", R.RUNTIME_ERROR,
                 "The gVisor (runsc) sandbox exited with code 2 at start-up without any output: the container "
                 "runtime could not start it (usually a pids limit too low for gVisor's own threads; the worker "
                 "applied 4096).", id="silent-runsc-exit"),
    pytest.param(RunOutcome(exit_code=2, duration_s=0.3, log=" \n"), True, "runsc", R.RUNTIME_ERROR,
                 "The gVisor (runsc) sandbox exited with code 2 at start-up without any output: the container "
                 "runtime could not start it (usually a pids limit too low for gVisor's own threads; the worker "
                 "applied 4096).", id="silent-runsc-exit-of-the-scorer-is-not-bad-output"),
    pytest.param(RunOutcome(exit_code=2, duration_s=0.3), False, "runc", R.NON_ZERO_EXIT,
                 "Your program exited with code 2.", id="quick-exit-2-under-runc"),
    pytest.param(RunOutcome(exit_code=2, duration_s=0.3, log="usage: ...\n"), False, "runsc", R.NON_ZERO_EXIT,
                 "Your program exited with code 2.", id="runsc-exit-2-with-output"),
    pytest.param(RunOutcome(exit_code=2, duration_s=RUNSC_SILENT_EXIT_S), False, "runsc", R.NON_ZERO_EXIT,
                 "Your program exited with code 2.", id="runsc-exit-2-after-it-started"),
    pytest.param(RunOutcome(error="OCI runtime create failed"), False, "runc", R.RUNTIME_ERROR,
                 "Your program could not be started: OCI runtime create failed", id="start-error"),
    pytest.param(RunOutcome(error="no such runtime"), True, "runc", R.RUNTIME_ERROR,
                 "The scoring program could not be started: no such runtime", id="scorer-start-error"),
    pytest.param(RunOutcome(exit_code=1, error="exec format error"), False, "runc", R.NON_ZERO_EXIT,
                 "Your program exited with code 1.", id="engine-error-after-an-exit-code"),
    pytest.param(RunOutcome(exit_code=137, timed_out=True, oom_killed=True), False, "runc", R.TIME_LIMIT,
                 "Your program ran longer than the time limit of 30 s and was stopped.", id="time-limit"),
    pytest.param(RunOutcome(exit_code=137, timed_out=True), True, "runc", R.SCORING_ERROR,
                 "The scoring program ran longer than the time limit of 30 s and was stopped.",
                 id="scorer-time-limit"),
    pytest.param(RunOutcome(exit_code=137, oom_killed=True, output_exceeded=True), False, "runc",
                 R.OUT_OF_MEMORY, "Your program ran out of memory (limit 64 MB) and was killed.", id="oom"),
    pytest.param(RunOutcome(exit_code=137, oom_killed=True), True, "runc", R.SCORING_ERROR,
                 "The scoring program ran out of memory (limit 64 MB) and was killed.", id="scorer-oom"),
    pytest.param(RunOutcome(exit_code=137, output_files_exceeded=True, output_exceeded=True), False, "runc",
                 R.OUTPUT_TOO_LARGE, "Your program wrote more than 50000 files and directories to /mnt/out.",
                 id="too-many-output-files"),
    pytest.param(RunOutcome(exit_code=153, output_exceeded=True), False, "runc", R.OUTPUT_TOO_LARGE,
                 "Your program wrote more than the output cap of 5 MB.", id="output-cap"),
    pytest.param(RunOutcome(exit_code=153), False, "runc", R.OUTPUT_TOO_LARGE,
                 "Your program wrote more than the output cap of 5 MB: a file reached the file-size limit (the cap, "
                 "for any file, in /tmp too) and the program was killed by SIGXFSZ (exit code 153).",
                 id="sigxfsz-outside-the-output"),
    pytest.param(RunOutcome(exit_code=153), True, "runsc", R.SCORING_ERROR,
                 "The scoring program wrote more than the output cap of 5 MB: a file reached the file-size limit (the "
                 "cap, for any file, in /tmp too) and the program was killed by SIGXFSZ (exit code 153).",
                 id="scorer-sigxfsz"),
    pytest.param(RunOutcome(exit_code=0, output_too_deep=True, output_exceeded=True), False, "runc",
                 R.BAD_OUTPUT, "Your program nested directories in /mnt/out deeper than 64 levels.",
                 id="output-too-deep"),
    pytest.param(RunOutcome(exit_code=0, output_exceeded=True), True, "runc", R.SCORING_ERROR,
                 "The scoring program wrote more than 3 MB to /mnt/out.", id="scorer-output-cap"),
    pytest.param(RunOutcome(exit_code=2), True, "runc", R.BAD_OUTPUT,
                 "The scoring program rejected your output (it exited with code 2): check the output format the "
                 "organizers ask for.", id="scorer-exit-2-is-bad-output"),
    pytest.param(RunOutcome(exit_code=2, duration_s=5.0, log="missing id 7\n"), True, "runsc", R.BAD_OUTPUT,
                 "The scoring program rejected your output (it exited with code 2): check the output format the "
                 "organizers ask for.", id="scorer-exit-2-under-runsc"),
    pytest.param(RunOutcome(exit_code=1), True, "runc", R.SCORING_ERROR,
                 "The scoring program exited with code 1.", id="scorer-non-zero-exit"),
    pytest.param(RunOutcome(exit_code=3), False, "runsc", R.NON_ZERO_EXIT,
                 "Your program exited with code 3.", id="non-zero-exit"),
]


@pytest.mark.parametrize(("outcome", "scoring", "runtime", "reason", "message"), TABLE)
def test_a_failed_run_is_classified(outcome: RunOutcome, scoring: bool, runtime: str, reason: FailureReason,
                                    message: str) -> None:
    failure = classify_run(outcome, limits=LIMITS, runtime=runtime, scoring=scoring)
    assert failure is not None
    assert (failure.reason, failure.message) == (reason, message)


@pytest.mark.parametrize("scoring", [False, True])
@pytest.mark.parametrize("runtime", ["runc", "runsc"])
def test_a_clean_exit_is_no_failure(scoring: bool, runtime: str) -> None:
    outcome = RunOutcome(exit_code=0, duration_s=0.2, peak_memory_bytes=1 << 20, log="done\n")
    assert classify_run(outcome, limits=LIMITS, runtime=runtime, scoring=scoring) is None


def test_the_runsc_message_names_the_pids_limit_applied() -> None:
    failure = classify_run(RunOutcome(exit_code=2, duration_s=0.1), limits=Limits(pids=1000), runtime="runsc",
                           scoring=False)
    assert failure is not None and failure.message.endswith("the worker applied 16000).")
