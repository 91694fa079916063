"""Who may pull or push a platform repository, with the reason of every refusal.

- push: only into one's own namespace of a competition one is an approved participant of,
  that takes Docker images, while one's stored images stay under the quota;
- pull: the repository's owner and the competition's organizers (workers get their own
  token for one submission through the worker API);
- anything else (``delete``, ``*``, the catalog): nobody; the site signs itself such tokens
  for housekeeping only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum

from ..models import Competition, Participant, RegistryImage
from .names import namespace, split_repository
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


def used_bytes(user) -> int:
    """The compressed bytes of every image ``user`` has in the registry (each manifest counted once)."""
    return int(RegistryImage.objects.filter(owner=user).aggregate(total=Sum("size_bytes"))["total"] or 0)


def quota_problem(user) -> str:
    """Why ``user`` may not push more (the storage quota is spent), or ``""``."""
    quota = settings.EVALBOX_REGISTRY_QUOTA_MB * (1 << 20)
    used = used_bytes(user)
    if quota and used >= quota:
        return (f"your registry storage quota is spent ({used / (1 << 20):.0f} MB of "
                f"{settings.EVALBOX_REGISTRY_QUOTA_MB} MB): images no submission uses are deleted after "
                f"{settings.EVALBOX_REGISTRY_RETENTION_DAYS} days; ask the organizers for more room")
    return ""


def competition_named(slug_component: str) -> Competition | None:
    return next((c for c in Competition.objects.filter(slug__iexact=slug_component)
                 if namespace(c.slug) == slug_component), None)


def _push_problem(user, competition: Competition, owner: bool, name: str) -> str:
    if not owner:
        return (f"you may push only into your own namespace {namespace(competition.slug)}/"
                f"{namespace(user.get_username())}/..., not {name}")
    registration = Participant.objects.filter(competition=competition, user=user).first()
    if registration is None or registration.status != Participant.APPROVED:
        state = registration.status if registration else "not registered"
        return f"you are not an approved participant of {competition.slug} ({state})"
    if not competition.enable_docker_submission:
        return f"{competition.slug} does not take Docker image submissions"
    namesakes = Participant.objects.filter(competition=competition).exclude(user=user).values_list(
        "user__username", flat=True)
    if any(namespace(other) == namespace(user.get_username()) for other in namesakes):
        return (f"the namespace {namespace(user.get_username())} is shared by several participants' usernames; "
                "ask the organizers")
    return quota_problem(user)


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
    owner = parts.namespace == namespace(user.get_username())
    granted, problems = set(), []
    if PULL in wanted or PUSH in wanted:  # a push needs pull too (to check existing layers)
        if owner or competition.is_organizer(user):
            granted.add(PULL)
        elif PUSH not in wanted:  # a refused push says why itself
            problems.append(f"only its owner and the organizers of {competition.slug} may pull {scope.name}")
    if PUSH in wanted:
        problem = _push_problem(user, competition, owner, scope.name)
        if problem:
            problems.append(problem)
        else:
            granted.add(PUSH)
    for action in sorted(wanted - {PULL, PUSH}):
        problems.append(f"the action {action!r} is not granted to participants")
    return Decision(scope, tuple(sorted(granted & wanted)), "; ".join(problems))
