"""The competition list, the competition page's tabs, and the competition create/edit form."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from competition import leaderboard as boards
from competition.charts import score_chart
from competition.forms import CompetitionForm, ResultsUploadForm
from competition.models import Competition, Participant
from competition.quotas import remaining
from competition.registry.listing import registry_view
from competition.visibility import can_publish, private_message, scores_public

from .access import get_organized_competition, get_visible_competition, registration_of, visible_competitions
from .methods import form_page
from .rows import rows_for
from .setup_checklist import checklist


def home(request):
    """Every competition the user may see."""
    competitions = visible_competitions(request.user).select_related("created_by")
    organized = set()
    if request.user.is_authenticated:
        organized = {c.pk for c in competitions if c.is_organizer(request.user)}
    return render(request, "competition/list.html", {"competitions": competitions, "organized": organized})


def _tab_context(request, competition: Competition, tab: str) -> dict:
    phases = list(competition.phases.all())
    now = timezone.now()
    return {
        "competition": competition,
        "tab": tab,
        "phases": phases,
        "open_phases": [p for p in phases if p.is_open(now)],
        "now": now,
        "is_organizer": competition.is_organizer(request.user),
        "registration": registration_of(competition, request.user),
    }


def _selected_phase(request, phases, default=None):
    wanted = request.GET.get("phase", "")
    for phase in phases:
        if str(phase.pk) == wanted:
            return phase
    return default if default is not None else (phases[0] if phases else None)


def overview(request, slug: str):
    """The description and the phases; for organizers, the setup checklist."""
    competition = get_visible_competition(request, slug)
    context = _tab_context(request, competition, "overview")
    if context["is_organizer"]:
        context["setup"] = checklist(competition, context["phases"])
    return render(request, "competition/overview.html", context)


def participate(request, slug: str):
    """Register, submit (docker modal or results upload) and follow one's submissions live."""
    competition = get_visible_competition(request, slug)
    context = _tab_context(request, competition, "participate")
    registration = context["registration"]
    approved = registration is not None and registration.status == Participant.APPROVED
    phases, open_phases = context["phases"], context["open_phases"]
    phase = _selected_phase(request, phases, default=open_phases[0] if open_phases else None)
    context.update(
        approved=approved,
        phase=phase,
        rows=rows_for(registration, phase, organizer=context["is_organizer"]) if approved and phase else [],
        upload_form=ResultsUploadForm(phases=open_phases, initial={"phase": phase.pk if phase else None}),
        teams_on=competition.max_team_size > 1,
        team_members=list(registration.team.members.select_related("user")) if approved and registration.team else [],
        scores_message="" if phase is None or scores_public(phase) else private_message(phase),
        registry=registry_view(competition, request.user) if approved else None,
        quotas=[(p, remaining(registration, p)) for p in open_phases] if approved else [],
    )
    return render(request, "competition/participate.html", context)


def _board_rows(data: dict) -> list[dict]:
    """The leaderboard JSON's rows as the page draws them."""
    return [
        {
            "rank": row.get("rank"),
            "participant": row.get("participant"),
            "team": row.get("team"),
            "submission_id": row.get("submission_id"),
            "created": parse_datetime(row["created"]) if row.get("created") else None,
            "cells": [row["scores_text"][c["key"]] for c in data["columns"]],
        }
        for row in data.get("rows", [])
    ]


def leaderboard(request, slug: str):
    """The leaderboard of one phase, rendered server-side, as :mod:`competition.visibility` lets the viewer see it."""
    competition = get_visible_competition(request, slug)
    context = _tab_context(request, competition, "leaderboard")
    phase = _selected_phase(request, context["phases"])
    board = chart = None
    if phase is not None:
        computed = boards.leaderboard(phase, organizer=context["is_organizer"])
        chart = score_chart(computed)
        data = boards.leaderboard_json(computed)
        board = {"columns": data["columns"], "rows": _board_rows(data), "hidden": computed.hidden,
                 "private": data["private"], "message": private_message(phase),
                 "can_publish": context["is_organizer"] and can_publish(phase)}
    context.update(phase=phase, board=board, chart=chart)
    return render(request, "competition/leaderboard.html", context)


#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A text cell that no spreadsheet evaluates: a leading ``= + - @`` (or tab/CR) gets a ``'`` prefix.

    Numbers we format ourselves (scores, ranks, ids) are left alone: ``-0.5`` is a number, not a formula.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def leaderboard_csv(request, slug: str):
    """``leaderboard.csv?phase=<id>``: rank, participant, the declared columns, submission id, time."""
    competition = get_visible_competition(request, slug)
    phases = list(competition.phases.all())
    phase = _selected_phase(request, phases)
    if phase is None:
        return HttpResponse("This competition has no phase.\n", status=404, content_type="text/plain")
    computed = boards.leaderboard(phase, organizer=competition.is_organizer(request.user))
    if computed.hidden:
        return HttpResponse(private_message(phase) + "\n", status=403, content_type="text/plain; charset=utf-8")
    data = boards.leaderboard_json(computed)
    columns = data["columns"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{competition.slug}-phase-{phase.pk}-leaderboard.csv"'
    writer = csv.writer(response, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(["rank", "participant", *(csv_safe(c["key"]) for c in columns), "submission_id", "submitted_at"])
    for row in data["rows"]:
        cells = [row["scores_text"][column["key"]] for column in columns]
        writer.writerow([row["rank"], csv_safe(row["participant"]), *cells, row["submission_id"], row["created"]])
    return response


#: Said after any new co-organizer name, whether or not it is an account's.
INVITED = ("New co-organizer names were invited: an account by that name, if there is one, "
           "joins once its owner accepts on their Invitations page.")


def _save_competition(request, form: CompetitionForm, creating: bool):
    try:
        with transaction.atomic():
            competition = form.save(commit=False)
            if creating:
                competition.created_by = request.user
            competition.save()
            invited = form.save_admins(competition, request.user)
    except IntegrityError:
        form.add_error("slug", "A competition with this slug already exists.")
        return None
    if invited:
        messages.info(request, INVITED)
    return competition


@login_required
@form_page
def create(request):
    """The "New competition" form: any signed-in user may organize a competition."""
    form = CompetitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        competition = _save_competition(request, form, creating=True)
        if competition is not None:
            messages.success(request, "Competition created. Now add a phase.")
            return redirect("phase_create", slug=competition.slug)
    return render(request, "competition/form.html", {"form": form, "creating": True})


@login_required
@form_page
def edit(request, slug: str):
    competition = get_organized_competition(request, slug)
    form = CompetitionForm(request.POST or None, instance=competition)
    if request.method == "POST" and form.is_valid():
        competition = _save_competition(request, form, creating=False)
        if competition is not None:
            messages.success(request, "Competition saved.")
            return redirect("competition_overview", slug=competition.slug)
    return render(request, "competition/form.html", {"form": form, "competition": competition, "creating": False})
