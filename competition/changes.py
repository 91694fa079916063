"""Whether anything a page shows has changed: ETags from one indexed query, for cheap polling.

A page that polls (the participate tab's table, a submission's page) sends the ETag it got;
when nothing changed the site answers 304 after one query on indexed columns, without loading
or serializing any submission. Every save of a submission bumps its ``version``
(:meth:`Submission.save`), so a single submission's ETag is its version, and a list's is the
count and the sum of the versions of the submissions it shows. Who asks (organizer or not) and
the competition's log rule are part of the ETag: they change what the answer holds.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from .models import Competition, Participant, Phase, Submission


def etag(*parts: object) -> str:
    """A strong ETag of ``parts``."""
    return '"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:24] + '"'


@dataclass(frozen=True)
class SubmissionState:
    """What one query says of a submission: its version and who may see what of it."""

    version: int
    owner_id: int
    organizer: bool
    see_logs: bool

    def etag(self, *extra: object) -> str:
        """The ETag of what ``extra`` (the answer's kind) shows of the submission."""
        return etag("submission", self.version, self.organizer, self.see_logs, *extra)


@functools.cache
def _state_sql() -> str:
    """The state query, written out once: on the polling path, compiling it with the ORM cost more than running it."""
    names = {"submission": Submission._meta.db_table, "participant": Participant._meta.db_table,
             "phase": Phase._meta.db_table, "competition": Competition._meta.db_table,
             "admins": Competition.admins.through._meta.db_table}
    return (
        "SELECT s.version, p.user_id, c.created_by_id, c.participants_see_logs, "
        f"EXISTS (SELECT 1 FROM {names['admins']} a WHERE a.competition_id = c.id AND a.user_id = %s) "
        f"FROM {names['submission']} s JOIN {names['participant']} p ON p.id = s.participant_id "
        f"JOIN {names['phase']} ph ON ph.id = s.phase_id JOIN {names['competition']} c ON c.id = ph.competition_id "
        "WHERE s.id = %s"
    )


def submission_state(submission_id: int, user) -> SubmissionState | None:
    """The state of a submission ``user`` may see (owner or organizer), in one indexed query; else ``None``."""
    if not user.is_authenticated:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_state_sql(), [user.pk, submission_id])
        row = cursor.fetchone()
    if row is None:
        return None
    version, owner_id, creator_id, see_logs, is_admin = row
    organizer = user.is_superuser or creator_id == user.pk or bool(is_admin)
    if not organizer and owner_id != user.pk:
        return None
    return SubmissionState(version=version, owner_id=owner_id, organizer=organizer, see_logs=bool(see_logs))


def list_etag(found: QuerySet[Submission], *parts: object) -> str:
    """The ETag of a list of submissions: how many there are and the sum of their versions."""
    totals = found.order_by().aggregate(n=Count("pk"), versions=Sum("version"))
    return etag("list", totals["n"], totals["versions"], *parts)


def conditional(request: HttpRequest, tag: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    """304 when the client already has ``tag``, else ``build()``; both carry the ETag and must be revalidated."""
    response = get_conditional_response(request, etag=tag) or build()
    if response.status_code in (200, 304):
        response["ETag"] = tag
        patch_cache_control(response, private=True, no_cache=True)
    return response
