"""The contract between the evalbox site and its compute workers: the only code both import.

- :mod:`.messages`: the task's :class:`RunRequest` with its :class:`Limits`, and the worker's
  status, log and result reports;
- :mod:`.pull_token`: the worker's pull token for an image in the platform registry;
- :mod:`.states`: the submission states, the failure reasons and the table of allowed moves;
- :mod:`.references`: the Docker image reference grammar and registry allow lists;
- :mod:`.live`: what a running submission reports besides its state (log chunks, progress,
  metadata, resource series) and their bounds; :mod:`.values`: the checks of the reports' values;
- :mod:`.limit_options`: the phase's limits as command-line options;
- :mod:`.archive_rules`: which archive member names and link targets are safe;
- :mod:`.transport`: the compute queue declaration and broker options (needs ``kombu``, so it
  is imported by name: ``from compute_worker.protocol import transport``).

Everything here except :mod:`.transport` is pure Python without third-party imports, so the
participant CLI can use the reference grammar with nothing but ``requests`` installed. Nothing
in this package imports the rest of ``compute_worker``.
"""

from .archive_rules import archive_member_problem, link_target_problem
from .errors import ProtocolError
from .messages import (
    INPUT_DATA_PATH,
    LOGS_PATH,
    MAX_DETAILED_RESULTS_BYTES,
    MAX_FAILURE_DETAIL_CHARS,
    MAX_REPORT_LOG_CHARS,
    MAX_SCORE_KEY_LENGTH,
    MAX_SCORE_KEYS,
    PREDICTIONS_PATH,
    REFERENCE_DATA_PATH,
    REGISTRY_TOKEN_PATH,
    RESULT_PATH,
    SCHEMA_VERSION,
    STATUS_PATH,
    TASK_NAME,
    Limits,
    LogReport,
    ResultReport,
    RunRequest,
    StatusReport,
    validate_scores,
)
from .pull_token import PullToken
from .references import (
    DEFAULT_REGISTRY,
    MAX_REFERENCE_LENGTH,
    ImageReference,
    parse_reference,
    registry_allowed,
    registry_host,
)
from .states import (
    ACTIVE_STATES,
    FINAL_STATES,
    REPORTED_ACTIONS,
    TRANSITIONS,
    Action,
    FailureReason,
    Status,
    next_status,
)

__all__ = [
    "ACTIVE_STATES", "Action", "DEFAULT_REGISTRY", "FINAL_STATES", "FailureReason", "INPUT_DATA_PATH",
    "ImageReference", "LOGS_PATH", "Limits", "LogReport", "MAX_DETAILED_RESULTS_BYTES", "MAX_FAILURE_DETAIL_CHARS",
    "MAX_REFERENCE_LENGTH",
    "MAX_REPORT_LOG_CHARS", "MAX_SCORE_KEYS", "MAX_SCORE_KEY_LENGTH", "PREDICTIONS_PATH", "ProtocolError",
    "PullToken", "REFERENCE_DATA_PATH", "REGISTRY_TOKEN_PATH", "REPORTED_ACTIONS", "RESULT_PATH", "ResultReport",
    "RunRequest", "SCHEMA_VERSION", "STATUS_PATH", "Status", "StatusReport", "TASK_NAME", "TRANSITIONS",
    "archive_member_problem", "link_target_problem", "next_status", "parse_reference", "registry_allowed",
    "registry_host",
    "validate_scores",
]
