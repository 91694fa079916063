"""The image reference grammar, directly and through the submission API (400 errors.image)."""

from __future__ import annotations

import pytest

from compute_worker.protocol import ProtocolError, parse_reference
from tests.site.conftest import submissions_url

DIGEST = "sha256:" + "a" * 64

GOOD = [
    ("alpine", "docker.io/library/alpine:latest"),
    ("alpine:3.20", "docker.io/library/alpine:3.20"),
    ("library/alpine", "docker.io/library/alpine:latest"),
    ("docker.io/library/alpine", "docker.io/library/alpine:latest"),
    ("index.docker.io/library/alpine:edge", "docker.io/library/alpine:edge"),
    ("registry-1.docker.io/team/model:v1", "docker.io/team/model:v1"),
    ("team/model", "docker.io/team/model:latest"),
    ("team/model:v1.2.3", "docker.io/team/model:v1.2.3"),
    ("team/model:V1_rc-2", "docker.io/team/model:V1_rc-2"),
    ("team/model:_private", "docker.io/team/model:_private"),
    ("ghcr.io/org/model:1.0", "ghcr.io/org/model:1.0"),
    ("registry.example.com:5000/org/model:1", "registry.example.com:5000/org/model:1"),
    ("localhost/model", "localhost/model:latest"),
    ("localhost:5000/model:dev", "localhost:5000/model:dev"),
    ("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000/a/b/c:t"),
    ("Registry.Example.COM/org/model", "Registry.Example.COM/org/model:latest"),
    (f"alpine@{DIGEST}", f"docker.io/library/alpine@{DIGEST}"),
    (f"alpine:3.20@{DIGEST}", f"docker.io/library/alpine:3.20@{DIGEST}"),
    (f"ghcr.io/org/model@{DIGEST}", f"ghcr.io/org/model@{DIGEST}"),
    ("my-team/my_model.v2", "docker.io/my-team/my_model.v2:latest"),
    ("a__b/c--d", "docker.io/a__b/c--d:latest"),
    ("org/sub/deep/model:t", "docker.io/org/sub/deep/model:t"),
    ("model:" + "t" * 128, "docker.io/library/model:" + "t" * 128),
    ("x", "docker.io/library/x:latest"),
]

BAD = [
    ("", "empty"),
    (" alpine", "whitespace"),
    ("alpine ", "whitespace"),
    ("al pine", "whitespace"),
    ("alpine\n", "whitespace"),
    ("alpine\t:1", "whitespace"),
    ("-alpine", "start with '-'"),
    ("--privileged", "start with '-'"),
    ("docker run alpine", "whitespace"),
    ("alpine;rm", "not allowed: ;"),
    ("alpine&&id", "not allowed: &"),
    ("alpine|sh", "not allowed: |"),
    ("$(id)", "not allowed: $ ( )"),
    ("`id`", "not allowed: `"),
    ("alpine>out", "not allowed: >"),
    ("a'b", "not allowed: '"),
    ('a"b', 'not allowed: "'),
    ("alp*ne", "not allowed: *"),
    ("MyModel", "lowercase: 'MyModel'"),
    ("team/Model", "lowercase: 'Model'"),
    ("team/model:", "tag '' is invalid"),
    ("team/model:-v1", "tag '-v1' is invalid"),
    ("team/model:" + "t" * 129, "is invalid"),
    ("team/model:v1:v2", "tag 'v1:v2' is invalid"),
    ("alpine@sha256:abc", "digest must be 'sha256:'"),
    ("alpine@md5:" + "a" * 32, "digest must be 'sha256:'"),
    ("alpine@sha256:" + "A" * 64, "digest must be 'sha256:'"),
    ("@" + DIGEST, "no repository name"),
    ("team//model", "empty path component"),
    ("team/model/", "empty path component"),
    ("/model", "empty path component"),
    ("team/-model", "not a valid repository name component"),
    ("team/model-", "not a valid repository name component"),
    ("team/mo..del", "not a valid repository name component"),
    ("-.example.com/model", "start with '-'"),
    ("bad_host.com/model", "not a valid registry host"),
    ("host.com:port/model", "not a valid registry host"),
    ("a" * 256, "longer than 255"),
    ("caf\u00e9", "printable ASCII"),
    ("alpine\x00", "printable ASCII"),
    (123, "must be a string"),
    (None, "must be a string"),
    (["alpine"], "must be a string"),
]


def test_table_is_large_enough() -> None:
    assert len(GOOD) + len(BAD) >= 40


@pytest.mark.parametrize(("typed", "normalized"), GOOD)
def test_good_references_normalize(typed: str, normalized: str) -> None:
    assert parse_reference(typed).normalized == normalized


@pytest.mark.parametrize(("typed", "problem"), BAD)
def test_bad_references_name_the_problem(typed: object, problem: str) -> None:
    with pytest.raises(ProtocolError) as error:
        parse_reference(typed)
    assert problem in str(error.value)


def test_api_stores_typed_and_normalized(api_for, participant, phase) -> None:
    api = api_for(participant.user)
    for typed, normalized in GOOD[:5]:
        response = api.post(submissions_url("cats"), {"phase": phase.pk, "image": typed})
        assert response.status_code == 201
        assert (response.json()["image_typed"], response.json()["image"]) == (typed, normalized)


def test_api_answers_400_with_the_message(api_for, participant, phase) -> None:
    api = api_for(participant.user)
    for typed, problem in BAD:
        response = api.post(submissions_url("cats"), {"phase": phase.pk, "image": typed})
        assert response.status_code == 400, typed
        errors = response.json()["errors"]["image"]
        assert problem in errors[0], (typed, errors)
    assert participant.submissions.count() == 0


def test_api_refuses_a_registry_not_allowed(api_for, participant, phase) -> None:
    competition = phase.competition
    competition.allowed_registries = "ghcr.io\nregistry.example.com:5000"
    competition.save()
    api = api_for(participant.user)
    refused = api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    assert refused.status_code == 400
    assert "'docker.io' is not allowed" in refused.json()["errors"]["image"][0]
    accepted = api.post(submissions_url("cats"), {"phase": phase.pk, "image": "registry.example.com:5000/a/b:1"})
    assert accepted.status_code == 201
