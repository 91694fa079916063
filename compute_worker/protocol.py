"""The message contract between the evalbox site and its compute workers.

This is the one module both sides import. It holds plain dataclasses and pure-Python
validation only: no third-party imports, no Django, no Docker SDK.

What travels:
- site -> worker: a :class:`RunRequest`, sent as the keyword arguments of the Celery task
  :data:`TASK_NAME` (``RunRequest.to_kwargs()`` / ``RunRequest.from_kwargs()``);
- worker -> site: :class:`StatusReport`, :class:`LogReport` and :class:`ResultReport` as JSON
  bodies of ``POST {api_url}status``, ``{api_url}logs`` and ``{api_url}result``, each with
  ``Authorization: Bearer <token>``.

Image references are parsed here (:func:`parse_reference`) so that the site and the worker
apply the very same grammar.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
TASK_NAME = "compute_worker.run_submission"
DEFAULT_QUEUE = "compute-worker"

#: Paths under a submission's worker API URL (``RunRequest.api_url`` ends with ``/``).
STATUS_PATH = "status"
LOGS_PATH = "logs"
RESULT_PATH = "result"
INPUT_DATA_PATH = "input-data"
REFERENCE_DATA_PATH = "reference-data"
PREDICTIONS_PATH = "predictions"

#: Arguments of every compute queue, declared identically by the site and the workers.
#: A quorum queue counts deliveries; RabbitMQ drops a message past the limit and the worker
#: ends it as FAILED (worker lost) one delivery earlier (see ``DELIVERY_LIMIT``).
DELIVERY_LIMIT = 3
QUEUE_ARGUMENTS = {"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT}



def is_amqp(url: str) -> bool:
    """Whether a broker URL is RabbitMQ (AMQP 0-9-1)."""
    return url.split("://", 1)[0].split("+", 1)[0] in ("amqp", "amqps", "pyamqp", "librabbitmq")


def queue_arguments(broker_url: str) -> dict[str, Any] | None:
    """Arguments of a compute queue on this broker: :data:`QUEUE_ARGUMENTS` on RabbitMQ, none elsewhere."""
    return dict(QUEUE_ARGUMENTS) if is_amqp(broker_url) else None


def broker_transport_options(url: str, data_dir: str | Path) -> dict[str, Any]:
    """Kombu transport options both sides use for a broker URL.

    The embedded ``filesystem://`` broker (the one-machine demo) needs the site and the workers
    to share one folder (created here); on RabbitMQ, publishes wait for the broker's confirm.
    """
    if url.startswith("filesystem:"):
        folder = Path(data_dir).resolve()
        for sub in ("processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    if is_amqp(url):
        return {"confirm_publish": True}
    return {}


#: Scores: at most this many keys, each key at most this long.
MAX_SCORE_KEYS = 100
MAX_SCORE_KEY_LENGTH = 64
#: A log sent in a report is cut to this many characters (head and tail kept by the worker).
MAX_REPORT_LOG_CHARS = 1_000_000


class ProtocolError(ValueError):
    """A message that does not follow the contract."""


class Status(StrEnum):
    """Submission states (DESIGN.md section 4)."""

    SUBMITTED = "SUBMITTED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SCORING = "SCORING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        """True for states that never change again."""
        return self in FINAL_STATES


FINAL_STATES = frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED})
#: Forward order of the non-final states; FAILED and CANCELLED may follow any of them.
STATUS_ORDER = (Status.SUBMITTED, Status.QUEUED, Status.RUNNING, Status.SCORING, Status.FINISHED)


def is_forward_transition(current: Status, new: Status) -> bool:
    """Whether ``current -> new`` is allowed (strictly forward; final states never change)."""
    if current in FINAL_STATES:
        return False
    if new in (Status.FAILED, Status.CANCELLED):
        return True
    return STATUS_ORDER.index(new) > STATUS_ORDER.index(current)


class FailureReason(StrEnum):
    """Why a submission FAILED; the site shows :data:`FAILURE_LABELS` to people."""

    INVALID_REQUEST = "invalid_request"
    IMAGE_NOT_FOUND = "image_not_found"
    IMAGE_UNAUTHORIZED = "image_unauthorized"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_NOT_ALLOWED = "image_not_allowed"
    DATA_ERROR = "data_error"
    TIME_LIMIT = "time_limit"
    OUT_OF_MEMORY = "out_of_memory"
    NON_ZERO_EXIT = "non_zero_exit"
    OUTPUT_TOO_LARGE = "output_too_large"
    BAD_OUTPUT = "bad_output"
    CONTAINER_VANISHED = "container_vanished"
    SCORING_ERROR = "scoring_error"
    GPU_UNAVAILABLE = "gpu_unavailable"
    RUNTIME_ERROR = "runtime_error"
    WORKER_LOST = "worker_lost"
    WORKER_ERROR = "worker_error"


FAILURE_LABELS: dict[FailureReason, str] = {
    FailureReason.INVALID_REQUEST: "Invalid request",
    FailureReason.IMAGE_NOT_FOUND: "Image not found",
    FailureReason.IMAGE_UNAUTHORIZED: "Image access denied",
    FailureReason.IMAGE_TOO_LARGE: "Image too large",
    FailureReason.IMAGE_NOT_ALLOWED: "Image not allowed",
    FailureReason.DATA_ERROR: "Data error",
    FailureReason.TIME_LIMIT: "Time limit exceeded",
    FailureReason.OUT_OF_MEMORY: "Out of memory",
    FailureReason.NON_ZERO_EXIT: "Non-zero exit",
    FailureReason.OUTPUT_TOO_LARGE: "Output too large",
    FailureReason.BAD_OUTPUT: "Bad output",
    FailureReason.CONTAINER_VANISHED: "Container vanished",
    FailureReason.SCORING_ERROR: "Scoring error",
    FailureReason.GPU_UNAVAILABLE: "GPU unavailable",
    FailureReason.RUNTIME_ERROR: "Container runtime error",
    FailureReason.WORKER_LOST: "Worker lost",
    FailureReason.WORKER_ERROR: "Worker error",
}


# --------------------------------------------------------------------------- references
# The Docker distribution reference grammar (github.com/distribution/reference, regexp.go).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[_.]|__|[-]+)"
_PATH_COMPONENT = re.compile(rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*\Z")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*(?::[0-9]+)?\Z")
_TAG = re.compile(r"[\w][\w.-]{0,127}\Z", re.ASCII)
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}\Z")
_SHELL_METACHARACTERS = set(";&|`$()<>{}[]\\\"'*?!~#%=,^")

MAX_REFERENCE_LENGTH = 255
DEFAULT_REGISTRY = "docker.io"
_DOCKER_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class ImageReference:
    """A parsed, normalized image reference."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def normalized(self) -> str:
        """``registry/repository[:tag][@digest]``; the tag is ``latest`` when neither is given."""
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"


def _looks_like_domain(component: str) -> bool:
    # Docker's rule (splitDockerDomain) also takes a component with uppercase letters for a
    # host; "MyTeam/model" is far more often a mistyped repository, so we report it as one.
    return any(c in component for c in ".:") or component == "localhost"


def parse_reference(text: Any) -> ImageReference:
    """Parse and normalize a Docker image reference, or raise :class:`ProtocolError`.

    The message of the error names the problem, in words meant for the person who typed it.
    ``alpine`` becomes ``docker.io/library/alpine:latest``.
    """
    if not isinstance(text, str):
        raise ProtocolError("The image reference must be a string.")
    if text == "":
        raise ProtocolError("The image reference is empty.")
    if len(text) > MAX_REFERENCE_LENGTH:
        raise ProtocolError(f"The image reference is longer than {MAX_REFERENCE_LENGTH} characters.")
    if any(c.isspace() for c in text):
        raise ProtocolError("The image reference must not contain spaces or other whitespace.")
    if text.startswith("-"):
        raise ProtocolError("The image reference must not start with '-': options are not accepted.")
    bad = sorted({c for c in text if c in _SHELL_METACHARACTERS})
    if bad:
        raise ProtocolError(f"The image reference contains characters that are not allowed: {' '.join(bad)}")
    if any(ord(c) < 32 or ord(c) > 126 for c in text):
        raise ProtocolError("The image reference may contain only printable ASCII characters.")

    remainder, digest = text, None
    if "@" in remainder:
        remainder, digest = remainder.split("@", 1)
        if not _DIGEST.match(digest):
            raise ProtocolError("The digest must be 'sha256:' followed by 64 lowercase hexadecimal characters.")
    if not remainder:
        raise ProtocolError("The image reference has a digest but no repository name.")

    parts = remainder.split("/")
    registry = DEFAULT_REGISTRY
    if len(parts) > 1 and _looks_like_domain(parts[0]):
        registry = parts.pop(0)
        if not _DOMAIN.match(registry):
            raise ProtocolError(f"'{registry}' is not a valid registry host (host or host:port).")
        if registry in _DOCKER_HUB_ALIASES:
            registry = DEFAULT_REGISTRY

    tag = None
    last = parts[-1]
    if ":" in last:
        last, tag = last.split(":", 1)
        parts[-1] = last
        if not _TAG.match(tag):
            raise ProtocolError(
                f"The tag '{tag}' is invalid: use letters, digits, '_', '.' and '-' "
                "(not first), at most 128 characters."
            )
    for component in parts:
        if component == "":
            raise ProtocolError("The repository name has an empty path component ('//' or a trailing '/').")
        if component != component.lower():
            raise ProtocolError(f"The repository name must be lowercase: '{component}'.")
        if not _PATH_COMPONENT.match(component):
            raise ProtocolError(
                f"'{component}' is not a valid repository name component: use lowercase letters and "
                "digits, separated by '.', '_', '__' or '-'."
            )
    if registry == DEFAULT_REGISTRY and len(parts) == 1:
        parts.insert(0, "library")
    repository = "/".join(parts)
    if tag is None and digest is None:
        tag = "latest"
    reference = ImageReference(registry=registry, repository=repository, tag=tag, digest=digest)
    if len(reference.name) > MAX_REFERENCE_LENGTH:
        raise ProtocolError(f"The repository name is longer than {MAX_REFERENCE_LENGTH} characters.")
    return reference


def registry_allowed(reference: ImageReference, allowed_registries: list[str] | tuple[str, ...]) -> bool:
    """Whether the reference's registry is in ``allowed_registries`` (an empty list allows all)."""
    if not allowed_registries:
        return True
    allowed = {DEFAULT_REGISTRY if r.lower() in _DOCKER_HUB_ALIASES else r.lower() for r in allowed_registries}
    return reference.registry.lower() in allowed


# --------------------------------------------------------------------------- data archives
def archive_member_problem(name: str) -> str | None:
    """Why an archive member name is unsafe to extract, or ``None`` when it is a safe relative path.

    Both the site (checking an upload) and the worker (extracting it) apply this rule.
    """
    if not name or "\x00" in name:
        return "an empty member name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"an absolute path: {name!r}"
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return f"a path with '..': {name!r}"
    if any(ord(c) < 32 for c in name):
        return f"a control character in a name: {name!r}"
    return None


def link_target_problem(member: str, target: str) -> str | None:
    """Why a symlink ``member -> target`` would point outside the archive root, or ``None``."""
    if target.startswith("/") or not target:
        return f"a link pointing outside: {member!r} -> {target!r}"
    depth = 0
    for part in (member.replace("\\", "/").split("/")[:-1] + target.replace("\\", "/").split("/")):
        if part in ("", "."):
            continue
        depth += -1 if part == ".." else 1
        if depth < 0:
            return f"a link pointing outside: {member!r} -> {target!r}"
    return None


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
    the phase has no such data.
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
        _positive_int(self.attempt, "attempt", maximum=1000)
        for name in ("image", "scoring_image", "api_url", "token", "input_data_url", "input_data_sha256",
                     "reference_data_url", "reference_data_sha256", "predictions_url", "predictions_sha256"):
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

    A report repeating the current status is a heartbeat: it updates ``elapsed_s`` and
    ``message`` only.
    """

    status: Status
    message: str = ""
    elapsed_s: float = 0.0
    attempt: int = 1

    def to_json(self) -> dict[str, Any]:
        """The JSON body."""
        return {"status": self.status.value, "message": self.message, "elapsed_s": self.elapsed_s,
                "attempt": self.attempt}

    @classmethod
    def from_json(cls, data: Any) -> StatusReport:
        """Parse a JSON body; raise :class:`ProtocolError` if malformed."""
        data = _object(data)
        status = _status(data.get("status"))
        if status not in (Status.RUNNING, Status.SCORING):
            raise ProtocolError("A status report must be RUNNING or SCORING.")
        return cls(status=status, message=_text(data.get("message", ""), "message", 2000),
                   elapsed_s=_finite(data.get("elapsed_s", 0.0), "elapsed_s"),
                   attempt=_int(data.get("attempt", 1), "attempt"))


@dataclass(frozen=True)
class LogReport:
    """``POST {api_url}logs``: the logs so far of a running container (``participant`` or ``scoring``)."""

    stream: str
    text: str

    def to_json(self) -> dict[str, Any]:
        """The JSON body."""
        return {"stream": self.stream, "text": self.text}

    @classmethod
    def from_json(cls, data: Any) -> LogReport:
        """Parse a JSON body; raise :class:`ProtocolError` if malformed."""
        data = _object(data)
        stream = data.get("stream")
        if stream not in ("participant", "scoring"):
            raise ProtocolError("stream must be 'participant' or 'scoring'.")
        return cls(stream=stream, text=_text(data.get("text", ""), "text", MAX_REPORT_LOG_CHARS))


@dataclass(frozen=True)
class ResultReport:
    """``POST {api_url}result``: the final outcome, FINISHED with scores or FAILED with a reason."""

    status: Status
    scores: dict[str, float] = field(default_factory=dict)
    failure_reason: FailureReason | None = None
    failure_message: str = ""
    image_digest: str = ""
    image_labels: dict[str, str] = field(default_factory=dict)
    exit_code: int | None = None
    duration_s: float | None = None
    peak_memory_bytes: int | None = None
    participant_log: str = ""
    scoring_log: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    attempt: int = 1

    def to_json(self) -> dict[str, Any]:
        """The JSON body."""
        data = asdict(self)
        data["status"] = self.status.value
        data["failure_reason"] = self.failure_reason.value if self.failure_reason else None
        return data

    @classmethod
    def from_json(cls, data: Any) -> ResultReport:
        """Parse a JSON body; raise :class:`ProtocolError` if malformed."""
        data = _object(data)
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
            failure_message=_text(data.get("failure_message", ""), "failure_message", 4000),
            image_digest=_text(data.get("image_digest", ""), "image_digest", 300),
            image_labels={k[:200]: v[:1000] for k, v in list(labels.items())[:100]},
            exit_code=_optional(data.get("exit_code"), _int, "exit_code"),
            duration_s=_optional(data.get("duration_s"), _finite, "duration_s"),
            peak_memory_bytes=_optional(data.get("peak_memory_bytes"), _int, "peak_memory_bytes"),
            participant_log=_text(data.get("participant_log", ""), "participant_log", MAX_REPORT_LOG_CHARS),
            scoring_log=_text(data.get("scoring_log", ""), "scoring_log", MAX_REPORT_LOG_CHARS),
            timings={str(k)[:64]: _finite(v, f"timings.{k}") for k, v in list(timings.items())[:50]},
            attempt=_int(data.get("attempt", 1), "attempt"),
        )


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
        if not math.isfinite(value):
            raise ProtocolError(f"Score '{key}' is not a finite number.")
        result[key] = float(value)
    return result


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError("The body must be a JSON object.")
    return data


def _status(value: Any) -> Status:
    try:
        return Status(value)
    except ValueError as exc:
        raise ProtocolError(f"Unknown status {value!r}.") from exc


def _text(value: Any, name: str, maximum: int) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{name} must be a string.")
    return value[:maximum]


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError(f"{name} must be a finite number.")
    return float(value)


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{name} must be an integer.")
    return value


def _optional(value: Any, check: Any, name: str) -> Any:
    return None if value is None else check(value, name)
