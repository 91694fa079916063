"""The participant's view of the registry: the images API, the CLI's ``images`` and ``submit --pushed``."""

from __future__ import annotations

from competition.models import Submission
from tests.helpers.cli_runner import run_cli


def test_the_images_api_gives_the_push_lines_and_the_pushed_images(push_as, small_image, cast, platform_registry,
                                                                   live_server):
    import requests

    reference = push_as("pat")(small_image, "model:v1")
    view = requests.get(f"{live_server.url}/api/competitions/cats/images/",
                        headers={"Authorization": f"Token {cast['pat'].token}"}, timeout=10).json()
    host = platform_registry.host
    assert view["login"] == f"docker login {host} -u pat"
    assert view["tag"] == f"docker tag my-model:latest {host}/cats/pat/my-model:v1"
    assert view["push"] == f"docker push {host}/cats/pat/my-model:v1"
    assert [image["reference"] for image in view["images"]] == [reference]
    quinn = requests.get(f"{live_server.url}/api/competitions/cats/images/",
                         headers={"Authorization": f"Token {cast['quinn'].token}"}, timeout=10).json()
    assert quinn["images"] == [] and quinn["namespace"] == "cats/quinn"


def test_the_cli_lists_pushed_images_and_submits_one_by_name(push_as, small_image, cast, registry_phase,
                                                             live_server, tmp_path):
    reference = push_as("pat")(small_image, "model:v2")
    env = {"EVALBOX_SITE": live_server.url, "EVALBOX_TOKEN": cast["pat"].token}
    listed = run_cli(["images", "cats"], tmp_path, env)
    assert listed.code == 0, listed.err
    assert f"  {reference}  sha256:" in listed.out and "docker login" in listed.out
    submitted = run_cli(["submit", "--competition", "cats", "--phase", str(registry_phase.pk), "--pushed",
                         "model:v2"], tmp_path, env)
    assert submitted.code == 0, submitted.err
    submission = Submission.objects.get()
    assert submission.image_typed == reference and "@sha256:" in submission.image_pinned
    missing = run_cli(["submit", "--competition", "cats", "--pushed", "model:nope"], tmp_path, env)
    assert missing.code == 2
    assert "You have pushed no image model:nope to cats (pushed: model:v2)" in missing.err
