"""A phase's data archives as pages link them: the input data for its organizers and approved
participants, the hidden reference data for its organizers only (anyone else gets 404, so its
existence does not leak)."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from competition.models import Participant, Phase

from .access import get_visible_competition, registration_of

#: The archives a page may link, by the name in the URL.
KINDS = ("input", "reference")


def may_download(phase: Phase, kind: str, user) -> bool:
    """Whether ``user`` may download the ``kind`` archive of ``phase``."""
    if phase.competition.is_organizer(user):
        return True
    if kind != "input":
        return False
    registration = registration_of(phase.competition, user)
    return registration is not None and registration.status == Participant.APPROVED


@require_safe
def download(request, slug: str, phase_id: int, kind: str):
    """The ``kind`` archive of the phase, as an attachment named :meth:`Phase.data_filename`."""
    competition = get_visible_competition(request, slug)
    phase = Phase.objects.filter(competition=competition, pk=phase_id).select_related("competition").first()
    if phase is None or kind not in KINDS or not may_download(phase, kind, request.user):
        raise Http404("No such data.")
    field = phase.input_data if kind == "input" else phase.reference_data
    if not field:
        raise Http404("This phase has no such data yet.")
    try:
        handle = field.open("rb")
    except OSError:
        raise Http404("The archive is missing from storage.") from None
    return FileResponse(handle, as_attachment=True, filename=phase.data_filename(kind),
                        content_type="application/octet-stream")
