"""What the worker refuses from the manifest alone, before any layer: another platform, an unknown format.

The manifests are written with the registry API as the owner pushes them (an index offering
only linux/arm64; an OCI manifest with a layer type no engine knows).
"""

from __future__ import annotations

import json

import requests

from tests.helpers.registry_api import bearer, get_manifest, site_token
from tests.helpers.registry_jobs import run_on_worker

INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def owner_token(live_server, cast, repository: str) -> str:
    response = site_token(live_server.url, f"repository:{repository}:pull,push", cast["pat"].basic)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def put_manifest(registry, repository: str, tag: str, media_type: str, manifest: dict, token: str) -> None:
    response = requests.put(f"{registry.url}/v2/{repository}/manifests/{tag}", data=json.dumps(manifest),
                            headers={"Content-Type": media_type, **bearer(token)}, timeout=10)
    assert response.status_code == 201, response.text


def pushed_manifest(push_as, small_image, platform_registry, token: str, name: str) -> tuple[dict, str, int]:
    """Push the small image as ``cats/pat/<name>:base``; its manifest, digest and size."""
    push_as("pat")(small_image, f"{name}:base")
    response = get_manifest(platform_registry.url, f"cats/pat/{name}", "base", token)
    return response.json(), response.headers["Docker-Content-Digest"], len(response.content)


def test_an_index_without_linux_amd64_is_refused(push_as, submit, cast, pull_config, platform_registry,
                                                 live_server, small_image):
    token = owner_token(live_server, cast, "cats/pat/multi")
    manifest, digest, size = pushed_manifest(push_as, small_image, platform_registry, token, "multi")
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [
        {"mediaType": manifest["mediaType"], "digest": digest, "size": size,
         "platform": {"os": "linux", "architecture": "arm64"}}]}
    put_manifest(platform_registry, "cats/pat/multi", "arm-only", INDEX, index, token)
    submission = submit("pat", f"{platform_registry.host}/cats/pat/multi:arm-only")
    summary = run_on_worker(submission, pull_config)
    assert summary["failure_reason"] == "image_platform_missing", summary
    assert "has no linux/amd64 variant (it has: linux/arm64)" in summary["message"]


def test_an_unknown_layer_type_is_refused(push_as, submit, cast, pull_config, platform_registry, live_server,
                                          small_image):
    token = owner_token(live_server, cast, "cats/pat/odd")
    manifest, _, _ = pushed_manifest(push_as, small_image, platform_registry, token, "odd")
    odd = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": {**manifest["config"], "mediaType": "application/vnd.oci.image.config.v1+json"},
           "layers": [{**layer, "mediaType": "application/vnd.example.unknown.layer"} for layer in manifest["layers"]]}
    put_manifest(platform_registry, "cats/pat/odd", "v1", OCI_MANIFEST, odd, token)
    submission = submit("pat", f"{platform_registry.host}/cats/pat/odd:v1")
    summary = run_on_worker(submission, pull_config)
    assert summary["failure_reason"] == "image_unsupported", summary
    assert "a layer of type 'application/vnd.example.unknown.layer'" in summary["message"]
    assert platform_registry.blob_gets("cats/pat/odd") == []


def test_an_index_with_linux_amd64_runs_that_variant(push_as, submit, cast, pull_config, platform_registry,
                                                    live_server, small_image):
    token = owner_token(live_server, cast, "cats/pat/both")
    manifest, digest, size = pushed_manifest(push_as, small_image, platform_registry, token, "both")
    entry = {"mediaType": manifest["mediaType"], "digest": digest, "size": size}
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [
        {**entry, "platform": {"os": "linux", "architecture": "arm64"}},
        {**entry, "platform": {"os": "linux", "architecture": "amd64"}}]}
    put_manifest(platform_registry, "cats/pat/both", "multi", INDEX, index, token)
    submission = submit("pat", f"{platform_registry.host}/cats/pat/both:multi")
    summary = run_on_worker(submission, pull_config)
    assert summary["status"] == "FINISHED", summary
