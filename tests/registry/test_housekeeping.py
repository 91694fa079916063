"""Registry housekeeping against the real registry: unused manifests past retention go, then garbage collection."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from competition.models import RegistryImage
from competition.registry.tokens import Scope, sign_token
from tests.helpers import docker_images
from tests.helpers.registry_api import get_manifest


def test_old_unused_manifests_are_deleted_and_their_blobs_collected(push_as, submit, platform_registry, cast):
    push = push_as("pat")
    images = {name: push(docker_images.unique_image(f"keep-{name}", f"echo {name}\n", noise_mb=1), f"{name}:v1")
              for name in ("old", "used", "new")}
    submit("pat", images["used"])  # pins cats/pat/used
    RegistryImage.objects.filter(repository__in=["cats/pat/old", "cats/pat/used"]).update(
        pushed_at=timezone.now() - timedelta(days=40))
    storage = platform_registry.directory / "storage"
    before = sum(f.stat().st_size for f in storage.rglob("*") if f.is_file())
    out = StringIO()
    call_command("registry_cleanup", "--retention-days", "30", "--config", str(platform_registry.config_path),
                 stdout=out)
    text = out.getvalue()
    assert "deleted 1 manifest(s)" in text and "kept 1 older one(s) that submissions use" in text
    assert "garbage collection:" in text
    token, _ = sign_token("test", [Scope("repository", f"cats/pat/{n}", ("pull",)) for n in images], 60)
    assert get_manifest(platform_registry.url, "cats/pat/old", "v1", token).status_code == 404
    assert get_manifest(platform_registry.url, "cats/pat/used", "v1", token).status_code == 200
    assert get_manifest(platform_registry.url, "cats/pat/new", "v1", token).status_code == 200
    after = sum(f.stat().st_size for f in storage.rglob("*") if f.is_file())
    assert before - after > 1 << 20  # the old image's megabyte of noise is gone from the storage
    assert set(RegistryImage.objects.values_list("repository", flat=True)) == {"cats/pat/used", "cats/pat/new"}


def test_a_dry_run_deletes_nothing_and_bad_options_are_one_line(push_as, small_image, platform_registry, cast,
                                                                settings):
    push_as("pat")(small_image, "dry:v1")
    RegistryImage.objects.update(pushed_at=timezone.now() - timedelta(days=40))
    out = StringIO()
    call_command("registry_cleanup", "--dry-run", stdout=out)
    assert "would delete cats/pat/dry@sha256:" in out.getvalue() and RegistryImage.objects.count() == 1
    with pytest.raises(CommandError, match="does not exist"):
        call_command("registry_cleanup", "--config", "/nonexistent/config.yml")
    settings.EVALBOX_REGISTRY = ""
    with pytest.raises(CommandError, match="runs no registry"):
        call_command("registry_cleanup")
