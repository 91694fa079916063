"""Helpers shared by the participant and worker APIs: JSON errors, body parsing, the view decorator.

Every error leaves as JSON ``{"error": "<message>", ...}``; request-parsing failures of any kind
(bad JSON, wrong content type, oversized or malformed bodies, huge ids) become 4xx answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from ..auth import AuthenticationFailed, api_user

MAX_ID = 2**63 - 1


class ApiError(Exception):
    """An error answer: HTTP status ``code``, a ``message`` and optional extra JSON keys."""

    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


def error_response(code: int, message: str, **extra: Any) -> JsonResponse:
    """``{"error": message, **extra}`` with HTTP status ``code``."""
    return JsonResponse({"error": message, **extra}, status=code)


def field_error(field: str, message: str) -> ApiError:
    """A 400 validation error in the ``{"errors": {field: [message]}}`` shape forms use."""
    return ApiError(400, message, errors={field: [message]})


def parse_id(value: Any, field: str, minimum: int = 1) -> int:
    """An id or count from JSON (an integer) or a form/query string (digits); raise a 400 otherwise."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_ID:
        raise field_error(field, f"'{field}' must be an integer of at least {minimum}.")
    return value


def json_body(request: HttpRequest, max_bytes: int | None = None) -> dict[str, Any]:
    """The request's JSON object body; raise :class:`ApiError` (400/413/415) when it is not one.

    ``max_bytes`` replaces ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (worker results carry logs).
    """
    if request.content_type not in ("application/json", ""):
        raise ApiError(415, "The body must be JSON (Content-Type: application/json).")
    if max_bytes is None:
        raw = request.body
    else:
        raw = request.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise ApiError(413, f"The body is larger than {max_bytes} bytes.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return data


def api_view(methods: tuple[str, ...], *, person: bool = True) -> Callable:
    """Decorate an API view: method check (``HEAD`` too where ``GET`` is), authentication, JSON errors, CSRF.

    With ``person=True`` the caller is resolved by :func:`competition.auth.api_user` and stored
    as ``request.api_user`` (possibly anonymous; the view decides). Worker views use
    ``person=False`` and check their bearer token themselves.
    """

    allowed = (*methods, "HEAD") if "GET" in methods else methods  # HEAD wherever GET is

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                return error_response(405, f"Method {request.method} is not allowed here.", allowed=list(allowed))
            try:
                if person:
                    request.api_user = api_user(request)
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error_response(exc.code, exc.message, **exc.extra)
            except AuthenticationFailed as exc:
                return error_response(401, str(exc))
            except PermissionError as exc:
                return error_response(403, str(exc))
            except RequestDataTooBig:
                return error_response(413, "The request body is too large.")
            except (MultiPartParserError, TooManyFieldsSent, UnreadablePostError, BadRequest,
                    SuspiciousOperation) as exc:
                return error_response(400, f"The request could not be read: {exc}")

        return wrapper

    return decorator


def require_person(request: HttpRequest):
    """The authenticated caller, or a 401."""
    user = request.api_user
    if not user.is_authenticated:
        raise ApiError(401, "Authentication required: sign in or send 'Authorization: Token <key>'.")
    return user


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """JSON 404 for any unknown path under ``/api/``."""
    return error_response(404, "Not found.")
