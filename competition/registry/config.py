"""The registry's configuration file, rendered from the site's settings.

The registry trusts the site's certificate for its tokens, asks the site's token realm, posts
its notifications to the site with the shared secret, and allows deletes (housekeeping). JSON
is valid YAML, so the file is written as JSON.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings

#: The Docker media types the notifications leave out: blob pushes and pulls carry nothing we record.
_IGNORED_MEDIA_TYPES = ["application/octet-stream"]


def registry_config(*, storage_dir: Path, listen: str, site_url: str, http_secret: str | None = None,
                    notify_secret: str, cert_file: Path | None = None, events_site_url: str = "") -> dict[str, Any]:
    """The configuration of a registry storing in ``storage_dir``, listening on ``listen`` (``host:port``).

    ``site_url`` is the site's base URL as docker clients reach it (the token realm);
    ``events_site_url`` as the registry reaches it for its notifications (default ``site_url``);
    ``cert_file`` the certificate of the site's signing key (default ``EVALBOX_REGISTRY_CERT_FILE``).
    """
    return {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text", "accesslog": {"disabled": False}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage_dir)},
            "delete": {"enabled": True},
            "cache": {"blobdescriptor": "inmemory"},
            "maintenance": {"uploadpurging": {"enabled": True, "age": "168h", "interval": "24h", "dryrun": False}},
        },
        "http": {"addr": listen, "secret": http_secret or secrets.token_urlsafe(32),
                 "headers": {"X-Content-Type-Options": ["nosniff"]}},
        "auth": {"token": {
            "realm": f"{site_url.rstrip('/')}/api/registry/token",
            "service": settings.EVALBOX_REGISTRY_SERVICE,
            "issuer": settings.EVALBOX_REGISTRY_ISSUER,
            "rootcertbundle": str(Path(cert_file or settings.EVALBOX_REGISTRY_CERT_FILE).resolve()),
        }},
        "notifications": {"endpoints": [{
            "name": "evalbox-site",
            "url": f"{(events_site_url or site_url).rstrip('/')}/api/registry/events",
            "headers": {"Authorization": [f"Bearer {notify_secret}"]},
            "timeout": "5s", "threshold": 10, "backoff": "2s",
            "ignoredmediatypes": _IGNORED_MEDIA_TYPES,
        }]},
    }


def notify_secret(create: bool = True) -> str:
    """The notification secret of ``EVALBOX_REGISTRY_NOTIFY_SECRET_FILE`` (created, mode 0600, when missing)."""
    path = Path(settings.EVALBOX_REGISTRY_NOTIFY_SECRET_FILE)
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


def write_config(path: Path, **kwargs: Any) -> Path:
    """Write :func:`registry_config` (``kwargs``) to ``path`` (mode 0600: it holds secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(registry_config(**kwargs), indent=2) + "\n")
    return path
