"""The worker's image cache with real pulls: least recently used out first, never an image in use,
scoring images kept while their phase is open."""

from __future__ import annotations

import contextlib
import math
import os
import time

import docker.errors
import pytest

from competition.registry.tokens import Scope, sign_token
from compute_worker import images
from compute_worker.image_cache import ImageCache, cache_key
from compute_worker.registry_auth import PullAuth
from tests.helpers import docker_images

NAMES = ("a", "b", "c")


@pytest.fixture
def pushed_three(push_as) -> dict[str, str]:
    """Three images of their own pushed as ``cats/pat/cache-<name>:v1``."""
    push = push_as("pat")
    return {name: push(docker_images.unique_image(f"cache-{name}", f"echo {name}\n"), f"cache-{name}:v1")
            for name in NAMES}


@pytest.fixture
def pull(platform_registry, docker_client, tmp_path):
    """``pull(reference, leases, budget_mb=..., role=..., keep_until=...)``: resolve as the worker does."""
    token, _ = sign_token("worker", [Scope("repository", f"cats/pat/cache-{n}", ("pull",)) for n in NAMES], 600)
    auth = PullAuth(platform_registry.url, bearer=token)

    def resolve(reference: str, leases: contextlib.ExitStack, budget_mb: int = 10_000, role: str = "participant",
                keep_until: float = 0.0) -> images.ResolvedImage:
        policy = images.ImagePolicy(pull_policy="if-not-present", worker_registries=(), request_registries=(),
                                    max_image_mb=1000, pull_timeout_s=60, architecture="amd64", role=role,
                                    keep_until=keep_until)
        cache = ImageCache(tmp_path / "images", budget_mb)
        return images.resolve_image(docker_client, reference, policy, auth=auth, cache=cache, leases=leases)

    return resolve


def on_engine(docker_client, reference: str) -> bool:
    try:
        docker_client.images.get(reference)
        return True
    except docker.errors.ImageNotFound:
        return False


def pinned(resolved: images.ResolvedImage) -> str:
    return resolved.digest


def budget_for_two(tmp_path) -> int:
    """A budget in MB that holds the two newest entries but not all three."""
    sizes = [entry.bytes for entry in ImageCache(tmp_path / "images", 1).entries()]
    budget = math.ceil(sum(sizes[-2:]) / (1 << 20))
    assert budget < sum(sizes) / (1 << 20), sizes
    return budget


def pull_each(pull, pushed_three, names, **options) -> dict[str, str]:
    found = {}
    for name in names:
        with contextlib.ExitStack() as leases:
            found[name] = pinned(pull(pushed_three[name], leases, **options.get(name, {})))
        time.sleep(0.05)  # distinct last-use times
    return found


def test_the_least_recently_used_image_goes_first(pull, pushed_three, docker_client, tmp_path):
    refs = pull_each(pull, pushed_three, ("a", "b"))
    with contextlib.ExitStack() as leases:
        pull(pushed_three["a"], leases)  # a is used again: b is now the least recent
    time.sleep(0.05)
    with contextlib.ExitStack() as leases:
        refs["c"] = pinned(pull(pushed_three["c"], leases))
    budget = budget_for_two(tmp_path)
    with contextlib.ExitStack() as leases:  # a repeat within budget: nothing evicted yet, everything there
        pull(pushed_three["c"], leases)
    assert all(on_engine(docker_client, ref) for ref in refs.values())
    removed = ImageCache(tmp_path / "images", budget).evict(images._remover(docker_client))
    assert removed == [refs["b"]]
    assert not on_engine(docker_client, refs["b"])
    assert on_engine(docker_client, refs["a"]) and on_engine(docker_client, refs["c"])


def test_an_image_in_use_is_never_evicted(pull, pushed_three, docker_client, tmp_path):
    refs = pull_each(pull, pushed_three, ("a", "b", "c"))
    budget = budget_for_two(tmp_path)
    cache = ImageCache(tmp_path / "images", budget)
    with cache.lease(refs["a"]):  # a job (of any worker process) runs a
        os.utime(tmp_path / "images" / "entries" / f"{cache_key(refs['a'])}.json", (1, 1))  # and a is the oldest
        removed = cache.evict(images._remover(docker_client))
    assert removed == [refs["b"]]
    assert on_engine(docker_client, refs["a"]) and on_engine(docker_client, refs["c"])


def test_a_scoring_image_stays_while_its_phase_is_open(pull, pushed_three, docker_client, tmp_path):
    refs = pull_each(pull, pushed_three, ("a", "b", "c"), a={"role": "scoring", "keep_until": 0.0},
                     b={"role": "scoring", "keep_until": time.time() - 60})
    budget = budget_for_two(tmp_path)
    removed = ImageCache(tmp_path / "images", budget).evict(images._remover(docker_client))
    assert removed == [refs["b"]]  # the closed phase's scorer goes; the open one's stays though older
    assert on_engine(docker_client, refs["a"])
