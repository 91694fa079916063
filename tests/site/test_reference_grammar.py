"""The image reference grammar, directly and through the submission API (400 errors.image)."""

from __future__ import annotations

import pytest

from compute_worker.protocol import ProtocolError, parse_reference
from tests.helpers.reference_table import BAD, GOOD
from tests.helpers.site_api import submissions_url


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
