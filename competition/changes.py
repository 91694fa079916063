"""Whether anything a page shows has changed: ETags from one indexed query, for cheap polling.

A page that polls (the participate tab's table, a submission's page) sends the ETag it got;
when nothing changed the site answers 304 after one query on indexed columns, without loading
or serializing any submission. Every save of a submission bumps its ``version``
(:meth:`Submission.save`), so a single submission's ETag is its version, and a list's is the
count and the sum of the versions of the submissions it shows. Who asks (organizer or not) and
the competition's log rule are part of the ETag: they change what the answer holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from .models import Competition, Submission


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


def submission_state(submission_id: int, user) -> SubmissionState | None:
    """The state of a submission ``user`` may see (owner or organizer), in one indexed query; else ``None``."""
    if not user.is_authenticated:
        return None
    admins = Competition.admins.through.objects.filter(competition_id=OuterRef("phase__competition_id"),
                                                       user_id=user.pk)
    row = (Submission.objects.filter(pk=submission_id).annotate(is_admin=Exists(admins))
           .values_list("version", "participant__user_id", "phase__competition__created_by_id",
                        "phase__competition__participants_see_logs", "is_admin").first())
    if row is None:
        return None
    version, owner_id, creator_id, see_logs, is_admin = row
    organizer = user.is_superuser or creator_id == user.pk or is_admin
    if not organizer and owner_id != user.pk:
        return None
    return SubmissionState(version=version, owner_id=owner_id, organizer=organizer, see_logs=see_logs)


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
