"""The registry's side of the site: the token server and the notifications endpoint.

``GET /api/registry/token`` is the registry's token realm (Docker registry token
authentication): people authenticate with HTTP Basic, their username and API token; the answer
is a JWT granting what :func:`competition.registry.access.decide` allows. Refusals use the
registry protocol's error shape, so ``docker`` prints their message: 401 without or with wrong
credentials, 403 when a push is refused or nothing asked for is allowed, 429 ("try again in N s")
after too many failed credentials from one address or for one account, as the sign-in form.

``POST /api/registry/events`` takes the registry's notifications (``Authorization: Bearer
<secret>``) and records pushed manifests (:mod:`competition.registry.events`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ..models import ApiToken, hash_token
from ..registry import events, names
from ..registry.access import PUSH, decide
from ..registry.keys import SigningKeyMissing
from ..registry.tokens import BadScope, parse_scopes, sign_token
from ..throttle import request_keys, sign_in_throttle, too_many

logger = logging.getLogger(__name__)

#: A notification envelope holds a few events; anything much larger is not from the registry.
MAX_EVENTS_BYTES = 4 * 1024 * 1024


def registry_error(status: int, code: str, message: str) -> JsonResponse:
    """An answer in the registry protocol's error shape (``docker`` prints ``code: message``)."""
    response = JsonResponse({"errors": [{"code": code, "message": message}]}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = f'Basic realm="{settings.EVALBOX_REGISTRY_SERVICE}"'
    return response


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """``(username, key)`` of an ``Authorization: Basic`` header; ``PermissionError`` when it is malformed."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        username, _, key = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise PermissionError("malformed Basic credentials") from None
    return username, key


def _claimed_username(request: HttpRequest) -> str:
    """The username the Basic credentials name (empty when there are none or they are malformed)."""
    try:
        return (_basic_credentials(request) or ("", ""))[0]
    except PermissionError:
        return ""


def basic_user(request: HttpRequest):
    """The active user of ``Authorization: Basic base64(username:api-token)``; ``None`` without the header.

    Raises ``PermissionError`` with the reason when credentials are given but wrong.
    """
    credentials = _basic_credentials(request)
    if credentials is None:
        return None
    username, key = credentials
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first() if key else None
    if token is None or token.user.get_username() != username or not token.user.is_active:
        raise PermissionError("wrong username or API token (the password is your API token: make one on "
                              f"{settings.EVALBOX_SITE_URL}/accounts/token/)")
    return token.user


@csrf_exempt
def token(request: HttpRequest) -> JsonResponse:
    """Issue a registry token for the caller's allowed part of the requested scopes."""
    if request.method != "GET":
        return registry_error(405, "UNSUPPORTED", "use GET")
    if not names.enabled():
        return registry_error(404, "UNSUPPORTED", "this site runs no registry")
    if request.GET.get("service") not in (None, settings.EVALBOX_REGISTRY_SERVICE):
        return registry_error(400, "UNSUPPORTED", f"this token server serves {settings.EVALBOX_REGISTRY_SERVICE}")
    # Failed credentials count as failed sign-ins, per address and per account (competition/throttle.py).
    keys = request_keys(request, _claimed_username(request))
    wait_s = sign_in_throttle().wait_s(*keys)
    if wait_s:
        response = registry_error(429, "TOOMANYREQUESTS", too_many(wait_s))
        response["Retry-After"] = str(wait_s)
        return response
    try:
        user = basic_user(request)
        scopes = parse_scopes(request.GET.getlist("scope"))
    except PermissionError as exc:
        sign_in_throttle().hit(*keys)
        return registry_error(401, "UNAUTHORIZED", f"authentication failed: {exc}")
    except BadScope as exc:
        return registry_error(400, "UNSUPPORTED", str(exc))
    if user is None:
        return registry_error(401, "UNAUTHORIZED", f"authentication required: docker login {names.host()} "
                                                   "with your username and API token")
    decisions = [decide(user, scope) for scope in scopes]
    refused_pushes = [d.refused for d in decisions if PUSH in d.scope.actions and PUSH not in d.granted]
    if refused_pushes or (decisions and not any(d.granted for d in decisions)):
        reasons = refused_pushes or [d.refused for d in decisions]
        return registry_error(403, "DENIED", "; ".join(reasons))
    try:
        signed, lifetime = sign_token(user.get_username(), [d.granted_scope for d in decisions],
                                      settings.EVALBOX_REGISTRY_TOKEN_S)
    except SigningKeyMissing as exc:
        logger.error("registry token refused: %s", exc)
        return registry_error(503, "UNAVAILABLE", "the site cannot sign registry tokens now; tell the operators")
    return JsonResponse({"token": signed, "access_token": signed, "expires_in": lifetime,
                         "issued_at": timezone.now().isoformat()})


def _notification_secret() -> str:
    try:
        return settings.EVALBOX_REGISTRY_NOTIFY_SECRET_FILE.read_text().strip()
    except OSError:
        return ""


@csrf_exempt
def notifications(request: HttpRequest) -> JsonResponse:
    """Record the pushes of a registry notification envelope."""
    if request.method != "POST":
        return JsonResponse({"error": "use POST"}, status=405)
    secret = _notification_secret()
    header = request.headers.get("Authorization", "")
    if not secret or not hmac.compare_digest(header.encode(), f"Bearer {secret}".encode()):
        return JsonResponse({"error": "Missing or invalid notification secret."}, status=401)
    raw = request.read(MAX_EVENTS_BYTES + 1)
    if len(raw) > MAX_EVENTS_BYTES:
        return JsonResponse({"error": "The envelope is too large."}, status=413)
    try:
        envelope = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("events"), list):
        return JsonResponse({"error": "Expected {\"events\": [...]}."}, status=400)
    recorded = events.record_envelope(envelope["events"], get_user_model())
    return JsonResponse({"recorded": recorded})
