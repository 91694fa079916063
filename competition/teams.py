"""Teams: who forms, joins and leaves one, whose submissions are whose, and a team's namespace.

The rules (``docs/participants.md``, "Teams"):

- A competition has teams when its *team size limit* is above 1. An approved participant forms
  a team (a name; its slug is the team's namespace) or joins one by accepting a member's
  invitation (which lapses like every invitation, :mod:`competition.invitation_rules`).
- Only a participant who has not submitted to the competition yet may form or join a team, and
  only while the team has fewer members than the limit: the submissions a participant made
  alone stay theirs, so joining later would add a second quota.
- A member may leave at any time. The team keeps the submissions made as the team (its quota
  counts them, its leaderboard row and its final choices stay); the leaver takes part alone from
  then on and their own quota still counts every submission they made, for the team too, so
  leaving never gives a fresh quota. A team left without members and without submissions is
  deleted; one with submissions stays on the leaderboard.
- A submission belongs to the submitter's team at the moment it was made (``Submission.team``):
  the team's quota, leaderboard row and final choices are the team's, and every member sees the
  team's submissions. Without a team, all of that is the participant's own.

Locks, always in this order: the participant's row, then the team's (submitting, forming,
joining and leaving all take them), so two members cannot overrun the team's quota or size.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.text import slugify

from .invitation_rules import answer_invitation, unexpired
from .models import Participant, Submission, Team, TeamInvitation, UsernameSkeleton
from .usernames import is_reserved, skeleton

#: Said for a team name that is taken, looks like another team's or an account's, or is reserved.
NAME_UNAVAILABLE = "This team name is not available: choose another one."


class TeamRefused(Exception):
    """A team move the rules do not allow; the message says why (the pages show it, the API sends 409)."""


def namespace_of(participant: Participant) -> str:
    """Whose namespace ``participant`` pushes to and pulls from: their team's slug, else their username.

    Team slugs never look like an account's name (:func:`form_team` and sign-up both check the
    skeletons), so a team's namespace and a participant's cannot collide.
    """
    if participant.team_id is not None:
        return participant.team.slug
    return participant.user.get_username()


def name_taken_by_team(name: str) -> bool:
    """Whether a new account named ``name`` would look like a team's namespace (sign-up refuses it)."""
    return Team.objects.filter(skeleton=skeleton(name)).exists()


def quota_scope(participant: Participant) -> Q:
    """The submissions ``participant``'s quota counts: their team's, or (alone) every one they made."""
    if participant.team_id is not None:
        return Q(team_id=participant.team_id)
    return Q(participant_id=participant.pk)


def owned_scope(participant: Participant) -> Q:
    """The submissions ``participant``'s owner (the team, else themselves alone) may mark as final."""
    if participant.team_id is not None:
        return Q(team_id=participant.team_id)
    return Q(participant_id=participant.pk, team__isnull=True)


def visible_scope(participant: Participant) -> Q:
    """The submissions ``participant`` may see: every one they made, and their current team's."""
    scope = Q(participant_id=participant.pk)
    return scope | Q(team_id=participant.team_id) if participant.team_id is not None else scope


def seen_as_participant(user) -> Exists:
    """On a submission query: whether ``user`` sees the submission as a participant (:func:`visible_scope`).

    The same rule as a subquery, for one submission fetched without first fetching the
    viewer's registration: ``user`` is registered to its competition and made it, or is in the
    team it was made as (a NULL team matches nothing in SQL, as :func:`visible_scope` adds no
    team term for a viewer without a team).
    """
    registration = Participant.objects.filter(competition_id=OuterRef("phase__competition_id"), user_id=user.pk)
    return Exists(registration.filter(Q(pk=OuterRef("participant_id")) | Q(team_id=OuterRef("team_id"))))


def lock_submitter(participant_id: int) -> Participant:
    """Lock the participant's row, then its team's (call inside a transaction); the participant, team loaded."""
    participant = Participant.objects.select_for_update(of=("self",)).select_related("user").get(pk=participant_id)
    if participant.team_id is not None:
        participant.team = Team.objects.select_for_update().get(pk=participant.team_id)
    return participant


def _check_may_team_up(participant: Participant) -> None:
    """Refuse unless teams are on and ``participant`` is approved, without a team and without submissions."""
    competition = participant.competition
    if competition.max_team_size <= 1:
        raise TeamRefused("This competition has no teams: everyone takes part alone.")
    if participant.status != Participant.APPROVED:
        raise TeamRefused("Only approved participants can form or join a team.")
    if participant.team_id is not None:
        raise TeamRefused("You are already in a team: leave it first.")
    if Submission.objects.filter(participant_id=participant.pk).exists():
        raise TeamRefused("You have already submitted to this competition: only participants who have not "
                          "submitted yet can form or join a team.")


def _checked_name(name: str, competition_id: int) -> tuple[str, str]:
    """The cleaned name and its slug; raise :class:`TeamRefused` when it cannot be used.

    The slug may not look like any account's name (accounts are site-wide) nor like another
    team's slug of the competition.
    """
    name = " ".join(name.split())
    slug = slugify(name)
    if not 1 <= len(name) <= 60 or not slug or not name.isascii():
        raise TeamRefused("A team name is 1 to 60 ASCII characters, with at least one letter or digit.")
    folded = skeleton(slug)
    if (is_reserved(slug) or UsernameSkeleton.objects.filter(skeleton=folded).exists()
            or Team.objects.filter(competition_id=competition_id, skeleton=folded).exists()):
        raise TeamRefused(NAME_UNAVAILABLE)
    return name, slug


def form_team(participant: Participant, name: str) -> Team:
    """``participant`` forms a team named ``name`` and is its first member."""
    try:
        with transaction.atomic():
            locked = lock_submitter(participant.pk)
            _check_may_team_up(locked)
            name, slug = _checked_name(name, locked.competition_id)
            team = Team.objects.create(competition_id=locked.competition_id, name=name, slug=slug,
                                       skeleton=skeleton(slug), created_by=locked.user)
            locked.team = team
            locked.save(update_fields=["team"])
    except IntegrityError:  # a concurrent team took the slug
        raise TeamRefused(NAME_UNAVAILABLE) from None
    return team


def invite(team: Team, by: Participant, username: str) -> None:
    """``by`` (a member) invites the participant named ``username``; nothing is said of whether that name exists.

    Only an approved participant of the team's competition without a team gets an invitation;
    a full team invites nobody.
    """
    if by.team_id != team.pk:
        raise TeamRefused("Only the team's members can invite.")
    if team.members.count() >= team.competition.max_team_size:
        raise TeamRefused(f"The team is full ({team.competition.max_team_size} members).")
    invited = Participant.objects.filter(competition_id=team.competition_id, user__username=username.strip(),
                                         status=Participant.APPROVED, team__isnull=True).first()
    if invited is not None:
        TeamInvitation.objects.get_or_create(team=team, user_id=invited.user_id, defaults={"invited_by": by.user})


def pending_for(user) -> QuerySet[TeamInvitation]:
    """``user``'s team invitations that have not lapsed, newest first."""
    return unexpired(TeamInvitation.objects.filter(user=user)).select_related("team__competition", "invited_by")


def _join(invitation: TeamInvitation) -> None:
    """The invited user joins the invitation's team, if the rules still allow it."""
    team = invitation.team
    participant = Participant.objects.filter(competition_id=team.competition_id, user_id=invitation.user_id).first()
    if participant is None:
        raise TeamRefused("You are not a participant of this competition any more.")
    participant = lock_submitter(participant.pk)
    _check_may_team_up(participant)
    team = Team.objects.select_for_update().get(pk=team.pk)
    limit = team.competition.max_team_size
    if team.members.count() >= limit:
        raise TeamRefused(f"The team {team.name} is full ({limit} members).")
    participant.team = team
    participant.save(update_fields=["team"])
    TeamInvitation.objects.filter(user_id=invitation.user_id, team__competition_id=team.competition_id
                                  ).exclude(pk=invitation.pk).delete()


def answer(user, invitation_id: int, accept: bool) -> Team | None:
    """Accept (join) or decline one of ``user``'s team invitations; its team, or ``None`` when not pending.

    Raises :class:`TeamRefused` (the invitation stays) when joining is not allowed now.
    """
    invitation = answer_invitation(pending_for(user), invitation_id, accept, _join)
    return invitation.team if invitation else None


def leave(participant: Participant) -> Team:
    """``participant`` leaves their team, which keeps its submissions; an empty team with none is deleted."""
    with transaction.atomic():
        locked = lock_submitter(participant.pk)
        team = locked.team
        if team is None:
            raise TeamRefused("You are not in a team.")
        locked.team = None
        locked.save(update_fields=["team"])
        if not team.members.exists() and not team.submissions.exists():
            team.delete()
    return team
