"""What a finished container run means for the submission: a pure function of its outcome.

:func:`classify_run` reads a :class:`runner.RunOutcome` (and the limits it ran under) and
returns the :class:`Failure` to report, or ``None`` when the run went well. The checks come in
order of precedence: a vanished container, one stopped from outside (an engine restart), a gVisor
sandbox that never started, a start error, the time limit, memory, the output caps (entries, depth,
bytes), the file-size signal, the scorer's "bad output" exit code, any other non-zero exit. A
scorer's failure is the organizers' (``SCORING_ERROR``), except for a rejected output and a
runtime that could not start.
"""

from __future__ import annotations

import signal

from . import outputs, protocol, sandbox, trees
from .failure import Failure
from .protocol import FailureReason
from .runner import RunOutcome

#: A scoring image exits with this code when the participant's output is malformed (the
#: submission fails as BAD_OUTPUT); any other non-zero exit is the scorer's own SCORING_ERROR.
SCORER_REJECTS_OUTPUT_EXIT_CODE = 2
#: The exit code of a program killed by SIGXFSZ (128 + 25): a write passed the file-size ulimit,
#: which is the output cap (:func:`sandbox._ulimits`), in /mnt/out or anywhere else.
FILE_SIZE_SIGNAL_EXIT_CODE = 128 + signal.SIGXFSZ
#: A runsc container that exits with code 2 within this many seconds and prints nothing most
#: likely never started (see :data:`sandbox.RUNSC_PIDS_FLOOR`).
RUNSC_SILENT_EXIT_S = 3.0


def _silent_runsc_exit(outcome: RunOutcome, runtime: str) -> bool:
    return (runtime == "runsc" and outcome.exit_code == 2
            and outcome.duration_s < RUNSC_SILENT_EXIT_S and not outcome.log.strip())


def classify_run(outcome: RunOutcome, *, limits: protocol.Limits, runtime: str, scoring: bool) -> Failure | None:
    """The failure ``outcome`` means for the submission, or ``None`` when the run succeeded.

    ``runtime`` is the worker's container runtime; ``scoring`` says whether the organizers'
    scorer ran (rather than the participant's image). A cancelled run is not classified here:
    the caller stops working on the submission.
    """
    who = "The scoring program" if scoring else "Your program"
    reason = FailureReason.SCORING_ERROR if scoring else None
    if outcome.vanished:
        return Failure(reason or FailureReason.CONTAINER_VANISHED,
                       f"{who}'s container disappeared while it ran (removed from outside the worker).")
    if outcome.stopped_from_outside:
        return Failure(FailureReason.WORKER_ERROR,
                       f"{who}'s container was stopped by the worker's Docker engine (a restart) or from outside "
                       "the worker while it ran: its exit code is not the program's own.")
    if _silent_runsc_exit(outcome, runtime):
        return Failure(FailureReason.RUNTIME_ERROR,
                       "The gVisor (runsc) sandbox exited with code 2 at start-up without any output: the "
                       "container runtime could not start it (usually a pids limit too low for gVisor's own "
                       f"threads; the worker applied {sandbox.effective_pids_limit(limits.pids, 'runsc')}).")
    if outcome.error and outcome.exit_code is None:
        return Failure(FailureReason.RUNTIME_ERROR, f"{who} could not be started: {outcome.error}")
    if outcome.timed_out:
        return Failure(reason or FailureReason.TIME_LIMIT,
                       f"{who} ran longer than the time limit of {limits.time_limit_s} s and was stopped.")
    if outcome.oom_killed:
        return Failure(reason or FailureReason.OUT_OF_MEMORY,
                       f"{who} ran out of memory (limit {limits.memory_mb} MB) and was killed.")
    if outcome.output_files_exceeded:
        return Failure(reason or FailureReason.OUTPUT_TOO_LARGE,
                       f"{who} wrote more than {outputs.MAX_OUTPUT_FILES} files and directories to /mnt/out.")
    if outcome.output_too_deep:
        return Failure(reason or FailureReason.BAD_OUTPUT,
                       f"{who} nested directories in /mnt/out deeper than {trees.MAX_DEPTH} levels.")
    if outcome.output_exceeded:
        return Failure(reason or FailureReason.OUTPUT_TOO_LARGE,
                       f"{who} wrote more than the output cap of {limits.output_max_mb} MB."
                       if not scoring else
                       f"The scoring program wrote more than {outputs.MAX_SCORER_OUTPUT_BYTES >> 20} MB to /mnt/out.")
    if outcome.exit_code == FILE_SIZE_SIGNAL_EXIT_CODE:
        return Failure(reason or FailureReason.OUTPUT_TOO_LARGE,
                       f"{who} wrote more than the output cap of {limits.output_max_mb} MB: a file reached the "
                       f"file-size limit (the cap, for any file, in /tmp too) and the program was killed by SIGXFSZ "
                       f"(exit code {FILE_SIZE_SIGNAL_EXIT_CODE}).")
    if scoring and outcome.exit_code == SCORER_REJECTS_OUTPUT_EXIT_CODE:
        return Failure(FailureReason.BAD_OUTPUT,
                       "The scoring program rejected your output (it exited with code "
                       f"{SCORER_REJECTS_OUTPUT_EXIT_CODE}): check the output format the organizers ask for.")
    if outcome.exit_code != 0:
        return Failure(reason or FailureReason.NON_ZERO_EXIT, f"{who} exited with code {outcome.exit_code}.")
    return None
