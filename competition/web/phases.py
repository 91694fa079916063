"""Phase create/edit, with the inline formset of leaderboard columns."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render

from competition.forms import ColumnFormSet, PhaseForm
from competition.models import Phase

from . import kept_uploads
from .access import get_organized_competition
from .methods import form_page

#: The form's archive fields, kept across a form error.
ARCHIVES = ("input_data", "reference_data")


def _phase_page(request, competition, phase: Phase | None):
    creating = phase is None
    instance = phase or Phase(competition=competition)
    data = request.POST if request.method == "POST" else None
    files = kept_uploads.restore(request, ARCHIVES) if request.method == "POST" else None
    form = PhaseForm(data, files, instance=instance)
    kept: dict[str, str] = {}
    formset = ColumnFormSet(data, instance=instance, prefix="columns")
    if request.method == "POST":
        form_ok = form.is_valid()  # validate both so every error shows at once
        formset_ok = formset.is_valid()
        if form_ok and formset_ok:
            try:
                with transaction.atomic():
                    saved = form.save()
                    formset.instance = saved
                    formset.save()
            except IntegrityError:
                if creating:
                    instance.pk = None
                formset._non_form_errors = formset.error_class(
                    ["These columns could not be saved together (a key or the ranking column collides); "
                     "save key renames in two steps."],
                    error_class="nonform",
                )
            else:
                kept_uploads.forget(request)
                messages.success(request, f"Phase \u201c{saved.name}\u201d saved.")
                return redirect("competition_overview", slug=competition.slug)
        kept = kept_uploads.keep(request, files, [name for name in ARCHIVES if name not in form.errors])
    return render(
        request,
        "competition/phase_form.html",
        {"competition": competition, "phase": phase, "form": form, "formset": formset, "creating": creating,
         "kept": kept},
    )


@login_required
@form_page
def create(request, slug: str):
    competition = get_organized_competition(request, slug)
    return _phase_page(request, competition, None)


@login_required
@form_page
def edit(request, slug: str, phase_id: int):
    competition = get_organized_competition(request, slug)
    phase = Phase.objects.filter(competition=competition, pk=phase_id).first()
    if phase is None:
        raise Http404("No such phase.")
    return _phase_page(request, competition, phase)
