"""The worker API under ``/api/worker/submissions/<id>/``, authenticated by the submission's token.

``POST status|logs|result`` apply :mod:`competition.transitions`; ``GET input-data``,
``reference-data`` and ``predictions`` stream the archives while the submission's state needs
them (the hidden reference data only while SCORING); ``GET registry-token`` gives a
short-lived pull-only token for the submission's pinned image in the platform registry. A
wrong or missing token is a 401 that changes nothing, whether or not the submission exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse

from compute_worker.protocol import (
    LogReport,
    ProtocolError,
    PullToken,
    ResultReport,
    Status,
    StatusReport,
    parse_reference,
)

from ..auth import bearer_token, token_matches
from ..models import Submission
from ..registry import names
from ..registry.keys import SigningKeyMissing
from ..registry.pinning import is_platform
from ..registry.tokens import Scope, sign_token
from ..transitions import InvalidToken, TransitionRefused, apply_logs, apply_result, apply_status, locked
from .common import ApiError, api_view, json_body

#: Result bodies carry two logs of up to a million characters each.
MAX_REPORT_BYTES = 32 * 1024 * 1024

_UNAUTHORIZED = "Missing or invalid worker token."


def _token(request: HttpRequest, submission_id: int) -> str:
    """The bearer token, checked against the submission (401 unless it matches)."""
    token = bearer_token(request)
    stored = Submission.objects.filter(pk=submission_id).values_list("token_hash", flat=True).first()
    if token is None or stored is None or not token_matches(token, stored):
        raise ApiError(401, _UNAUTHORIZED)
    return token


def _report(request: HttpRequest, submission_id: int, parse: Callable[[Any], Any],
            apply: Callable[[Submission, Any], None]) -> JsonResponse:
    token = _token(request, submission_id)
    try:
        report = parse(json_body(request, MAX_REPORT_BYTES))
    except ProtocolError as exc:
        raise ApiError(400, str(exc)) from exc
    try:
        submission = locked(submission_id, token, lambda s: apply(s, report))
    except (InvalidToken, Submission.DoesNotExist) as exc:
        raise ApiError(401, _UNAUTHORIZED) from exc
    except TransitionRefused as exc:
        current = Submission.objects.filter(pk=submission_id).values_list("status", flat=True).first()
        raise ApiError(409, str(exc), status=current) from exc
    return JsonResponse({"id": submission.pk, "status": submission.status})


@api_view(("POST",), person=False)
def status(request: HttpRequest, submission_id: int) -> JsonResponse:
    """RUNNING/SCORING, or a heartbeat when repeated."""
    return _report(request, submission_id, StatusReport.from_json, apply_status)


@api_view(("POST",), person=False)
def logs(request: HttpRequest, submission_id: int) -> JsonResponse:
    """The logs so far of the participant or scoring container."""
    return _report(request, submission_id, LogReport.from_json, apply_logs)


@api_view(("POST",), person=False)
def result(request: HttpRequest, submission_id: int) -> JsonResponse:
    """FINISHED with scores, or FAILED with a reason."""
    return _report(request, submission_id, ResultReport.from_json, apply_result)


def _serve(request: HttpRequest, submission_id: int, allowed: tuple[Status, ...],
           archive: Callable[[Submission], FieldFile]) -> HttpResponse:
    _token(request, submission_id)
    submission = Submission.objects.select_related("phase").filter(pk=submission_id).first()
    if submission is None:
        raise ApiError(401, _UNAUTHORIZED)
    if submission.status_enum not in allowed:
        states = " or ".join(s.value for s in allowed)
        raise ApiError(403, f"Served only while the submission is {states} (it is {submission.status}).")
    field = archive(submission)
    if not field:
        raise ApiError(404, "There is no such archive for this submission.")
    try:
        handle = field.open("rb")
    except OSError as exc:
        raise ApiError(404, "The archive is missing from storage.") from exc
    return FileResponse(handle, as_attachment=True, filename=field.name.rsplit("/", 1)[-1],
                        content_type="application/octet-stream")


_RUNNING = (Status.RUNNING, Status.SCORING)


@api_view(("GET",), person=False)
def input_data(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The phase's input data archive (RUNNING or SCORING)."""
    return _serve(request, submission_id, _RUNNING, lambda s: s.phase.input_data)


@api_view(("GET",), person=False)
def reference_data(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The phase's hidden reference data (SCORING only)."""
    return _serve(request, submission_id, (Status.SCORING,), lambda s: s.phase.reference_data)


@api_view(("GET",), person=False)
def predictions(request: HttpRequest, submission_id: int) -> HttpResponse:
    """A results-upload submission's predictions archive (RUNNING or SCORING)."""
    return _serve(request, submission_id, _RUNNING, lambda s: s.predictions)


@api_view(("GET",), person=False)
def registry_token(request: HttpRequest, submission_id: int) -> JsonResponse:
    """A pull-only registry token for exactly the repository of the submission's pinned image (RUNNING)."""
    _token(request, submission_id)
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None:
        raise ApiError(401, _UNAUTHORIZED)
    if submission.status_enum not in _RUNNING:
        raise ApiError(403, f"Pull tokens are given only while the submission runs (it is {submission.status}).")
    reference = parse_reference(submission.image_pinned) if submission.image_pinned else None
    if reference is None or not is_platform(reference):
        raise ApiError(404, "This submission's image is not in the platform registry.")
    try:
        token, lifetime = sign_token(f"worker:submission-{submission.pk}",
                                     [Scope("repository", reference.repository, ("pull",))],
                                     settings.EVALBOX_REGISTRY_PULL_TOKEN_S)
    except SigningKeyMissing as exc:
        raise ApiError(503, "The site cannot sign registry tokens now.") from exc
    return JsonResponse(PullToken(token=token, registry_url=names.public_url(), reference=submission.image_pinned,
                                  expires_in=lifetime).to_json())
