"""The permission matrix against the real registry: tokens from the site, requests to the registry.

Who: the owner, another participant, a pending participant, the organizer, a worker of one
submission, anonymous, an expired token and a token for another repository. What: pull (read
the manifest) and push (start a blob upload), plus the docker CLI's own messages.
"""

from __future__ import annotations

import pytest
import requests
from django.test import Client

from competition.models import RegistryImage, Submission
from competition.registry.tokens import Scope, sign_token
from tests.helpers.registry_api import get_manifest, site_token, start_upload
from tests.helpers.site_api import Api
from tests.helpers.timing import wait_for

REPO = "cats/pat/model"


@pytest.fixture
def pushed(cast, platform_registry, docker_cli, small_image) -> str:
    """``cats/pat/model:v1`` pushed by pat with docker login + docker push; its registry reference."""
    reference = f"{platform_registry.host}/{REPO}:v1"
    docker_cli.login(platform_registry.host, "pat", cast["pat"].token)
    docker_cli.push(small_image, reference)
    wait_for(lambda: RegistryImage.objects.filter(repository=REPO, tag="v1").exists(), 20, "the push notification")
    return reference


def token_for(site_url: str, person, scope: str) -> str:
    response = site_token(site_url, scope, person.basic)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_the_owner_pushes_and_pulls(pushed, cast, platform_registry, live_server):
    token = token_for(live_server.url, cast["pat"], f"repository:{REPO}:pull,push")
    assert get_manifest(platform_registry.url, REPO, "v1", token).status_code == 200
    assert start_upload(platform_registry.url, REPO, token).status_code == 202
    image = RegistryImage.objects.get(repository=REPO, tag="v1")
    assert image.owner.username == "pat" and image.size_bytes > 100_000 and image.digest.startswith("sha256:")


@pytest.mark.parametrize(("who", "actions", "message"), [
    ("quinn", "pull", "only its owner and the organizers of cats may pull cats/pat/model"),
    ("quinn", "pull,push", "you may push only into your own namespace cats/quinn/..., not cats/pat/model"),
    ("olga", "pull,push", "you may push only into your own namespace cats/olga/..., not cats/pat/model"),
])
def test_others_are_refused_by_the_token_server_with_the_reason(pushed, cast, live_server, who, actions, message):
    response = site_token(live_server.url, f"repository:{REPO}:{actions}", cast[who].basic)
    assert response.status_code == 403
    assert response.json()["errors"][0] == {"code": "DENIED", "message": message}


def test_a_pending_participant_may_not_push_into_their_namespace(cast, live_server):
    response = site_token(live_server.url, "repository:cats/penny/model:pull,push", cast["penny"].basic)
    assert response.status_code == 403
    assert "not an approved participant of cats (pending)" in response.json()["errors"][0]["message"]


def test_the_organizer_pulls(pushed, cast, platform_registry, live_server):
    token = token_for(live_server.url, cast["olga"], f"repository:{REPO}:pull")
    assert get_manifest(platform_registry.url, REPO, "v1", token).status_code == 200


def test_anonymous_gets_nothing(pushed, platform_registry, live_server):
    response = site_token(live_server.url, f"repository:{REPO}:pull", None)
    assert response.status_code == 401 and "authentication required" in response.json()["errors"][0]["message"]
    assert get_manifest(platform_registry.url, REPO, "v1", None).status_code == 401
    wrong = site_token(live_server.url, f"repository:{REPO}:pull", ("pat", "not-the-token"))
    assert wrong.status_code == 401 and "wrong username or API token" in wrong.text


def test_an_expired_token_and_a_token_for_another_repository_are_refused_by_the_registry(pushed, platform_registry):
    # distribution accepts 60 s of clock skew past "exp": this one expired two minutes ago.
    expired, _ = sign_token("pat", [Scope("repository", REPO, ("pull",))], -120)
    assert get_manifest(platform_registry.url, REPO, "v1", expired).status_code == 401
    other, _ = sign_token("pat", [Scope("repository", "cats/pat/other", ("pull", "push"))], 60)
    assert get_manifest(platform_registry.url, REPO, "v1", other).status_code == 401
    assert start_upload(platform_registry.url, REPO, other).status_code == 401
    valid, _ = sign_token("pat", [Scope("repository", REPO, ("pull",))], 60)
    assert get_manifest(platform_registry.url, REPO, "v1", valid).status_code == 200  # the control


def test_docker_push_outside_one_s_namespace_says_why(pushed, cast, platform_registry, docker_cli, small_image):
    docker_cli.login(platform_registry.host, "quinn", cast["quinn"].token)
    result = docker_cli.push(small_image, f"{platform_registry.host}/{REPO}:stolen", check=False)
    assert result.returncode != 0
    assert "you may push only into your own namespace cats/quinn/" in result.stderr + result.stdout


def test_docker_login_with_a_wrong_token_says_why(platform_registry, cast, docker_cli):
    result = docker_cli.login(platform_registry.host, "pat", "wrong", check=False)
    assert result.returncode != 0 and "wrong username or API token" in result.stderr
    assert "/accounts/token/" in result.stderr  # where a participant makes one (not a manage.py command)


def test_the_quota_refuses_push_tokens_past_it(pushed, cast, live_server, settings):
    settings.EVALBOX_REGISTRY_QUOTA_MB = 1  # pat's image is above 1 MB compressed
    response = site_token(live_server.url, "repository:cats/pat/second:pull,push", cast["pat"].basic)
    assert response.status_code == 403
    assert "registry storage quota is spent (1 MB of 1 MB)" in response.json()["errors"][0]["message"]
    assert site_token(live_server.url, f"repository:{REPO}:pull", cast["pat"].basic).status_code == 200


def test_notifications_need_the_secret(live_server, platform_registry):
    response = requests.post(f"{live_server.url}/api/registry/events", json={"events": []},
                             headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert response.status_code == 401
    assert RegistryImage.objects.count() == 0


def test_a_worker_s_token_pulls_its_submission_s_repository_only(pushed, cast, submit, platform_registry,
                                                                  live_server, docker_cli, small_image):
    docker_cli.login(platform_registry.host, "quinn", cast["quinn"].token)
    docker_cli.push(small_image, f"{platform_registry.host}/cats/quinn/model:v1")
    submission = submit("pat", pushed)
    token = submission.new_token()
    submission.status = "RUNNING"
    submission.save()
    url = f"{live_server.url}/api/worker/submissions/{submission.pk}/registry-token"
    assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
    answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    grant = answer.json()
    assert grant["reference"] == submission.image_pinned and grant["registry_url"] == platform_registry.url
    digest = submission.image_pinned.split("@")[1]
    assert get_manifest(platform_registry.url, REPO, digest, grant["token"]).status_code == 200
    assert start_upload(platform_registry.url, REPO, grant["token"]).status_code == 401
    assert get_manifest(platform_registry.url, "cats/quinn/model", "v1", grant["token"]).status_code == 401
    Submission.objects.filter(pk=submission.pk).update(status="FINISHED")
    finished = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert finished.status_code == 403 and "only while the submission runs" in finished.json()["error"]


def test_submitting_an_image_one_may_not_pull_or_that_is_missing_is_refused(pushed, cast, platform_registry,
                                                                           registry_phase, settings):
    quinn = Api(Client(), {"Authorization": f"Token {cast['quinn'].token}"})
    url = "/api/competitions/cats/submissions/"
    stolen = quinn.post(url, {"phase": registry_phase.pk, "image": pushed})
    assert stolen.status_code == 400
    assert stolen.json()["errors"]["image"] == [
        f"You may submit only your own images of this competition: {platform_registry.host}/cats/quinn/<name>:<tag>."]
    missing = quinn.post(url, {"phase": registry_phase.pk, "image": f"{platform_registry.host}/cats/quinn/none:v9"})
    assert missing.status_code == 400 and "is not in the registry: push it first" in missing.json()["error"]
    settings.EVALBOX_REGISTRY_URL = "http://127.0.0.1:9"  # nothing listens there
    down = quinn.post(url, {"phase": registry_phase.pk, "image": f"{platform_registry.host}/cats/quinn/none:v9"})
    assert down.status_code == 503 and "The registry cannot be reached now" in down.json()["error"]
