"""The participant and organizer API: submit, list, show, cancel, rerun, mark final, register, leaderboard, publish.

Visibility: an unpublished competition (and everything in it) is 404 to all but its organizers;
a submission is visible to its submitter, their team mates and the competition's organizers
only (404 to others); its scores as :mod:`competition.visibility` says.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse

from compute_worker.protocol import Status

from ..actions import cancel_submission, rerun_submission
from ..archives import ArchiveError, check_archive
from ..auth import api_user
from ..changes import conditional, list_etag, not_modified, submission_etag, tagged
from ..dispatch import dispatch_new_on_commit
from ..final_choice import ChoiceRefused, mark_final
from ..leaderboard import leaderboard_for_phase
from ..models import Competition, Participant, Phase, Submission
from ..quotas import quota_problem
from ..registry.access import namespace_in
from ..registry.listing import registry_view
from ..registry.pinning import PinProblem, is_platform, pin_submitted
from ..serializers import submission_json
from ..teams import lock_submitter, seen_as_participant, visible_scope
from ..transitions import TransitionRefused
from ..visibility import publish, scores_public
from .common import ApiError, api_view, field_error, json_body, parse_id, require_person
from .references import read_reference, where_from

MAX_PAGE = 500


def _competition(slug: str, user) -> tuple[Competition, bool]:
    """The competition visible to ``user`` and whether ``user`` organizes it, or a 404."""
    competition = Competition.objects.filter(slug=slug).annotate(
        viewer_is_admin=Competition.admin_exists(user, OuterRef("pk"))).first()
    if competition is None:
        raise ApiError(404, "No such competition.")
    organizer = competition.is_organizer(user, is_admin=competition.viewer_is_admin)
    if not (competition.published or organizer):
        raise ApiError(404, "No such competition.")
    return competition, organizer


def _submissions() -> QuerySet[Submission]:
    return Submission.objects.select_related("phase__competition", "participant__user", "team").prefetch_related(
        "phase__columns"
    )


def _visible_submission(request: HttpRequest, submission_id: int) -> tuple[Submission, bool]:
    """A submission the caller organizes, or made or shares by team in a published competition; else 404.

    Returns it with the organizer flag.
    """
    user = require_person(request)
    # One query answers who the caller is to the submission: polling clients ask this often.
    submission = _submissions().annotate(
        viewer_is_admin=Competition.admin_exists(user, OuterRef("phase__competition_id")),
        viewer_sees=seen_as_participant(user),
    ).filter(pk=submission_id).first()
    if submission is None:
        raise ApiError(404, "No such submission.")
    competition = submission.phase.competition
    if competition.is_organizer(user, is_admin=submission.viewer_is_admin):
        return submission, True
    if not (competition.published and submission.viewer_sees):
        raise ApiError(404, "No such submission.")
    return submission, False


def _approved_participant(competition: Competition, user) -> Participant:
    participant = Participant.objects.filter(competition=competition, user=user).first()
    if participant is None or participant.status != Participant.APPROVED:
        state = "pending approval" if participant and participant.status == Participant.PENDING else "not approved"
        raise ApiError(403, f"You are not an approved participant of this competition ({state}).")
    return participant


def _read_submission_body(request: HttpRequest) -> tuple[dict, object | None]:
    """The form fields and the uploaded predictions file (multipart), or the JSON body."""
    if request.content_type == "multipart/form-data":
        return request.POST, request.FILES.get("predictions")
    return json_body(request), None


def _checked_image(competition: Competition, user, typed: object) -> dict[str, str]:
    """The submission's image fields (as typed, normalized, pinned), or a 400/503 naming the problem."""
    reference = read_reference(competition, typed)
    pinned = ""
    if is_platform(reference):
        try:
            pinned = pin_submitted(competition.slug, namespace_in(competition, user), reference)
        except PinProblem as exc:
            if exc.status == 400:
                raise field_error("image", exc.message) from exc
            raise ApiError(exc.status, exc.message) from exc
    elif reference.digest:
        pinned = f"{reference.name}@{reference.digest}"
    return {"image_typed": typed, "image": reference.normalized, "image_pinned": pinned}


@api_view(("GET", "POST"))
def submissions(request: HttpRequest, slug: str) -> JsonResponse:
    """``GET``: the caller's submissions (organizers: all, filtered); ``POST``: submit."""
    user = require_person(request)
    competition, organizer = _competition(slug, user)
    if request.method == "POST":
        return _create_submission(request, competition, user, organizer)
    return _list_submissions(request, competition, user, organizer)


def _list_submissions(request: HttpRequest, competition: Competition, user, organizer: bool) -> JsonResponse:
    query = request.GET
    found = _submissions().filter(phase__competition=competition)
    if "phase" in query:
        found = found.filter(phase_id=parse_id(query["phase"], "phase"))
    if not organizer:
        viewer = Participant.objects.filter(competition=competition, user=user).first()
        found = found.filter(visible_scope(viewer)) if viewer else found.none()
    else:
        if "status" in query:
            if query["status"] not in Status.__members__:
                raise field_error("status", f"Unknown status; use one of {', '.join(Status.__members__)}.")
            found = found.filter(status=query["status"])
        if "participant" in query:
            found = found.filter(participant__user__username=query["participant"])
    limit = min(parse_id(query.get("limit", "100"), "limit"), MAX_PAGE)
    offset = parse_id(query.get("offset", "0"), "offset", minimum=0)

    def build() -> JsonResponse:
        page = list(found[offset:offset + limit])
        return JsonResponse({
            "count": found.count(),
            "submissions": [submission_json(s, organizer=organizer) for s in page],
        })

    tag = list_etag(found, organizer, competition.participants_see_logs, limit, offset)
    return conditional(request, tag, build)


def _create_submission(request: HttpRequest, competition: Competition, user, organizer: bool) -> JsonResponse:
    data, upload = _read_submission_body(request)
    if "phase" not in data:
        raise field_error("phase", "'phase' is required.")
    phase = Phase.objects.filter(pk=parse_id(data["phase"], "phase"), competition=competition).first()
    if phase is None:
        raise field_error("phase", "No such phase in this competition.")
    phase.competition = competition  # the same row: the dispatch reads it without loading it again
    participant = _approved_participant(competition, user)
    docker = competition.enable_docker_submission
    if docker and upload is not None:
        raise ApiError(403, "This competition takes Docker image references, not predictions uploads.")
    if not docker and "image" in data:
        raise ApiError(403, "Docker submission is disabled for this competition: upload predictions instead.")
    if not phase.is_open():
        raise ApiError(403, f"The phase '{phase.name}' is not open for submissions.")
    fields: dict[str, object] = {}
    if docker:
        if "image" not in data:
            raise field_error("image", "'image' is required.")
        fields.update(_checked_image(competition, user, data["image"]))
    else:
        if upload is None:
            raise field_error("predictions", "Upload a predictions archive (zip or tar.gz) as 'predictions'.")
        try:
            digest = check_archive(upload)
        except ArchiveError as exc:
            raise field_error("predictions", exc.message) from exc
        fields.update(predictions=upload, predictions_sha256=digest)
    with transaction.atomic():
        locked_participant = lock_submitter(participant.pk)
        problem = quota_problem(locked_participant, phase)
        if problem:
            raise ApiError(429, problem)
        submission = Submission(phase=phase, participant=locked_participant, team=locked_participant.team, **fields)
        dispatch_new_on_commit(submission)
        submission.save()
    submission = _submissions().get(pk=submission.pk)
    return JsonResponse(submission_json(submission, organizer=organizer), status=201)


@api_view(("GET",), person=False)
def submission_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    """One submission (owner or organizer); 304 to an ``If-None-Match`` of its current ETag.

    The 304 comes before authentication (:mod:`competition.changes`): a poll that finds nothing
    new costs one query.
    """
    unchanged = not_modified(request, submission_id, "json")
    if unchanged is not None:
        return unchanged
    request.api_user = api_user(request)
    submission, organizer = _visible_submission(request, submission_id)
    return tagged(JsonResponse(submission_json(submission, organizer=organizer)),
                  submission_etag(submission, organizer, "json"))


def _act(request: HttpRequest, submission_id: int, action: Callable[[int], Submission]) -> JsonResponse:
    """Apply a person's ``action`` to a visible submission; 409 when its state refuses it."""
    submission, organizer = _visible_submission(request, submission_id)
    if action is rerun_submission and not organizer:
        raise ApiError(403, "Only organizers can rerun a submission.")
    try:
        action(submission.pk)
    except TransitionRefused as exc:
        raise ApiError(409, str(exc), status=submission.status) from exc
    return JsonResponse(submission_json(_submissions().get(pk=submission.pk), organizer=organizer))


@api_view(("POST",))
def submission_cancel(request: HttpRequest, submission_id: int) -> JsonResponse:
    """Cancel a non-final submission (owner or organizer); 409 when it is already final."""
    return _act(request, submission_id, cancel_submission)


@api_view(("POST",))
def submission_rerun(request: HttpRequest, submission_id: int) -> JsonResponse:
    """Run a final submission again as a new attempt (organizers only); 409 while it runs."""
    return _act(request, submission_id, rerun_submission)


@api_view(("POST",))
def submission_final(request: HttpRequest, submission_id: int) -> JsonResponse:
    """Mark (``{"final": true}``) or unmark one of the caller's (or their team's) submissions as final.

    409 when the phase's rule is not the marked ones, after the phase's end, for a FAILED or
    CANCELLED submission, or beyond the phase's number of final submissions.
    """
    submission, _ = _visible_submission(request, submission_id)
    final = json_body(request).get("final", True)
    if not isinstance(final, bool):
        raise field_error("final", "'final' must be true or false.")
    viewer = Participant.objects.filter(competition=submission.phase.competition, user=request.api_user).first()
    not_owner = ApiError(403, "Only the submission's owner (its team, or its participant) can mark it as final.")
    if viewer is None:
        raise not_owner
    try:
        mark_final(viewer, submission.pk, final)
    except Submission.DoesNotExist:
        raise not_owner from None
    except ChoiceRefused as exc:
        raise ApiError(409, str(exc), final=submission.final_choice) from exc
    return JsonResponse(submission_json(_submissions().get(pk=submission.pk), organizer=False))


@api_view(("POST",))
def register(request: HttpRequest, slug: str) -> JsonResponse:
    """Register the caller: approved at once when the competition auto-approves, else pending."""
    user = require_person(request)
    competition, _ = _competition(slug, user)
    status = Participant.APPROVED if competition.auto_approve_participants else Participant.PENDING
    try:
        with transaction.atomic():
            participant, created = Participant.objects.get_or_create(
                competition=competition, user=user, defaults={"status": status}
            )
    except IntegrityError:  # a concurrent registration won the race
        participant, created = Participant.objects.get(competition=competition, user=user), False
    return JsonResponse({"competition": competition.slug, "status": participant.status},
                        status=201 if created else 200)


def _phase(request: HttpRequest, phase_id: int) -> tuple[Phase, bool]:
    """A phase of a competition visible to the caller, and whether the caller organizes it; else a 404."""
    phase = Phase.objects.select_related("competition").filter(pk=phase_id).first()
    organizer = phase is not None and phase.competition.is_organizer(request.api_user)
    if phase is None or not (phase.competition.published or organizer):
        raise ApiError(404, "No such phase.")
    return phase, organizer


@api_view(("GET",))
def phase_leaderboard(request: HttpRequest, phase_id: int) -> JsonResponse:
    """A phase's leaderboard: public once the competition is published, else organizers only; rows as visible."""
    phase, organizer = _phase(request, phase_id)
    return JsonResponse(leaderboard_for_phase(phase, organizer=organizer))


@api_view(("POST",))
def phase_publish(request: HttpRequest, phase_id: int) -> JsonResponse:
    """Publish a private phase's scores now (organizers only; recorded with who and when)."""
    require_person(request)
    phase, organizer = _phase(request, phase_id)
    if not organizer:
        raise ApiError(403, "Only the competition's organizers can publish its scores.")
    phase = publish(phase, request.api_user)
    if phase.results_published_at is None:
        raise ApiError(409, f"The scores of {phase.name} are already public: there is nothing to publish.")
    return JsonResponse({"phase": phase.pk, "published_at": phase.results_published_at.isoformat(),
                         "published_by": phase.results_published_by.get_username()})


@api_view(("GET",))
def competition_detail(request: HttpRequest, slug: str) -> JsonResponse:
    """A competition and its phases (the ``evalbox`` CLI resolves and checks ``--phase`` with it)."""
    competition, _ = _competition(slug, request.api_user)
    return JsonResponse({
        "slug": competition.slug,
        "title": competition.title,
        "enable_docker_submission": competition.enable_docker_submission,
        "max_team_size": competition.max_team_size,
        "phases": [
            {"id": p.pk, "name": p.name, "open": p.is_open(), "start": p.start.isoformat(),
             "end": p.end.isoformat() if p.end else None, "time_limit_s": p.time_limit_s,
             "leaderboard_visibility": p.leaderboard_visibility, "scores_public": scores_public(p),
             "selection_rule": p.selection_rule, "max_final_submissions": p.max_final_submissions}
            for p in competition.phases.all()
        ],
    })


@api_view(("GET",))
def competition_leaderboard(request: HttpRequest, slug: str) -> JsonResponse:
    """The leaderboard of ``?phase=<id>`` (default: the competition's first phase); rows as visibility allows."""
    competition, organizer = _competition(slug, request.api_user)
    phases = competition.phases.all()
    if "phase" in request.GET:
        phase = phases.filter(pk=parse_id(request.GET["phase"], "phase")).first()
    else:
        phase = phases.first()
    if phase is None:
        raise ApiError(404, "No such phase in this competition.")
    return JsonResponse(leaderboard_for_phase(phase, organizer=organizer))


@api_view(("GET",))
def competition_images(request: HttpRequest, slug: str) -> JsonResponse:
    """The platform registry's push commands for the caller and the images they pushed to this competition."""
    user = require_person(request)
    competition, _ = _competition(slug, user)
    view = registry_view(competition, user)
    if view is None:
        raise ApiError(404, "This site runs no registry: push your image to a registry the competition allows.")
    return JsonResponse(view)


@api_view(("GET",))
def reference_reading(request: HttpRequest, slug: str) -> JsonResponse:
    """How the site reads ``?image=``: the normalized reference, its registry and where it is pulled from."""
    competition, _ = _competition(slug, require_person(request))
    read = read_reference(competition, request.GET.get("image", ""))
    return JsonResponse({"image": read.normalized, "registry": read.registry, "where": where_from(read)})
