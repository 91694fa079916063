"""A team pushes into one namespace: its slug. Every member pushes and pulls there, nobody else does.

Against the real registry: tokens from the site, pushes with the docker CLI, the push notifications
recorded under the team's namespace, the modal's view of them and a submission pinned from them.
"""

from __future__ import annotations

import pytest
from django.test import Client

from competition import teams
from competition.models import Participant, RegistryImage
from competition.registry.access import namespace_in
from competition.registry.listing import registry_view
from tests.helpers.registry_api import site_token
from tests.helpers.site_api import Api
from tests.helpers.timing import wait_for


@pytest.fixture
def team(cats, cast):
    """``pat`` and ``quinn`` in the team "Night Owls" (slug ``night-owls``) of ``cats``."""
    cats.max_team_size = 2
    cats.save(update_fields=["max_team_size"])
    pat = Participant.objects.get(competition=cats, user__username="pat")
    formed = teams.form_team(pat, "Night Owls")
    pat.refresh_from_db()
    teams.invite(formed, pat, "quinn")
    quinn = Participant.objects.get(competition=cats, user__username="quinn")
    (invitation,) = teams.pending_for(quinn.user)
    teams.answer(quinn.user, invitation.pk, accept=True)
    return formed


def test_the_namespace_is_the_team_s_for_every_member(team, cats, cast):
    for name in ("pat", "quinn"):
        member = Participant.objects.get(competition=cats, user__username=name)
        assert namespace_in(cats, member.user) == teams.namespace_of(member) == "night-owls"
    assert namespace_in(cats, cats.created_by) == "olga"  # not a participant: their own name


def test_members_push_and_pull_the_team_s_repositories_and_nobody_else(team, cats, cast, live_server, penny_out):
    repository = "cats/night-owls/model"
    for member in ("pat", "quinn"):
        granted = site_token(live_server.url, f"repository:{repository}:pull,push", cast[member].basic)
        assert granted.status_code == 200, granted.text
    own = site_token(live_server.url, "repository:cats/pat/model:pull,push", cast["pat"].basic)
    assert own.status_code == 403
    assert "your own namespace cats/night-owls/..., not cats/pat/model" in own.json()["errors"][0]["message"]
    stranger = site_token(live_server.url, f"repository:{repository}:pull", cast["penny"].basic)
    assert stranger.status_code == 403


@pytest.fixture
def penny_out(cats) -> None:
    """``penny`` (pending) is not on the team: the stranger of these tests."""
    assert not Participant.objects.filter(competition=cats, user__username="penny", team__isnull=False).exists()


def test_a_member_s_push_is_the_team_s_image_and_another_member_submits_it(
        team, cats, cast, platform_registry, docker_cli, small_image, registry_phase):
    reference = f"{platform_registry.host}/cats/night-owls/model:v1"
    docker_cli.login(platform_registry.host, "pat", cast["pat"].token)
    docker_cli.push(small_image, reference)
    wait_for(lambda: RegistryImage.objects.filter(repository="cats/night-owls/model", tag="v1").exists(), 20,
             "the push notification")
    quinn = Participant.objects.get(competition=cats, user__username="quinn").user
    view = registry_view(cats, quinn)
    assert view["namespace"] == "cats/night-owls"
    assert [image["reference"] for image in view["images"]] == [reference]
    api = Api(Client(), {"Authorization": f"Token {cast['quinn'].token}"})
    created = api.post("/api/competitions/cats/submissions/", {"phase": registry_phase.pk, "image": reference})
    assert created.status_code == 201, created.content
    name, digest = created.json()["image_pinned"].split("@")
    assert name == reference.rsplit(":", 1)[0] and digest == RegistryImage.objects.get(tag="v1").digest
