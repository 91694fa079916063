"""The registry's HTTP API as a client speaks it, for the permission tests."""

from __future__ import annotations

import requests

from compute_worker.manifests import ACCEPT


def site_token(site_url: str, scope: str | None, auth: tuple[str, str] | None) -> requests.Response:
    """The token endpoint's answer to a request for ``scope`` with HTTP Basic ``auth`` (``None``: anonymous)."""
    params = {"service": "evalbox-registry", **({"scope": scope} if scope else {})}
    return requests.get(f"{site_url}/api/registry/token", params=params, auth=auth, timeout=10)


def bearer(token: str | None) -> dict[str, str]:
    """The ``Authorization`` header of a registry token (none for ``None``)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def get_manifest(registry_url: str, repository: str, reference: str, token: str | None) -> requests.Response:
    """``GET /v2/<repository>/manifests/<reference>``."""
    return requests.get(f"{registry_url}/v2/{repository}/manifests/{reference}",
                        headers={"Accept": ACCEPT, **bearer(token)}, timeout=10)


def start_upload(registry_url: str, repository: str, token: str | None) -> requests.Response:
    """``POST /v2/<repository>/blobs/uploads/`` (the first step of any push)."""
    return requests.post(f"{registry_url}/v2/{repository}/blobs/uploads/", headers=bearer(token), timeout=10)
