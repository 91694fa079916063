"""The job's side of Docker: its client, the images it resolves, its GPU slot and its sandboxed runs."""

from __future__ import annotations

import contextlib
import logging
import urllib.parse
from collections.abc import Callable

import docker
import docker.errors
import requests

from . import docker_client, gpu, images, protocol, runner
from .config import WorkerConfig
from .failure import Failure
from .image_cache import ImageCache
from .protocol import FailureReason
from .pull import Progress
from .registry_auth import pull_auth

logger = logging.getLogger(__name__)


def reap_leftovers(config: WorkerConfig, submission_id: int, client: docker.DockerClient | None = None) -> None:
    """Remove the containers of ``submission_id`` that a dead task of this worker left behind.

    A Docker engine that cannot be reached or refuses costs a warning only: the run goes on.
    """
    try:
        runner.reap(client or docker_client.process_client(), config.worker_id, submission_id)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        logger.warning("cannot reap containers of submission %s: %s", submission_id, exc)


def _hosts(*urls: str) -> tuple[str, ...]:
    """The host names of ``urls`` (those that have one)."""
    hosts = []
    for url in urls:
        with contextlib.suppress(ValueError):
            if host := urllib.parse.urlsplit(url).hostname:
                hosts.append(host)
    return tuple(hosts)


class Engine:
    """Docker for one submission; every problem is raised as a :class:`Failure`."""

    def __init__(self, config: WorkerConfig, limits: protocol.Limits, submission_id: int,
                 allowed_registries: tuple[str, ...] = (), scoring_image_keep_until: float = 0.0,
                 client: docker.DockerClient | None = None, site_url: str = "") -> None:
        self.config = config
        self.site_url = site_url
        self.limits = limits
        self.submission_id = submission_id
        self.allowed_registries = allowed_registries
        self.scoring_image_keep_until = scoring_image_keep_until
        self._given_client = client
        self._client: docker.DockerClient | None = None  # checked at first use
        self._leases = contextlib.ExitStack()  # images in use until the job ends
        self._ended: list[docker.models.containers.Container] = []  # stopped, removed after the report

    def client(self) -> docker.DockerClient:
        """The Docker client: the one given, or the process's (:mod:`docker_client`); checked on first use."""
        if self._client is None:
            try:
                client = self._given_client or docker_client.process_client()
                client.ping()
            except (docker.errors.DockerException, requests.RequestException) as exc:
                raise Failure(FailureReason.WORKER_ERROR, f"The worker cannot reach its Docker engine: {exc}") from exc
            self._client = client
        return self._client

    def remove_containers(self) -> None:
        """Remove the containers this job's runs ended (the job calls it after its result is reported)."""
        while self._ended:
            runner.remove_container(self._ended.pop())

    def close(self) -> None:
        """Remove the ended containers and release the images in use (the client outlives the job)."""
        self.remove_containers()
        self._leases.close()

    def _policy(self, participant: bool) -> images.ImagePolicy:
        config = self.config
        return images.ImagePolicy(
            pull_policy=config.pull_policy, worker_registries=config.allowed_registries,
            request_registries=self.allowed_registries if participant else (),
            max_image_mb=config.max_image_mb, pull_timeout_s=config.pull_timeout_s,
            architecture=docker_client.architecture(self.client()) if config.pull_policy != "never" else "",
            role="participant" if participant else "scoring",
            keep_until=0.0 if participant else self.scoring_image_keep_until,
            progress_every_s=config.heartbeat_s,
            trusted_registries=config.trusted_registries if config.registry_guard else None,
            infrastructure_hosts=_hosts(config.broker_url, config.site_url, self.site_url))

    def resolve(self, reference: str, *, participant: bool, token: protocol.PullToken | None = None,
                progress: Progress | None = None) -> images.ResolvedImage:
        """The local image of ``reference`` under the worker's (and, for a participant, the competition's) rules.

        ``token`` is the site's pull token for a platform image; otherwise the worker's
        credentials file (or nothing) authenticates the pull.
        """
        try:
            registry = protocol.parse_reference(reference).registry
        except protocol.ProtocolError:
            registry = ""
        try:
            auth = pull_auth(registry, token=token, auth_file=self.config.registry_auth_file,
                             insecure=self.config.insecure_registries)
            return images.resolve_image(self.client(), reference, self._policy(participant), auth=auth,
                                        cache=ImageCache(self.config.image_cache_dir, self.config.image_cache_mb),
                                        leases=self._leases, progress=progress)
        except images.ImageProblem as exc:
            if not participant:
                raise Failure(FailureReason.SCORING_ERROR, f"The scoring image is unusable: {exc}",
                              exc.detail) from exc
            raise Failure(exc.reason, str(exc), exc.detail) from exc

    def reap_previous(self) -> None:
        """Remove containers a previous attempt of this submission left on this worker."""
        reap_leftovers(self.config, self.submission_id, self.client())

    def hold_gpus(self, stack: contextlib.ExitStack) -> list[str]:
        """The GPU ids of the phase, held until ``stack`` closes (``[]`` for a phase without GPUs)."""
        count = self.limits.gpus
        runtime_present = count > 0 and gpu.gpu_runtime_present(self.client().info())
        try:
            return stack.enter_context(gpu.gpu_slot(count, self.config.gpus, self.config.slot_dir,
                                                    runtime_present=runtime_present))
        except gpu.GpuUnavailable as exc:
            raise Failure(FailureReason.GPU_UNAVAILABLE, str(exc)) from exc

    def run(self, kwargs: dict, *, watch: runner.Watch, cap: runner.OutputCap, gpu_ids: tuple[str, ...] = (),
            before_start: Callable[[], None] | None = None,
            after_start: Callable[[], None] | None = None) -> runner.RunOutcome:
        """Run one sandboxed container under the phase's time and log limits, its output watched by ``cap``.

        ``before_start()`` runs once the container is created, before it starts, ``after_start()`` once it started
        (:func:`runner.run_container`).
        """
        limits = self.limits
        return runner.run_container(
            self.client(), kwargs, time_limit_s=limits.time_limit_s, log_max_bytes=limits.log_max_kb * 1024,
            watch=watch, output_dir=cap.directory, output_max_bytes=cap.max_bytes,
            output_max_entries=cap.max_entries, gpu_ids=gpu_ids, dispose=self._ended.append,
            before_start=before_start, after_start=after_start)
