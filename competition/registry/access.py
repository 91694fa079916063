"""Who may pull or push a platform repository, with the reason of every refusal.

- push: only into one's own namespace of a competition one is an approved participant of (the
  team's, for a member of a team: :func:`competition.teams.namespace_of`), that takes Docker
  images, while the namespace's stored images stay under the quota;
- pull: the namespace's owners (the participant, or every member of the team) and the
  competition's organizers (workers get their own token for one submission through the worker
  API);
- anything else (``delete``, ``*``, the catalog): nobody; the site signs itself such tokens
  for housekeeping only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum

from ..models import Competition, Participant, RegistryImage
from ..teams import namespace_of
from .names import component, namespace, split_repository
from .tokens import Scope

PULL, PUSH = "pull", "push"


@dataclass(frozen=True)
class Decision:
    """The actions granted for one requested scope and, when some were refused, why."""

    scope: Scope
    granted: tuple[str, ...]
    refused: str = ""

    @property
    def granted_scope(self) -> Scope:
        """The scope with the granted actions only."""
        return Scope(self.scope.type, self.scope.name, self.granted)


def namespace_in(competition: Competition, user) -> str:
    """The registry namespace ``user`` pushes to in ``competition``: their team's slug, else their username."""
    registration = Participant.objects.select_related("team", "user").filter(competition=competition,
                                                                              user=user).first()
    return namespace(namespace_of(registration) if registration else user.get_username())


def namespace_images(competition: Competition, space: str):
    """The recorded images of one namespace of ``competition``."""
    return RegistryImage.objects.filter(competition=competition,
                                        repository__startswith=f"{component(competition.slug)}/{space}/")


def used_bytes(competition: Competition, space: str) -> int:
    """The compressed bytes of every image of a namespace (each manifest counted once)."""
    return int(namespace_images(competition, space).aggregate(total=Sum("size_bytes"))["total"] or 0)


def quota_problem(competition: Competition, space: str) -> str:
    """Why the namespace may not push more (its storage quota is spent), or ``""``."""
    quota = settings.EVALBOX_REGISTRY_QUOTA_MB * (1 << 20)
    used = used_bytes(competition, space)
    if quota and used >= quota:
        return (f"your registry storage quota is spent ({used / (1 << 20):.0f} MB of "
                f"{settings.EVALBOX_REGISTRY_QUOTA_MB} MB): images no submission uses are deleted after "
                f"{settings.EVALBOX_REGISTRY_RETENTION_DAYS} days; ask the organizers for more room")
    return ""


def competition_named(slug_component: str) -> Competition | None:
    return next((c for c in Competition.objects.filter(slug__iexact=slug_component)
                 if namespace(c.slug) == slug_component), None)


def _push_problem(user, competition: Competition, space: str, owner: bool, name: str) -> str:
    if not owner:
        return (f"you may push only into your own namespace {namespace(competition.slug)}/"
                f"{space}/..., not {name}")
    registration = Participant.objects.filter(competition=competition, user=user).first()
    if registration is None or registration.status != Participant.APPROVED:
        state = registration.status if registration else "not registered"
        return f"you are not an approved participant of {competition.slug} ({state})"
    if not competition.enable_docker_submission:
        return f"{competition.slug} does not take Docker image submissions"
    others = (Participant.objects.filter(competition=competition).exclude(user=user)
              .select_related("team", "user"))
    if registration.team_id is not None:
        others = others.exclude(team_id=registration.team_id)
    if any(namespace(namespace_of(other)) == space for other in others):
        return f"the namespace {space} is shared by several participants' names; ask the organizers"
    return quota_problem(competition, space)


def decide(user, scope: Scope) -> Decision:
    """What ``user`` (authenticated) may do of ``scope``."""
    wanted = set(scope.actions)
    if scope.type != "repository":
        return Decision(scope, (), f"no access to {scope.type} resources")
    parts = split_repository(scope.name)
    if parts is None:
        return Decision(scope, (), f"{scope.name} is not a platform repository: use <competition>/<username>/<name>")
    competition = competition_named(parts.competition)
    if competition is None:
        return Decision(scope, (), f"there is no competition {parts.competition}")
    space = namespace_in(competition, user)
    owner = parts.namespace == space
    granted, problems = set(), []
    if PULL in wanted or PUSH in wanted:  # a push needs pull too (to check existing layers)
        if owner or competition.is_organizer(user):
            granted.add(PULL)
        elif PUSH not in wanted:  # a refused push says why itself
            problems.append(f"only its owner and the organizers of {competition.slug} may pull {scope.name}")
    if PUSH in wanted:
        problem = _push_problem(user, competition, space, owner, scope.name)
        if problem:
            problems.append(problem)
        else:
            granted.add(PUSH)
    for action in sorted(wanted - {PULL, PUSH}):
        problems.append(f"the action {action!r} is not granted to participants")
    return Decision(scope, tuple(sorted(granted & wanted)), "; ".join(problems))
