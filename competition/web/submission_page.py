"""A submission's own page, for its participant and the competition's organizers.

``GET /competitions/<slug>/submissions/<id>/`` shows the image (the reference as typed, the
normalized one, the digest the worker ran, its labels as information), the worker, each
step's timing, the exit codes, the resource charts (:mod:`competition.resource_charts`), the
program's progress and metadata, the logs and the scores, each as the submissions API shows it
to this viewer (hidden scores and the scoring log stay hidden, :mod:`competition.visibility`). Its live part is
``.../live/``, an HTML fragment ``static/js/submission_live.js`` polls with ``If-None-Match``:
304 after one indexed query while nothing changed, before any authentication
(:mod:`competition.changes`). Team members see their team's submissions; anyone else gets 404,
whether or not the submission exists.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from competition.changes import not_modified, submission_etag, tagged
from competition.models import Submission
from competition.resource_charts import resource_charts
from competition.teams import visible_scope

from .access import get_visible_competition, registration_of
from .competitions import _tab_context
from .rows import submission_row

#: The worker's steps (``Submission.timings``) in the order they run.
STEPS = {
    "fetch_input": "Input data", "image_inspect": "Image checks", "participant_run": "Participant's run",
    "fetch_reference": "Reference data", "scoring": "Scoring", "reports": "Reports to the site",
}
#: Label prefixes shown as their own groups.
LABEL_GROUPS = (("org.opencontainers.image.", "OCI"), ("org.label-schema.", "Label Schema"))
#: Labels that recommend a command: shown, never run (the worker runs the image as it is, without arguments).
COMMAND_LABELS = ("org.label-schema.docker.cmd", "org.label-schema.docker.params")


def _label_rows(labels: object) -> list[dict]:
    """The image's labels, grouped (OCI, Label Schema, others), each flagged when it recommends a command."""
    if not isinstance(labels, dict):
        return []
    rows = []
    for key, value in sorted(labels.items()):
        group = next((name for prefix, name in LABEL_GROUPS if key.startswith(prefix)), "Other")
        rows.append({"group": group, "key": key, "value": value, "command": key.startswith(COMMAND_LABELS)})
    order = [name for _, name in LABEL_GROUPS] + ["Other"]
    return sorted(rows, key=lambda row: order.index(row["group"]))


def _visible(request, slug: str, submission_id: str) -> tuple:
    """The competition, the submission and whether the user organizes it; 404 unless it is theirs, their team's or
    they organize the competition."""
    competition = get_visible_competition(request, slug)
    organizer = competition.is_organizer(request.user)
    found = (Submission.objects.select_related("phase__competition", "participant__user")
             .prefetch_related("phase__columns").filter(pk=int(submission_id), phase__competition=competition))
    if not organizer:
        viewer = registration_of(competition, request.user)
        found = found.filter(visible_scope(viewer)) if viewer else found.none()
    submission = found.first()
    if submission is None:
        raise Http404("No such submission.")
    return competition, submission, organizer


def _live_context(submission: Submission, organizer: bool) -> dict:
    row = submission_row(submission, organizer=organizer)
    timings = submission.timings if isinstance(submission.timings, dict) else {}
    metadata = submission.metadata if isinstance(submission.metadata, dict) else {}
    return {
        "submission": submission, "row": row, "show_logs": row["logs"] is not None,
        "metadata": sorted(metadata.items()),
        "steps": [{"label": label, "seconds": timings[key]} for key, label in STEPS.items() if key in timings],
        "charts": resource_charts(submission.resources, submission.phase),
        "labels": _label_rows(submission.image_labels),
    }


@login_required
@require_GET
def page(request, slug: str, submission_id: str):
    """The whole page."""
    competition, submission, organizer = _visible(request, slug, submission_id)
    context = _tab_context(request, competition, "submissions" if organizer else "participate")
    context.update(_live_context(submission, organizer))
    return render(request, "competition/submission.html", context)


@require_GET
def live(request, slug: str, submission_id: str):
    """The page's live part (an HTML fragment); 304, before authentication, when the client has it already."""
    unchanged = not_modified(request, int(submission_id), "page", slug)
    if unchanged is not None:
        return unchanged
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _, submission, organizer = _visible(request, slug, submission_id)
    response = render(request, "competition/_submission_live.html", _live_context(submission, organizer))
    return tagged(response, submission_etag(submission, organizer, "page", slug))
