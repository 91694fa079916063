"""The answer of ``GET {api_url}registry-token``: a worker's pull token for one submission's image."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .errors import ProtocolError
from .references import parse_reference


@dataclass(frozen=True)
class PullToken:
    """A short-lived, pull-only registry token for exactly the repository of ``reference``.

    ``reference`` is the pinned image (``registry/repository@sha256:...``) the token is for;
    ``registry_url`` the registry's base URL (``http(s)://host[:port]``) for reading its manifest.
    The engine sends ``token`` to the registry as it is (``auth_config={"registrytoken": token}``).
    """

    token: str
    registry_url: str
    reference: str
    expires_in: int

    def to_json(self) -> dict[str, Any]:
        """The JSON body."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> PullToken:
        """Parse a JSON body; raise :class:`ProtocolError` if malformed."""
        if not isinstance(data, dict):
            raise ProtocolError("The pull token answer must be a JSON object.")
        token, url, reference, expires = (data.get(k) for k in ("token", "registry_url", "reference", "expires_in"))
        if not isinstance(token, str) or not token or not isinstance(url, str) or not isinstance(reference, str):
            raise ProtocolError("The pull token answer needs token, registry_url and reference strings.")
        if not url.startswith(("http://", "https://")):
            raise ProtocolError("registry_url must be an http(s) URL.")
        if isinstance(expires, bool) or not isinstance(expires, int) or expires <= 0:
            raise ProtocolError("expires_in must be a positive integer.")
        if parse_reference(reference).digest is None:
            raise ProtocolError("The pull token's reference must be pinned by digest.")
        return cls(token=token, registry_url=url.rstrip("/"), reference=reference, expires_in=expires)

    def __repr__(self) -> str:  # the token never reaches a log through a repr
        return f"PullToken(reference={self.reference!r}, registry_url={self.registry_url!r}, token=<hidden>)"
