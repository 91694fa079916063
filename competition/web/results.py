"""A submission's detailed results: the scorer's ``detailed_results.html``, shown in a sandboxed frame.

``GET .../submissions/<id>/results/`` is a site page around an ``<iframe sandbox>`` whose
source is ``.../results/document``: the organizer's HTML as it is, from its own URL, with
:data:`~competition.project.headers.DETAILED_RESULTS_POLICY` (``sandbox``, no script, no
request anywhere, framed only by the site) and ``nosniff``. It is never put inside one of the
site's pages. Who may read it is :func:`competition.visibility.can_see_detailed_results`'
(404 for everyone else, as for a submission they may not see).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from competition.models import Submission
from competition.project.headers import DETAILED_RESULTS_POLICY
from competition.teams import visible_scope
from competition.visibility import can_see_detailed_results

from .access import get_visible_competition, registration_of


def _readable(request, slug: str, submission_id: str) -> Submission:
    """The submission whose detailed results the user may read, else 404."""
    competition = get_visible_competition(request, slug)
    organizer = competition.is_organizer(request.user)
    found = Submission.objects.filter(pk=int(submission_id), phase__competition=competition).select_related("phase")
    if not organizer:
        viewer = registration_of(competition, request.user)
        found = found.filter(visible_scope(viewer)) if viewer else found.none()
    submission = found.first()
    if submission is None or not can_see_detailed_results(submission, organizer=organizer):
        raise Http404("No detailed results here.")
    return submission


@require_safe
def page(request, slug: str, submission_id: str):
    """The site's page that frames the detailed results."""
    submission = _readable(request, slug, submission_id)
    return render(request, "competition/detailed_results.html",
                  {"competition": submission.phase.competition, "submission": submission})


@require_safe
@xframe_options_sameorigin
def document(request, slug: str, submission_id: str):
    """The scorer's HTML itself, sandboxed by its own policy (no script runs, nothing is fetched)."""
    submission = _readable(request, slug, submission_id)
    response = HttpResponse(submission.detailed_results, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = DETAILED_RESULTS_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-cache"
    return response
