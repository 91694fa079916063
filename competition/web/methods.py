"""The HTTP methods the pages answer: ``HEAD`` wherever ``GET`` is (read-only pages use Django's ``require_safe``)."""

from __future__ import annotations

from django.views.decorators.http import require_http_methods

#: A page with a form: shown by ``GET`` (and ``HEAD``), sent by ``POST``.
form_page = require_http_methods(["GET", "HEAD", "POST"])
