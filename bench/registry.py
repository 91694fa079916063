"""Image pulls through the platform registry: evalbox's pull against a plain ``docker pull``, then the cache.

A 200 MB image of five layers (``FROM scratch``, five 40 MB layers of random bytes) is pushed to
a private registry (the site of the run is its token server). Side by side, interleaved, with
the image removed from the engine before each: evalbox's pull (``compute_worker.images``:
manifest read and checked through the registry API, pull by digest, size check, cache record)
and ``docker pull`` of the same tag (``docker login`` with the participant's API token). Then:
a second resolution of the same digest (the engine has it: 0 bytes), and the tag pushed again
with its fifth layer changed (only that layer and the config are downloaded). Downloads are
counted from the registry's access log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors

from . import common

LAYERS, LAYER_MB = 5, 40
TARGET_RATIO = 1.10


def build_image(client: docker.DockerClient, tag: str, layers: list[bytes]) -> None:
    """``FROM scratch`` with one COPY layer per blob of ``layers``."""
    context = Path(tempfile.mkdtemp(prefix="evalbox-bench-image-"))
    try:
        lines = ["FROM scratch"]
        for index, data in enumerate(layers):
            path = context / f"layer{index}.bin"
            path.write_bytes(data)
            os.utime(path, (1_700_000_000, 1_700_000_000))  # same bytes, same mtime: the same layer
            lines.append(f"COPY layer{index}.bin /layer{index}.bin")
        (context / "Dockerfile").write_text("\n".join(lines) + "\n")
        client.images.build(path=str(context), tag=tag, rm=True, pull=False, network_mode="none")
    finally:
        shutil.rmtree(context, ignore_errors=True)


def _remove(client: docker.DockerClient, reference: str) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(client.images.get(reference).id, force=True)


class Bench:
    """The registry, the participant's docker CLI and evalbox's resolution, for one run."""

    def __init__(self, site: common.Site, images: Any, work: Path, *, input_archive: Path | None = None) -> None:
        from django.conf import settings

        from competition.registry import config, keys, names
        from tests.helpers.registry import DockerCli, PrivateRegistry

        keys.create_key_pair(settings.EVALBOX_REGISTRY_KEY_FILE, settings.EVALBOX_REGISTRY_CERT_FILE)
        self.registry = PrivateRegistry(work / "registry", port=site.registry_port)
        self.registry.directory.mkdir(parents=True)
        self.registry.start(site.url, config.notify_secret(), settings.EVALBOX_REGISTRY_CERT_FILE)
        self.client = docker.from_env(timeout=600)
        self.setup = setup = common.make_competition(site, images.scorer, name="bench-registry",
                                                     input_archive=input_archive)
        self.slug, self.username = names.component(setup.slug), f"{setup.slug}-p0"
        self.cli = DockerCli(work / "docker-config")
        self.cli.config_dir.mkdir()
        self.cli.login(self.registry.host, self.username, setup.tokens[0])
        self.cache_dir = work / "images"

    def repository(self) -> str:
        return f"{self.slug}/{self.username}/big"

    def evalbox_pull(self, reference: str, policy: str = "always") -> tuple[float, int]:
        """Resolve ``reference`` as a worker does; ``(seconds, bytes downloaded)``."""
        from competition.registry.tokens import Scope, sign_token
        from compute_worker import images
        from compute_worker.image_cache import ImageCache
        from compute_worker.registry_auth import PullAuth

        token, _ = sign_token("bench-worker", [Scope("repository", self.repository(), ("pull",))], 3600)
        image_policy = images.ImagePolicy(pull_policy=policy, worker_registries=(), request_registries=(),
                                          max_image_mb=20480, pull_timeout_s=900, architecture="amd64")
        started = time.monotonic()
        with contextlib.ExitStack() as leases:
            resolved = images.resolve_image(self.client, reference, image_policy,
                                            auth=PullAuth(self.registry.url, bearer=token),
                                            cache=ImageCache(self.cache_dir, 51200), leases=leases)
        return time.monotonic() - started, resolved.pulled_bytes

    def docker_pull(self, reference: str) -> float:
        """``docker pull`` of ``reference`` with the participant's login; the seconds it took."""
        started = time.monotonic()
        self.cli.run("pull", "-q", reference)
        return time.monotonic() - started

    def forget_pulls(self) -> None:
        """Remove every image pulled from the registry, tagged or by digest only: the next pull starts empty."""
        from tests.helpers.registry import remove_pulled_images

        remove_pulled_images(self.registry.host)

    def close(self) -> None:
        self.client.close()
        self.registry.stop()


def run(site: common.Site, images: Any, work: Path, *, repeats: int) -> dict[str, Any]:
    """Measure; see the module's docstring."""
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(site, images, work)
    try:
        layers = [os.urandom(LAYER_MB << 20) for _ in range(LAYERS)]
        reference = f"{bench.registry.host}/{bench.repository()}:v1"
        build_image(bench.client, "evalbox-bench/big:v1", layers)
        bench.cli.push("evalbox-bench/big:v1", reference)
        _remove(bench.client, "evalbox-bench/big:v1")
        evalbox_s, docker_s = [], []
        for _ in range(repeats):
            bench.forget_pulls()
            evalbox_s.append(bench.evalbox_pull(reference)[0])
            bench.forget_pulls()
            docker_s.append(bench.docker_pull(reference))
        bench.forget_pulls()
        bench.evalbox_pull(reference)
        gets = len(bench.registry.blob_gets(bench.repository()))
        again_s, again_bytes = bench.evalbox_pull(reference, policy="if-not-present")
        again_gets = len(bench.registry.blob_gets(bench.repository())) - gets
        layers[-1] = os.urandom(LAYER_MB << 20)
        build_image(bench.client, "evalbox-bench/big:v2", layers)
        bench.cli.push("evalbox-bench/big:v2", reference)  # the same tag, pushed again
        _remove(bench.client, "evalbox-bench/big:v2")
        changed_s, changed_bytes = bench.evalbox_pull(reference)
        changed_gets = len(bench.registry.blob_gets(bench.repository())) - gets - again_gets
        bench.forget_pulls()
    finally:
        bench.close()
    evalbox, plain = common.summary(evalbox_s), common.summary(docker_s)
    ratio = round(evalbox["median"] / plain["median"], 3)
    return {
        "image_mb": LAYERS * LAYER_MB, "layers": LAYERS, "repeats": repeats, "evalbox_pull_s": evalbox,
        "docker_pull_s": plain, "ratio": ratio, "met": ratio <= TARGET_RATIO,
        "same_digest": {"seconds": round(again_s, 3), "bytes": again_bytes, "blob_gets": again_gets},
        "changed_layer": {"seconds": round(changed_s, 3), "bytes": changed_bytes, "blob_gets": changed_gets},
        "missed": [] if ratio <= TARGET_RATIO else [f"evalbox's pull is {ratio:.2f}x docker pull (target "
                                                    f"<= {TARGET_RATIO:.2f}x)"],
    }


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    same, changed = result["same_digest"], result["changed_layer"]
    verdict = "met" if result["met"] else "TARGET MISSED"
    return "\n".join([
        f"Registry pulls ({result['image_mb']} MB image of {result['layers']} layers, {result['repeats']} repeats)",
        f"  docker pull                 {common.fmt(result['docker_pull_s'], ' s')}",
        f"  evalbox pull (checked)      {common.fmt(result['evalbox_pull_s'], ' s')}  "
        f"ratio {result['ratio']:.3f} (target <= {TARGET_RATIO}): {verdict}",
        f"  same digest again           {same['seconds']:.3f} s, {same['bytes']} bytes, {same['blob_gets']} blob GETs",
        f"  tag pushed again, 1 layer   {changed['seconds']:.3f} s, {changed['bytes'] / 1e6:.1f} MB, "
        f"{changed['blob_gets']} blob GETs (one layer + the config)",
    ])
