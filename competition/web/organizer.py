"""The organizer's submissions page: every submission with filters, actions and the broker's state.

- ``GET /competitions/<slug>/submissions/?status=&participant=&phase=``: the filtered table (image,
  digest, labels, status, failure, scores, logs), per-phase counts by status and a Flower link
  when ``EVALBOX_FLOWER_URL`` is set; while a listed submission is not final, htmx fetches the
  page again every 3 s and swaps the table and the counts;
- ``GET .../submissions/broker/``: an HTML fragment (loaded by htmx once the page is shown, so the
  page never waits on the broker) with the queue depth and the connected workers;
- ``POST .../submissions/<id>/cancel/`` and ``.../rerun/``: the API's transitions, then back to
  the page with a message. A RUNNING submission's worker kills the container at its next
  heartbeat (the site answers 409);
- ``POST .../phases/<id>/publish/``: publish a private phase's scores (:func:`competition.visibility.publish`),
  then back to its leaderboard.

Organizers only: 403 for other signed-in users, 404 when the competition is invisible.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from competition import actions, monitoring
from competition.models import Phase, Submission
from competition.serializers import declared_scores
from competition.transitions import TransitionRefused
from competition.visibility import publish
from compute_worker.protocol import Status

from .access import get_organized_competition, organized_competitions
from .competitions import _tab_context
from .rows import BADGES

MAX_ROWS = 200
#: The end of each log shown in the table (the submission's page has all of it).
LOG_TAIL_CHARS = 4000
STATUSES = [s.value for s in Status]


def _filters(request, phases) -> dict[str, str]:
    """The valid filters of the query string (unknown values are ignored, never an error)."""
    query = request.GET
    wanted = {"status": "", "participant": "", "phase": ""}
    if query.get("status", "") in STATUSES:
        wanted["status"] = query["status"]
    wanted["participant"] = query.get("participant", "").strip()[:150]
    if query.get("phase", "") in {str(p.pk) for p in phases}:
        wanted["phase"] = query["phase"]
    return wanted


def _tail(text: str) -> str:
    """The last :data:`LOG_TAIL_CHARS` characters of a log, marked when cut."""
    return text if len(text) <= LOG_TAIL_CHARS else "\u2026" + text[-LOG_TAIL_CHARS:]


def _counts(competition, phases) -> list[dict]:
    """One row per phase: the number of submissions in each status, and the total."""
    found = {
        (row["phase_id"], row["status"]): row["n"]
        for row in Submission.objects.filter(phase__competition=competition)
        .values("phase_id", "status").annotate(n=Count("pk")).order_by()
    }
    rows = []
    for phase in phases:
        cells = [found.get((phase.pk, status), 0) for status in STATUSES]
        rows.append({"phase": phase, "cells": cells, "total": sum(cells)})
    return rows


@login_required
@require_safe
def submissions(request, slug: str):
    competition = get_organized_competition(request, slug)
    context = _tab_context(request, competition, "submissions")
    phases = context["phases"]
    wanted = _filters(request, phases)
    found = (
        Submission.objects.filter(phase__competition=competition)
        .select_related("phase", "participant__user", "team")
        .prefetch_related("phase__columns")
        .order_by("-created", "-pk")
    )
    if wanted["status"]:
        found = found.filter(status=wanted["status"])
    if wanted["participant"]:
        found = found.filter(participant__user__username=wanted["participant"])
    if wanted["phase"]:
        found = found.filter(phase_id=int(wanted["phase"]))
    total = found.count()
    rows = [
        {
            "submission": s,
            "badge": BADGES.get(s.status, "text-bg-secondary"),
            "labels": sorted((s.image_labels or {}).items()) if isinstance(s.image_labels, dict) else [],
            "scores": declared_scores(s),
            "logs": [(name, _tail(text)) for name, text in (("Program log", s.participant_log),
                                                            ("Scoring log", s.scoring_log)) if text],
        }
        for s in found[:MAX_ROWS]
    ]
    participants = sorted(
        competition.participants.values_list("user__username", flat=True)
    )
    context.update(
        rows=rows, total=total, shown=len(rows), wanted=wanted, statuses=STATUSES, participants=participants,
        counts=_counts(competition, phases), flower_url=settings.EVALBOX_FLOWER_URL,
        back=urlencode({k: v for k, v in wanted.items() if v}),
        active=any(not row["submission"].is_final for row in rows),
    )
    return render(request, "competition/submissions.html", context)


@login_required
@require_safe
def broker(request, slug: str):
    """The queue depth and the connected workers the user may see (an HTML fragment).

    An organizer sees the workers of the competition's usable queues, only those queues, and
    only the task ids of competitions they organize; staff see every worker.
    """
    competition = get_organized_competition(request, slug)
    answer = monitoring.connected_workers()
    if not request.user.is_staff:  # the operator sees every worker; an organizer only their own
        own = Submission.objects.filter(pk__in=monitoring.submission_ids(answer),
                                        phase__competition__in=organized_competitions(request.user))
        answer = monitoring.restricted(answer, set(competition.usable_queues()),
                                       set(own.values_list("pk", flat=True)))
    return render(request, "competition/_broker.html", {
        "competition": competition,
        "depth": monitoring.queue_depth(competition.queue_name),
        "answer": answer,
        "flower_url": settings.EVALBOX_FLOWER_URL,
    })


def _organized_submission(request, slug: str, submission_id: str) -> tuple:
    competition = get_organized_competition(request, slug)
    submission = Submission.objects.filter(pk=int(submission_id), phase__competition=competition).first()
    if submission is None:
        raise Http404("No such submission.")
    return competition, submission


def _back(request, slug: str):
    target = f"/competitions/{slug}/submissions/"
    query = request.POST.get("back", "")
    return redirect(f"{target}?{query}" if query and all(c.isalnum() or c in "=&%+-_." for c in query) else target)


def _act(request, slug: str, submission_id: str, action, done: str, not_done: str):
    """Apply ``action`` (of :mod:`competition.actions`) and go back to the page with a message."""
    _, submission = _organized_submission(request, slug, submission_id)
    try:
        action(submission.pk)
    except TransitionRefused as exc:
        messages.error(request, f"Submission #{submission.pk} was not {not_done}: {exc}")
    else:
        messages.success(request, f"Submission #{submission.pk} {done}")
    return _back(request, slug)


@login_required
@require_POST
def cancel_submission(request, slug: str, submission_id: str):
    """Cancel a submission; a running container is stopped at its worker's next heartbeat."""
    return _act(request, slug, submission_id, actions.cancel_submission,
                "cancelled. A running container is stopped at its worker's next heartbeat.", "cancelled")


@login_required
@require_POST
def rerun_submission(request, slug: str, submission_id: str):
    """Run a final submission again as a new attempt."""
    return _act(request, slug, submission_id, actions.rerun_submission, "sent again (a new attempt).", "rerun")


@login_required
@require_POST
def publish_phase(request, slug: str, phase_id: str):
    """Publish a private phase's scores now (recorded with who and when), then show its leaderboard."""
    competition = get_organized_competition(request, slug)
    phase = Phase.objects.filter(competition=competition, pk=int(phase_id)).first()
    if phase is None:
        raise Http404("No such phase.")
    if publish(phase, request.user).results_published_at is None:
        messages.info(request, f"The scores of {phase.name} were already public.")
    else:
        messages.success(request, f"The scores of {phase.name} are public now.")
    return redirect(f"/competitions/{competition.slug}/leaderboard/?phase={phase.pk}")
