"""The address of the client behind the site's reverse proxies, for rate limits and logs.

Configured in settings (``docs/security.md``, "Accounts"): by default ``REMOTE_ADDR`` (the
site is reached directly). Behind proxies, either ``EVALBOX_CLIENT_ADDRESS_HEADER`` names the
header the outermost proxy sets to the client's address (such as ``X-Real-IP``), or
``EVALBOX_TRUSTED_PROXIES`` says how many proxies append to ``X-Forwarded-For``: the client is
then that many entries from its right (entries further left are the client's own claims).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's IP address as the configured proxies report it, else ``REMOTE_ADDR``."""
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.EVALBOX_CLIENT_ADDRESS_HEADER
    if header:
        return _address(request.headers.get(header, "")) or remote
    proxies = settings.EVALBOX_TRUSTED_PROXIES
    if proxies:
        chain = [part for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(chain) >= proxies:
            return _address(chain[-proxies]) or remote
    return remote
