"""Registry token scopes and the JWTs the registry accepts (Docker registry token authentication).

A client asks ``GET <realm>?service=<service>&scope=repository:<name>:pull,push`` and gets a
JWT signed with the site's key (ES256, the certificate in ``x5c``) whose ``access`` claim lists
what it may do; the registry checks the signature, ``iss``, ``aud`` and the expiry.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

import jwt
from django.conf import settings

from .keys import load_signing_key

#: ``repository:<name>:<actions>``; the name may contain ``:`` only before a port, which never
#: appears in a repository name, so the last ``:`` separates the actions.
_SCOPE = re.compile(r"(?P<type>[a-z]+):(?P<name>[^:]+(?::[0-9]+/[^:]+)?):(?P<actions>[a-z*,]*)\Z")
MAX_SCOPES = 20


class BadScope(ValueError):
    """A ``scope`` parameter that is not ``type:name:actions``."""


@dataclass(frozen=True)
class Scope:
    """One requested or granted access: ``type`` (``repository`` or ``registry``), ``name``, ``actions``."""

    type: str
    name: str
    actions: tuple[str, ...]

    def claim(self) -> dict[str, object]:
        """The entry of the JWT's ``access`` claim."""
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}


def parse_scopes(values: list[str]) -> list[Scope]:
    """The scopes of the ``scope`` query parameters (several per parameter, space separated)."""
    scopes = []
    for value in values:
        for text in value.split():
            match = _SCOPE.match(text)
            if not match:
                raise BadScope(f"Malformed scope {text[:200]!r}: expected type:name:actions.")
            actions = tuple(sorted({a for a in match["actions"].split(",") if a}))
            scopes.append(Scope(match["type"], match["name"], actions))
    if len(scopes) > MAX_SCOPES:
        raise BadScope(f"At most {MAX_SCOPES} scopes per token.")
    return scopes


def sign_token(subject: str, access: list[Scope], lifetime_s: int) -> tuple[str, int]:
    """A registry JWT for ``subject`` granting ``access``, and its lifetime in seconds."""
    key = load_signing_key(str(settings.EVALBOX_REGISTRY_KEY_FILE), str(settings.EVALBOX_REGISTRY_CERT_FILE))
    now = int(time.time())
    claims = {
        "iss": settings.EVALBOX_REGISTRY_ISSUER,
        "sub": subject,
        "aud": settings.EVALBOX_REGISTRY_SERVICE,
        "iat": now,
        "nbf": now - 10,
        "exp": now + lifetime_s,
        "jti": secrets.token_urlsafe(16),
        "access": [scope.claim() for scope in access if scope.actions],
    }
    token = jwt.encode(claims, key.private_pem, algorithm="ES256", headers={"x5c": [key.certificate_b64]})
    return token, lifetime_s
