"""The Content-Security-Policy of every answer (pages, admin, API, static files served by Django).

The pages load scripts and styles from the site only (``static/``), never inline: no
``<script>`` without ``src``, no ``style=`` or ``on...=`` attribute in a template
(``tests/web/test_headers.py`` reads every template, and the browser test watches for
violations). Images may be ``data:`` URIs: Bootstrap's stylesheet draws its icons with them.
Frames come from the site only (the detailed results' sandboxed frame), and no other site may
frame ours.

A scorer's ``detailed_results.html`` is served with :data:`DETAILED_RESULTS_POLICY` instead
(``competition/web/results.py``): a sandbox (an opaque origin: no cookies, no storage, no
forms, no pop-ups), no script at all, nothing loaded from anywhere but inline styles and
``data:`` images, and framed by the site's own pages only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


DETAILED_RESULTS_POLICY = "; ".join([
    "sandbox",
    "default-src 'none'",
    "script-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "font-src 'none'",
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
])


class ContentSecurityPolicyMiddleware:
    """Add :data:`CONTENT_SECURITY_POLICY` to every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
