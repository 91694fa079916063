"""The messages between the site and its compute workers, and their limits.

What travels:
- site -> worker: a :class:`RunRequest`, sent as the keyword arguments of the Celery task
  :data:`TASK_NAME` (``RunRequest.to_kwargs()`` / ``RunRequest.from_kwargs()``);
- worker -> site: :class:`StatusReport`, :class:`LogReport` and :class:`ResultReport` as JSON
  bodies of ``POST {api_url}status``, ``{api_url}logs`` and ``{api_url}result``, each with
  ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from . import live
from .errors import ProtocolError
from .references import parse_reference
from .states import FailureReason, Status
from .values import as_float, finite, integer, json_object, optional, text_value

SCHEMA_VERSION = 1
TASK_NAME = "compute_worker.run_submission"

#: Paths under a submission's worker API URL (``RunRequest.api_url`` ends with ``/``).
STATUS_PATH = "status"
LOGS_PATH = "logs"
RESULT_PATH = "result"
INPUT_DATA_PATH = "input-data"
REFERENCE_DATA_PATH = "reference-data"
PREDICTIONS_PATH = "predictions"
#: ``GET`` a pull token for the submission's image in the platform registry (:class:`PullToken`).
REGISTRY_TOKEN_PATH = "registry-token"

#: Scores: at most this many keys, each key at most this long.
MAX_SCORE_KEYS = 100
MAX_SCORE_KEY_LENGTH = 64
#: A log sent in a report is cut to this many characters (head and tail kept by the worker).
MAX_REPORT_LOG_CHARS = 1_000_000
#: The scorer's optional ``detailed_results.html``: at most this many bytes on disk, and characters in a report.
MAX_DETAILED_RESULTS_BYTES = 1 << 20
#: A failure's ``failure_detail`` (the engine's or the worker's own words) is at most this long.
MAX_FAILURE_DETAIL_CHARS = 2000
#: Integers of the reports fit the site's columns: an exit code a 32-bit signed int, a byte
#: count a 63-bit one; an attempt is at most the thousandth (a request's own bound).
INT32 = (-(2**31), 2**31 - 1)
BYTES = (0, 2**63 - 1)
ATTEMPTS = (1, 1000)


# --------------------------------------------------------------------------- site -> worker
_SHA256_HEX = re.compile(r"[a-f0-9]{64}\Z")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run (the phase's settings)."""

    time_limit_s: int = 600
    memory_mb: int = 2048
    cpus: float = 1.0
    pids: int = 256
    gpus: int = 0
    output_max_mb: int = 512
    log_max_kb: int = 256

    def validate(self) -> None:
        """Raise :class:`ProtocolError` unless every limit is a positive number in range."""
        _positive_int(self.time_limit_s, "limits.time_limit_s", maximum=7 * 24 * 3600)
        _positive_int(self.memory_mb, "limits.memory_mb", maximum=1024 * 1024)
        if isinstance(self.cpus, bool) or not isinstance(self.cpus, (int, float)) or not (
            math.isfinite(self.cpus) and 0 < self.cpus <= 1024
        ):
            raise ProtocolError("limits.cpus must be a number between 0 and 1024.")
        _positive_int(self.pids, "limits.pids", maximum=1_000_000)
        _positive_int(self.gpus, "limits.gpus", minimum=0, maximum=64)
        _positive_int(self.output_max_mb, "limits.output_max_mb", maximum=1024 * 1024)
        _positive_int(self.log_max_kb, "limits.log_max_kb", maximum=1024 * 1024)


def _positive_int(value: Any, name: str, *, minimum: int = 1, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ProtocolError(f"{name} must be an integer between {minimum} and {maximum}.")


@dataclass(frozen=True)
class RunRequest:
    """What the site asks a worker to do for one submission (the Celery task's kwargs).

    ``image`` is the participant's normalized reference, or ``""`` for a results-upload
    submission whose predictions archive is at ``predictions_url``. Data URLs are ``""`` when
    the phase has no such data. ``pull_token_url`` is set only for an image in the platform
    registry: the worker gets its pull token there (:class:`PullToken`). The scoring image is
    kept in the worker's image cache until ``scoring_image_keep_until`` (Unix time, the phase's
    end; 0: the phase never closes).
    """

    submission_id: int
    image: str
    scoring_image: str
    api_url: str
    token: str
    limits: Limits = field(default_factory=Limits)
    input_data_url: str = ""
    input_data_sha256: str = ""
    reference_data_url: str = ""
    reference_data_sha256: str = ""
    predictions_url: str = ""
    predictions_sha256: str = ""
    allowed_registries: tuple[str, ...] = ()
    attempt: int = 1
    pull_token_url: str = ""
    scoring_image_keep_until: float = 0.0
    schema: int = SCHEMA_VERSION

    def to_kwargs(self) -> dict[str, Any]:
        """The JSON-serializable task kwargs."""
        data = asdict(self)
        data["allowed_registries"] = list(self.allowed_registries)
        return data

    @classmethod
    def from_kwargs(cls, kwargs: Any) -> RunRequest:
        """Build and validate a request from task kwargs; raise :class:`ProtocolError` if malformed."""
        if not isinstance(kwargs, dict):
            raise ProtocolError("The task arguments must be a JSON object.")
        schema = kwargs.get("schema")
        if schema != SCHEMA_VERSION:
            raise ProtocolError(f"Unsupported message schema version {schema!r}; this worker speaks {SCHEMA_VERSION}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ProtocolError(f"Unknown fields in the message: {', '.join(unknown)}.")
        limits = kwargs.get("limits", {})
        if not isinstance(limits, dict):
            raise ProtocolError("limits must be a JSON object.")
        limit_names = {f.name for f in fields(Limits)}
        if set(limits) - limit_names:
            raise ProtocolError(f"Unknown limits: {', '.join(sorted(set(limits) - limit_names))}.")
        try:
            registries = tuple(kwargs.get("allowed_registries", ()))
            request = cls(**{**kwargs, "limits": Limits(**limits), "allowed_registries": registries})
        except TypeError as exc:
            raise ProtocolError(f"Malformed message: {exc}.") from exc
        request.validate()
        return request

    def validate(self) -> None:
        """Raise :class:`ProtocolError` unless every field is well-formed."""
        _positive_int(self.submission_id, "submission_id", maximum=2**63 - 1)
        _positive_int(self.attempt, "attempt", maximum=ATTEMPTS[1])
        for name in ("image", "scoring_image", "api_url", "token", "input_data_url", "input_data_sha256",
                     "reference_data_url", "reference_data_sha256", "predictions_url", "predictions_sha256",
                     "pull_token_url"):
            if not isinstance(getattr(self, name), str):
                raise ProtocolError(f"{name} must be a string.")
        if not all(isinstance(r, str) for r in self.allowed_registries):
            raise ProtocolError("allowed_registries must be a list of strings.")
        if bool(self.image) == bool(self.predictions_url):
            raise ProtocolError("Exactly one of image and predictions_url must be given.")
        if self.image:
            parse_reference(self.image)
        if not self.scoring_image:
            raise ProtocolError("scoring_image is required.")
        parse_reference(self.scoring_image)
        if not self.api_url.startswith(("http://", "https://")) or not self.api_url.endswith("/"):
            raise ProtocolError("api_url must be an http(s) URL ending with '/'.")
        if not self.token:
            raise ProtocolError("token is required.")
        if self.pull_token_url and not (self.image and self.pull_token_url.startswith(self.api_url)):
            raise ProtocolError("pull_token_url must be a URL under api_url, for an image submission.")
        finite(self.scoring_image_keep_until, "scoring_image_keep_until")
        for prefix in ("input_data", "reference_data", "predictions"):
            url, digest = getattr(self, f"{prefix}_url"), getattr(self, f"{prefix}_sha256")
            if url and not url.startswith(("http://", "https://")):
                raise ProtocolError(f"{prefix}_url must be an http(s) URL.")
            if url and not _SHA256_HEX.match(digest):
                raise ProtocolError(f"{prefix}_sha256 must be 64 lowercase hexadecimal characters.")
        self.limits.validate()


# --------------------------------------------------------------------------- worker -> site
@dataclass(frozen=True)
class StatusReport:
    """``POST {api_url}status``: the submission entered ``status`` (RUNNING or SCORING) or is alive.

    A report repeating the current status is a heartbeat: it updates ``elapsed_s``, ``message``
    and what the running program said so far (:mod:`.live`): ``progress`` with its message, its
    ``metadata`` and the ``resources`` series (``None``: nothing new). ``worker`` names the worker.
    """

    status: Status
    message: str = ""
    elapsed_s: float = 0.0
    attempt: int = 1
    progress: float | None = None
    progress_message: str = ""
    metadata: dict[str, Any] | None = None
    resources: dict[str, list[float]] | None = None
    worker: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON body."""
        return {"status": self.status.value, "message": self.message, "elapsed_s": self.elapsed_s,
                "attempt": self.attempt, "progress": self.progress, "progress_message": self.progress_message,
                "metadata": self.metadata, "resources": self.resources, "worker": self.worker}

    @classmethod
    def from_json(cls, data: Any) -> StatusReport:
        """Parse a JSON body; raise :class:`ProtocolError` if malformed."""
        data = json_object(data)
        status = _status(data.get("status"))
        if status not in (Status.RUNNING, Status.SCORING):
            raise ProtocolError("A status report must be RUNNING or SCORING.")
        metadata, resources = data.get("metadata"), data.get("resources")
        return cls(status=status, message=text_value(data.get("message", ""), "message", 2000),
                   elapsed_s=finite(data.get("elapsed_s", 0.0), "elapsed_s"),
                   attempt=integer(data.get("attempt", 1), "attempt", ATTEMPTS),
                   progress=live.parse_progress(data.get("progress")),
                   progress_message=text_value(data.get("progress_message", ""), "progress_message",
                                          live.MAX_PROGRESS_MESSAGE),
                   metadata=None if metadata is None else live.parse_metadata(metadata),
                   resources=None if resources is None else live.parse_resources(resources),
                   worker=text_value(data.get("worker", ""), "worker", 200))


@dataclass(frozen=True)
class LogReport:
    """``POST {api_url}logs``: output of a container (``participant`` or ``scoring``).

    With ``offset`` and ``end`` it is a live chunk: the bytes ``[offset, end)`` of the stream as
    text (at most :data:`live.MAX_LOG_CHUNK_CHARS`), appended by the site unless it has them
    already (a retry). Without them it is the whole final log of the run, which replaces
    what the chunks built.
    """

    stream: str
    text: str
    offset: int | None = None
    end: int | None = None

    @property
    def is_chunk(self) -> bool:
        """Whether this is a live chunk (else the final log)."""
        return self.offset is not None

    def to_json(self) -> dict[str, Any]:
        """The JSON body."""
        data: dict[str, Any] = {"stream": self.stream, "text": self.text}
        if self.is_chunk:
            data.update(offset=self.offset, end=self.end)
        return data

    @classmethod
    def from_json(cls, data: Any) -> LogReport:
        """Parse a JSON body; raise :class:`ProtocolError` if malformed."""
        data = json_object(data)
        stream = data.get("stream")
        if stream not in ("participant", "scoring"):
            raise ProtocolError("stream must be 'participant' or 'scoring'.")
        if data.get("offset") is None:
            return cls(stream=stream, text=text_value(data.get("text", ""), "text", MAX_REPORT_LOG_CHARS))
        offset, end = live.parse_offset(data["offset"], "offset"), live.parse_offset(data.get("end"), "end")
        text = data.get("text")
        if end < offset or not isinstance(text, str) or len(text) > live.MAX_LOG_CHUNK_CHARS:
            raise ProtocolError(f"A log chunk needs end >= offset and a text of at most {live.MAX_LOG_CHUNK_CHARS} "
                                "characters.")
        return cls(stream=stream, text=text, offset=offset, end=end)


@dataclass(frozen=True)
class ResultReport:
    """``POST {api_url}result``: the final outcome, FINISHED with scores or FAILED with a reason."""

    status: Status
    scores: dict[str, float] = field(default_factory=dict)
    failure_reason: FailureReason | None = None
    failure_message: str = ""
    #: What the engine or the worker saw (for organizers only: it may name the workers' machines).
    failure_detail: str = ""
    image_digest: str = ""
    image_labels: dict[str, str] = field(default_factory=dict)
    exit_code: int | None = None
    duration_s: float | None = None
    peak_memory_bytes: int | None = None
    participant_log: str = ""
    scoring_log: str = ""
    #: The scorer's ``detailed_results.html`` (FINISHED only; at most :data:`MAX_DETAILED_RESULTS_BYTES`).
    detailed_results: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    attempt: int = 1
    cpu_seconds: float | None = None
    scoring_exit_code: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, list[float]] = field(default_factory=dict)
    worker: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON body."""
        data = asdict(self)
        data["status"] = self.status.value
        data["failure_reason"] = self.failure_reason.value if self.failure_reason else None
        return data

    @classmethod
    def from_json(cls, data: Any) -> ResultReport:
        """Parse a JSON body; raise :class:`ProtocolError` if malformed."""
        data = json_object(data)
        status = _status(data.get("status"))
        if status not in (Status.FINISHED, Status.FAILED):
            raise ProtocolError("A result must be FINISHED or FAILED.")
        reason_value = data.get("failure_reason")
        reason = None
        if reason_value is not None:
            try:
                reason = FailureReason(reason_value)
            except ValueError as exc:
                raise ProtocolError(f"Unknown failure_reason {reason_value!r}.") from exc
        if status is Status.FAILED and reason is None:
            raise ProtocolError("A FAILED result needs a failure_reason.")
        scores = validate_scores(data.get("scores", {})) if status is Status.FINISHED else {}
        detailed = text_value(data.get("detailed_results", ""), "detailed_results", MAX_DETAILED_RESULTS_BYTES)
        labels = data.get("image_labels", {}) or {}
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise ProtocolError("image_labels must be an object of strings.")
        timings = data.get("timings", {}) or {}
        if not isinstance(timings, dict):
            raise ProtocolError("timings must be an object of numbers.")
        return cls(
            status=status,
            scores=scores,
            failure_reason=reason,
            failure_message=text_value(data.get("failure_message", ""), "failure_message", 4000),
            failure_detail=text_value(data.get("failure_detail", ""), "failure_detail", MAX_FAILURE_DETAIL_CHARS),
            image_digest=text_value(data.get("image_digest", ""), "image_digest", 300),
            image_labels={k[:200]: v[:1000] for k, v in list(labels.items())[:100]},
            exit_code=optional(data.get("exit_code"), lambda v: integer(v, "exit_code", INT32)),
            duration_s=optional(data.get("duration_s"), lambda v: finite(v, "duration_s")),
            peak_memory_bytes=optional(data.get("peak_memory_bytes"),
                                        lambda v: integer(v, "peak_memory_bytes", BYTES)),
            participant_log=text_value(data.get("participant_log", ""), "participant_log", MAX_REPORT_LOG_CHARS),
            scoring_log=text_value(data.get("scoring_log", ""), "scoring_log", MAX_REPORT_LOG_CHARS),
            detailed_results=detailed if status is Status.FINISHED else "",
            timings={str(k)[:64]: finite(v, f"timings.{k}") for k, v in list(timings.items())[:50]},
            attempt=integer(data.get("attempt", 1), "attempt", ATTEMPTS),
            **_run_facts(data),
        )


def _run_facts(data: dict[str, Any]) -> dict[str, Any]:
    """The result's fields about the runs beyond the first version of the contract (all optional)."""
    return {
        "cpu_seconds": optional(data.get("cpu_seconds"), lambda v: finite(v, "cpu_seconds")),
        "scoring_exit_code": optional(data.get("scoring_exit_code"), lambda v: integer(v, "scoring_exit_code", INT32)),
        "metadata": live.parse_metadata(data.get("metadata")),
        "resources": live.parse_resources(data.get("resources")),
        "worker": text_value(data.get("worker", ""), "worker", 200),
    }


def validate_scores(scores: Any) -> dict[str, float]:
    """Check scores are a flat object of at most :data:`MAX_SCORE_KEYS` finite numbers.

    Returns them as floats; raises :class:`ProtocolError` with a message fit for a participant.
    """
    if not isinstance(scores, dict):
        raise ProtocolError("Scores must be a JSON object mapping names to numbers.")
    if not scores:
        raise ProtocolError("Scores are empty.")
    if len(scores) > MAX_SCORE_KEYS:
        raise ProtocolError(f"Scores have {len(scores)} keys; at most {MAX_SCORE_KEYS} are allowed.")
    result = {}
    for key, value in scores.items():
        if not isinstance(key, str) or not key or len(key) > MAX_SCORE_KEY_LENGTH:
            raise ProtocolError(f"Score names must be 1 to {MAX_SCORE_KEY_LENGTH} characters long.")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProtocolError(f"Score '{key}' is not a number.")
        number = as_float(value)
        if number is None:
            raise ProtocolError(f"Score '{key}' is not a finite number.")
        result[key] = number
    return result


def _status(value: Any) -> Status:
    try:
        return Status(value)
    except ValueError as exc:
        raise ProtocolError(f"Unknown status {value!r}.") from exc
