"""Who is calling the API.

- People: ``Authorization: Token <key>`` (scripts; no CSRF, since a browser never sends it on
  its own) or the Django session (browsers; CSRF enforced on unsafe methods).
- Workers: ``Authorization: Bearer <token>``, the per-attempt token of one submission, stored
  hashed and compared in constant time.
"""

from __future__ import annotations

import hmac

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware

from .models import ApiToken, hash_token

_MAX_TOKEN_LENGTH = 200


def token_matches(token: str, stored_hash: str) -> bool:
    """Whether ``token`` hashes to ``stored_hash`` (constant-time comparison; empty never matches)."""
    return bool(stored_hash) and hmac.compare_digest(hash_token(token), stored_hash)


def _authorization(request: HttpRequest, scheme: str) -> str | None:
    """The credential of ``Authorization: <scheme> <credential>``, or ``None``."""
    header = request.headers.get("Authorization", "")
    prefix = f"{scheme} "
    if not header.startswith(prefix):
        return None
    credential = header[len(prefix):].strip()
    if not credential or len(credential) > _MAX_TOKEN_LENGTH or not credential.isascii():
        return ""
    return credential


def bearer_token(request: HttpRequest) -> str | None:
    """The worker token of ``Authorization: Bearer <token>``, or ``None`` when absent or malformed."""
    return _authorization(request, "Bearer") or None


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> str:  # type: ignore[override]
        return reason


def csrf_problem(request: HttpRequest) -> str | None:
    """Why the request fails Django's CSRF check, or ``None`` when it passes."""
    check = _CsrfCheck(lambda _request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


class AuthenticationFailed(Exception):
    """Credentials were given but are wrong (HTTP 401)."""


def api_user(request: HttpRequest):
    """The person calling: from a Token header, else the session; ``AnonymousUser`` if neither.

    Raises :class:`AuthenticationFailed` for a wrong token and ``PermissionError`` when a
    session request fails the CSRF check.
    """
    key = _authorization(request, "Token")
    if key is not None:
        # The key is random: looking up its sha256 leaks nothing an attacker could use.
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first() if key else None
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid API token.")
        return token.user
    user = getattr(request, "user", None) or AnonymousUser()
    if user.is_authenticated and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        problem = csrf_problem(request)
        if problem:
            raise PermissionError(f"CSRF check failed: {problem}")
    return user
