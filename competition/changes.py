"""Whether anything a page shows has changed: ETags checked with one indexed query, for cheap polling.

A page that polls (a submission's page, the participate tab's table, ``evalbox status``) sends
the ETag it got; when nothing changed the site answers 304 without loading or serializing the
submission. Every save of a submission or of its phase bumps the row's ``version``
(:class:`~competition.models.versioned.Versioned`; a phase's also when one of its leaderboard
columns changes, :mod:`competition.signals`), so a submission's ETag is its version, its phase's
version and whether the phase has ended (the scores of a phase private until its end become
visible then, and its final choice freezes), the competition's log rule and whether the viewer
organizes it (both change what the answer holds); a list's is the count and the sums of the
versions of the submissions it holds and of their phases, and how many of them are of an ended phase.

A submission's ETags are keyed with the site's secret: only someone who was answered 200 (so
was allowed to see it) can hold one. Its 304 therefore comes before any authentication
(:func:`not_modified`): the answer says nothing but "your copy is current", and anything else
takes the normal, authenticated path.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import parse_etags

from .models import Competition, Phase, Submission
from .models.competitions import ended, ended_filter


def etag(*parts: object) -> str:
    """A strong ETag of ``parts``, keyed with the site's secret."""
    key = hashlib.sha256(b"evalbox-etag:" + settings.SECRET_KEY.encode()).digest()
    return '"' + hmac.new(key, repr(parts).encode(), hashlib.sha256).hexdigest()[:32] + '"'


def submission_etag(submission: Submission, organizer: bool, *kind: object) -> str:
    """The ETag of what ``kind`` (the answer) shows of ``submission`` to an organizer or not."""
    phase = submission.phase
    return _submission_etag(submission.pk, submission.version, phase.version, phase.end,
                            phase.competition.participants_see_logs, organizer, *kind)


def _submission_etag(pk: int, version: int, phase_version: int, end: datetime | None, see_logs: bool,
                     organizer: bool, *kind: object) -> str:
    return etag("submission", pk, version, phase_version, ended(end), bool(see_logs), bool(organizer), *kind)


@functools.cache
def _version_sql() -> str:
    """The version query (its columns in :func:`_submission_etag`'s order), written out once: on the polling
    path, the ORM's compiling it cost more than running it."""
    return (f"SELECT s.version, ph.version, ph.end, c.participants_see_logs FROM {Submission._meta.db_table} s "
            f"JOIN {Phase._meta.db_table} ph ON ph.id = s.phase_id "
            f"JOIN {Competition._meta.db_table} c ON c.id = ph.competition_id WHERE s.id = %s")


def not_modified(request: HttpRequest, submission_id: int, *kind: object) -> HttpResponse | None:
    """304 when the client's ``If-None-Match`` is the submission's current ETag for ``kind``, else ``None``."""
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if not wanted or request.method not in ("GET", "HEAD"):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(), [submission_id])
        row = cursor.fetchone()
    if row is None:
        return None
    for organizer in (False, True):
        tag = _submission_etag(submission_id, *row, organizer, *kind)
        if tag in wanted:
            return tagged(HttpResponseNotModified(), tag)
    return None


def tagged(response: HttpResponse, tag: str) -> HttpResponse:
    """``response`` with its ETag, to be revalidated by the browser at every use."""
    response["ETag"] = tag
    patch_cache_control(response, private=True, no_cache=True)
    return response


def list_etag(found: QuerySet[Submission], *parts: object) -> str:
    """The ETag of a list of submissions: how many, the sums of their and their phases' versions, how many ended."""
    totals = found.order_by().aggregate(n=Count("pk"), versions=Sum("version"), phases=Sum("phase__version"),
                                        ended=Count("pk", filter=ended_filter("phase__")))
    return etag("list", totals["n"], totals["versions"], totals["phases"], totals["ended"], *parts)


def conditional(request: HttpRequest, tag: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    """304 when the client already has ``tag``, else ``build()``; both carry the ETag."""
    response = get_conditional_response(request, etag=tag) or build()
    return tagged(response, tag) if response.status_code in (200, 304) else response
