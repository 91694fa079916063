"""``GET /health``: whether the site's database, broker and platform registry answer, for health checks.

The answer is JSON, ``200`` when every check passed and ``503`` when one failed:
``{"status": "ok" | "unavailable", "checks": {"database": {"ok": true}, "broker": {"ok": false,
"problem": "..."}, "registry": {...}}}``. A problem names what failed and the kind of error only:
never a URL, a host, a password or an exception's text (which could carry them), because anybody
may call this view. Each check is bounded in time. A site without a platform registry reports
``{"ok": true, "configured": false}`` for it. ``?check=database,broker`` runs only those checks:
the web service's own health check in ``compose/docker-compose.yml`` leaves the registry out,
because the registry starts only once the web service is healthy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import requests
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

from compute_worker.protocol.transport import broker_transport_options

from .registry.names import api_url, enabled

logger = logging.getLogger(__name__)

#: Seconds each check may take (a health check's own timeout is larger: docker-compose.yml).
TIMEOUT_S = 3


def check_database() -> dict[str, object]:
    """``SELECT 1`` on the default database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_broker() -> dict[str, object]:
    """Open (and close) a connection to the Celery broker."""
    url = settings.CELERY_BROKER_URL
    with Connection(url, connect_timeout=TIMEOUT_S,
                    transport_options=broker_transport_options(url, settings.EVALBOX_BROKER_DIR)) as broker:
        broker.ensure_connection(max_retries=1, timeout=TIMEOUT_S)
    return {"ok": True}


def check_registry() -> dict[str, object]:
    """``GET /v2/`` of the platform registry: any answer below 500 (401: token auth) means it serves."""
    if not enabled():
        return {"ok": True, "configured": False}
    status = requests.get(f"{api_url()}/v2/", timeout=TIMEOUT_S).status_code
    if status >= 500:
        return {"ok": False, "problem": f"the registry answered {status}"}
    return {"ok": True}


CHECKS: dict[str, Callable[[], dict[str, object]]] = {
    "database": check_database, "broker": check_broker, "registry": check_registry,
}


def _run(name: str, check: Callable[[], dict[str, object]]) -> dict[str, object]:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - any failure is an answer, never a 500
        logger.warning("health: the %s check failed", name, exc_info=True)
        return {"ok": False, "problem": f"the {name} does not answer ({type(exc).__name__})"}


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Every check's result (or those ``?check=`` names); 503 when one failed."""
    names = [name.strip() for name in request.GET.get("check", ",".join(CHECKS)).split(",") if name.strip()]
    unknown = sorted(set(names) - CHECKS.keys())
    if unknown or not names:
        return JsonResponse({"error": f"check: expected some of {', '.join(CHECKS)}, got {', '.join(unknown)!r}"},
                            status=400)
    checks = {name: _run(name, CHECKS[name]) for name in CHECKS if name in names}
    healthy = all(result["ok"] for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks},
                        status=200 if healthy else 503)
