"""The demo tests' image removal (``tests.helpers.demo_run.remove_images``), which runs beside other tests' images."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import docker_images
from tests.helpers.demo_run import remove_images

pytestmark = pytest.mark.docker


def test_only_the_prefixed_images_go_and_no_image_is_inspected_one_by_one(docker_client, mocker):
    # docker-py's images.list() inspects every image it lists: one that another test removes in
    # between failed the demo test with ImageNotFound. The engine's listing alone has no such gap.
    prefix = f"evalbox-test-removal-{uuid.uuid4().hex[:8]}"
    kept = docker_images.busybox_image()
    image = docker_client.images.get(kept)
    for name in ("one", "two"):
        image.tag(f"{prefix}/{name}", "latest")
    inspect = mocker.spy(docker_client.api, "inspect_image")
    assert sorted(remove_images(docker_client, f"{prefix}/")) == [f"{prefix}/one:latest", f"{prefix}/two:latest"]
    assert inspect.call_count == 0
    tags = {tag for listed in docker_client.api.images() for tag in listed.get("RepoTags") or []}
    assert not any(tag.startswith(prefix) for tag in tags)
    assert kept in tags
