"""How the site reads a typed reference before it is submitted: where it is pulled from, or the problem."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db


def _read(api, typed: str):
    return api.get("/api/competitions/cats/references/?" + urlencode({"image": typed}))


@pytest.mark.parametrize(("typed", "image", "where"), [
    ("alpine", "docker.io/library/alpine:latest", "Docker Hub (docker.io), as docker.io/library/alpine:latest"),
    ("team/model:v1", "docker.io/team/model:v1", "Docker Hub (docker.io), as docker.io/team/model:v1"),
    ("ghcr.io/team/model:v1", "ghcr.io/team/model:v1", "ghcr.io, as ghcr.io/team/model:v1"),
    ("localhost:5000/m:1", "localhost:5000/m:1", "localhost:5000, as localhost:5000/m:1"),
])
def test_the_site_says_where_an_image_is_pulled_from(api_for, participant, typed, image, where):
    response = _read(api_for(participant.user), typed)
    assert response.status_code == 200, response.content
    assert response.json()["image"] == image and response.json()["where"] == where


@pytest.mark.parametrize(("typed", "words"), [
    ("docker run -it foo", "Enter only the image reference, not a command"),
    ("foo --rm", "Enter only the image reference, not a command"),
    ("Team/Model", "lowercase"),
])
def test_a_bad_reference_reads_as_the_submit_api_would_refuse_it(api_for, participant, phase, typed, words):
    api = api_for(participant.user)
    read = _read(api, typed)
    assert read.status_code == 400 and words in read.json()["errors"]["image"][0], read.content
    posted = api.post("/api/competitions/cats/submissions/", {"phase": phase.pk, "image": typed})
    assert posted.status_code == 400 and posted.json()["errors"]["image"] == read.json()["errors"]["image"]


def test_a_registry_the_competition_does_not_allow_is_named(api_for, participant, competition):
    competition.allowed_registries = "ghcr.io"
    competition.save()
    read = _read(api_for(participant.user), "alpine")
    assert read.status_code == 400 and "'docker.io' is not allowed here" in read.json()["errors"]["image"][0]


def test_the_reading_needs_a_visible_competition(api_for, make_user, make_competition):
    make_competition("hidden", published=False)
    response = api_for(make_user("zed")).get("/api/competitions/hidden/references/?image=alpine")
    assert response.status_code == 404
