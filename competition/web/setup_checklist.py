"""The organizer's setup checklist on the competition page, and its Publish button.

Each phase's steps (input data, reference data, scoring image, leaderboard columns with a ranking
one) and the competition's published state; the first missing step is linked as the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from competition.models import Competition, Phase

from .access import get_organized_competition


@dataclass(frozen=True)
class Step:
    """One cell of the checklist: what, whether it is done, where to do it, and the words of the next step."""

    label: str
    done: bool
    url: str
    todo: str


def phase_steps(phase: Phase) -> list[Step]:
    """The steps of one phase, each linking its edit form."""
    edit = reverse("phase_edit", args=[phase.competition.slug, phase.pk])
    columns = list(phase.columns.all())
    name = phase.name
    return [
        Step("Input data", bool(phase.input_data), edit, f"Upload the input data of {name}"),
        Step("Reference data", bool(phase.reference_data), edit, f"Upload the reference data of {name}"),
        Step("Scoring image", bool(phase.scoring_image), edit, f"Set the scoring image of {name}"),
        Step("Leaderboard columns", any(c.ranks for c in columns), edit,
             f"Declare the leaderboard columns of {name} (one ranks)"),
    ]


def checklist(competition: Competition, phases: list[Phase]) -> dict:
    """The checklist's phases with their steps, and the next missing step (``None`` when all are done)."""
    rows = [{"phase": phase, "steps": phase_steps(phase)} for phase in phases]
    missing = [step for row in rows for step in row["steps"] if not step.done]
    if not phases:
        missing.insert(0, Step("Phase", False, reverse("phase_create", args=[competition.slug]), "Add a phase"))
    next_step = missing[0] if missing else None
    return {"rows": rows, "next": next_step, "ready": next_step is None}


@login_required
@require_POST
def publish(request, slug: str):
    """Publish the competition (everybody sees it from now on) and go back to its page."""
    competition = get_organized_competition(request, slug)
    if competition.published:
        messages.info(request, "The competition was already published.")
    else:
        Competition.objects.filter(pk=competition.pk).update(published=True)
        messages.success(request, "The competition is published: everybody sees it now.")
    return redirect("competition_overview", slug=competition.slug)
