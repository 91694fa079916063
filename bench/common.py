"""What every benchmark shares: statistics, the scratch site (PostgreSQL + gunicorn), the images and the baseline.

The site runs for real: a scratch PostgreSQL database created for the run, migrated, served by
gunicorn, dispatching to a unique RabbitMQ queue that a real compute worker process consumes
(started with :func:`tests.helpers.processes.start_compute_worker`, the same helper the end-to-end tests
use). The bench process itself uses the Django ORM on the same database to create fixtures and
to read the timestamps the site and the worker recorded.

The baseline is the same two containers (participant, then scorer) created, started, waited for
and removed with the Docker SDK and nothing else, with the sandbox options of
:func:`compute_worker.sandbox.container_kwargs`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import docker
import requests

from tests.helpers.broker import AMQP_URL, delete_queue, unique_name
from tests.helpers.paths import ROOT
from tests.helpers.timing import wait_for

__all__ = ["AMQP_URL", "ROOT", "delete_queue", "unique_name", "wait_for"]

PG_URL = os.environ.get("EVALBOX_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
#: The participant image: exits at once.
PARTICIPANT_SCRIPT = "exit 0\n"
#: The scorer: writes a constant score.
SCORER_SCRIPT = "echo '{\"score\": 1}' > /mnt/out/scores.json\n"
#: Phase limits of every benchmark submission (the baseline uses the same).
LIMITS: dict[str, Any] = {"time_limit_s": 60, "memory_mb": 256, "cpus": 1.0, "pids": 64}
FINAL = ("FINISHED", "FAILED", "CANCELLED")


# ---------------------------------------------------------------------------- statistics
def summary(values: list[float], digits: int = 3) -> dict[str, Any]:
    """``{"median", "min", "max", "n"}`` of ``values`` (empty: all ``None``)."""
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "n": len(values)}


def fmt(stats: dict[str, Any], unit: str = "", digits: int = 3) -> str:
    """``median [min–max] unit`` of a :func:`summary`."""
    if stats.get("median") is None:
        return "n/a"
    return f"{stats['median']:.{digits}f} [{stats['min']:.{digits}f}–{stats['max']:.{digits}f}]{unit}"


def log(message: str) -> None:
    """A progress line on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine_load() -> dict[str, Any]:
    """The load average and the number of running containers: how noisy the machine is."""
    client = docker.from_env()
    try:
        containers = len(client.containers.list())
    finally:
        client.close()
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "running_containers": containers}


# ---------------------------------------------------------------------------- images
@dataclass(frozen=True)
class Images:
    """Tags and ids of the benchmark images."""

    participant: str
    scorer: str
    participant_id: str
    scorer_id: str


def bench_images() -> Images:
    """The busybox participant (exits at once) and scorer (constant score), built once."""
    from tests.helpers.docker_images import busybox_script_image

    participant = busybox_script_image("bench-exit", PARTICIPANT_SCRIPT)
    scorer = busybox_script_image("bench-scorer", SCORER_SCRIPT)
    client = docker.from_env()
    try:
        return Images(participant, scorer, client.images.get(participant).id, client.images.get(scorer).id)
    finally:
        client.close()


# ---------------------------------------------------------------------------- baseline
class RawPair:
    """The baseline: the participant and the scorer container run back to back with the Docker SDK.

    Same sandbox options as the worker (:func:`compute_worker.sandbox.container_kwargs`), same
    mounts; create, start, wait, remove, nothing else.
    """

    def __init__(self, images: Images, workdir: Path, input_dir: Path | None = None) -> None:
        from compute_worker import protocol, sandbox
        from compute_worker.config import WorkerConfig

        self.client = docker.from_env(timeout=120)
        config = WorkerConfig.from_env({"EVALBOX_WORKER_ID": "bench-baseline"})
        limits = protocol.Limits(**LIMITS)
        uid, gid = (int(x) for x in config.sandbox_user.split(":"))
        self.workdir = workdir
        dirs = {name: workdir / name for name in ("in", "out", "reference", "scores")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        for name in ("out", "scores"):
            os.chown(dirs[name], uid, gid)
        self.participant = sandbox.container_kwargs(
            limits, image=images.participant_id, config=config, submission_id=0, role="participant",
            mounts=[sandbox.BindMount(str(input_dir or dirs["in"]), "/mnt/in", True),
                    sandbox.BindMount(str(dirs["out"]), "/mnt/out", False)])
        self.scorer = sandbox.container_kwargs(
            limits, image=images.scorer_id, config=config, submission_id=0, role="scoring",
            mounts=[sandbox.BindMount(str(dirs["out"]), "/mnt/predictions", True),
                    sandbox.BindMount(str(dirs["reference"]), "/mnt/reference", True),
                    sandbox.BindMount(str(dirs["scores"]), "/mnt/out", False)])

    def run_one(self, kwargs: dict[str, Any]) -> int:
        """Create, start, wait for and remove one container; return its exit code."""
        container = self.client.containers.create(**kwargs)
        try:
            container.start()
            return int(container.wait(timeout=120)["StatusCode"])
        finally:
            container.remove(force=True)

    def run(self) -> float:
        """Run the pair once; return the wall time in seconds."""
        start = time.perf_counter()
        codes = (self.run_one(self.participant), self.run_one(self.scorer))
        elapsed = time.perf_counter() - start
        if codes != (0, 0):
            raise RuntimeError(f"baseline containers exited with {codes}")
        return elapsed

    def close(self) -> None:
        """Close the Docker client."""
        self.client.close()


# ---------------------------------------------------------------------------- the site
def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _psql(sql: str) -> None:
    """Run one SQL statement on the server's ``postgres`` database."""
    subprocess.run(["psql", f"{PG_URL}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)


@dataclass
class Site:
    """The scratch site: database, media directory, gunicorn server, compute queue."""

    url: str
    database: str
    queue: str
    tmp: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    counters: dict[str, int] = field(default_factory=dict)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET ``path`` on the site."""
        return requests.get(self.url + path, timeout=30, **kwargs)


def _setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process for ``env``'s database and migrate it."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@contextmanager
def scratch_site(*, gunicorn_workers: int = 2, threads: int = 8) -> Iterator[Site]:
    """Create a scratch PostgreSQL database, migrate it, serve it with gunicorn; drop it all afterwards.

    The bench process is configured for Django on the same database (one site per process:
    Django is set up once).
    """
    database = unique_name("evalbox_bench").replace("-", "_")
    tmp = Path(tempfile.mkdtemp(prefix="evalbox-bench-"))
    port = free_port()
    queue = unique_name("bench")
    env = {
        "DATABASE_URL": f"{PG_URL}/{database}", "DJANGO_SETTINGS_MODULE": "competition.project.settings",
        "EVALBOX_SITE_URL": f"http://127.0.0.1:{port}", "CELERY_BROKER_URL": AMQP_URL,
        "EVALBOX_VAR_DIR": str(ROOT / "var"), "EVALBOX_MEDIA_ROOT": str(tmp / "media"),
        "EVALBOX_LOG_LEVEL": "WARNING", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    _psql(f"CREATE DATABASE {database}")
    site = Site(url=f"http://127.0.0.1:{port}", database=database, queue=queue, tmp=tmp, env=env)
    try:
        _setup_django(env)
        with open(tmp / "gunicorn.log", "wb") as out:
            site.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "competition.project.wsgi", "-b", f"127.0.0.1:{port}",
                 "-w", str(gunicorn_workers), "-k", "gthread", "--threads", str(threads), "--timeout", "120",
                 "--access-logfile", str(tmp / "access.log")],
                cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

        def answers() -> bool:
            if site.process is not None and site.process.poll() is not None:
                raise RuntimeError((tmp / "gunicorn.log").read_text(errors="replace"))
            try:
                return requests.get(site.url + "/api/", timeout=2).status_code == 404
            except requests.RequestException:
                return False

        wait_for(answers, 60, "the site to answer", interval=0.2)
        yield site
    finally:
        if site.process is not None and site.process.poll() is None:
            os.killpg(site.process.pid, signal.SIGTERM)
            try:
                site.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(site.process.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        try:
            delete_queue(queue)
        except Exception as exc:  # noqa: BLE001 - the queue may never have been declared
            log(f"queue {queue} not deleted: {exc}")
        _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Setup:
    """A competition, an open phase and approved participants with API tokens."""

    slug: str
    phase_id: int
    tokens: list[str]


def make_competition(site: Site, scorer: str, *, participants: int = 1, name: str = "bench",
                     input_archive: Path | None = None, queue: str | None = None) -> Setup:
    """A competition on ``queue`` (default ``site.queue``) with one open phase (no quotas) scored by ``scorer``."""
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.utils import timezone

    from competition.archives import check_archive
    from competition.models import ApiToken, Competition, ComputeQueue, LeaderboardColumn, Participant, Phase

    users = get_user_model()
    slug = unique_name(name)
    owner = users.objects.create_user(username=f"{slug}-owner")
    competition = Competition.objects.create(title=slug, slug=slug, published=True, enable_docker_submission=True,
                                             created_by=owner)
    ComputeQueue.assign(queue or site.queue, competition)
    phase = Phase(competition=competition, name="Bench", start=timezone.now() - timedelta(hours=1),
                  scoring_image=scorer, max_submissions_per_day=0, max_submissions_total=0, **LIMITS)
    if input_archive is not None:
        with open(input_archive, "rb") as handle:
            phase.input_data_sha256 = check_archive(handle)
            phase.input_data.save(input_archive.name, File(handle), save=False)
    phase.save()
    LeaderboardColumn.objects.create(phase=phase, key="score", label="Score", ranks=True)
    tokens = []
    for index in range(participants):
        user = users.objects.create_user(username=f"{slug}-p{index}")
        Participant.objects.create(competition=competition, user=user, status=Participant.APPROVED)
        tokens.append(ApiToken.issue(user))
    return Setup(slug=slug, phase_id=phase.pk, tokens=tokens)


def session(token: str) -> requests.Session:
    """An HTTP session authenticated as a participant."""
    http = requests.Session()
    http.headers["Authorization"] = f"Token {token}"
    return http


def submit(site: Site, http: requests.Session, setup: Setup, image: str) -> int:
    """POST an image reference; return the submission id."""
    response = http.post(f"{site.url}/api/competitions/{setup.slug}/submissions/",
                         json={"phase": setup.phase_id, "image": image}, timeout=30)
    if response.status_code != 201:
        raise RuntimeError(f"POST refused: {response.status_code} {response.text[:500]}")
    return int(response.json()["id"])


def wait_final(ids: list[int], timeout: float = 600, interval: float = 0.02) -> dict[int, Any]:
    """Poll the database until every submission is final; return ``{id: Submission}``."""
    from competition.models import Submission

    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending:
        done = set(Submission.objects.filter(pk__in=pending, status__in=FINAL).values_list("pk", flat=True))
        pending -= done
        if not pending:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"submissions {sorted(pending)[:10]} did not end within {timeout} s")
        time.sleep(interval)
    found = {s.pk: s for s in Submission.objects.filter(pk__in=ids)}
    failed = [f"{s.pk}: {s.failure_reason} {s.failure_message[:200]}" for s in found.values() if s.status != "FINISHED"]
    if failed:
        raise RuntimeError("submissions did not finish: " + "; ".join(failed[:5]))
    return found


def seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    """``later - earlier`` in seconds (``None`` when either is missing)."""
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


@contextmanager
def worker(site: Site, data_dir: Path, *, concurrency: int = 1,
           env: dict[str, str] | None = None) -> Iterator[Any]:
    """One real compute worker process on the site's queue (default heartbeat of 5 s, as deployed)."""
    from tests.helpers.processes import compute_workers

    options = {"EVALBOX_HEARTBEAT_S": "5", "EVALBOX_REPORT_RETRY_S": "30", **(env or {})}
    with compute_workers(site.queue, data_dir, 1, concurrency=concurrency, env=options) as (process,):
        yield process


def timed(function: Callable[[], Any]) -> float:
    """Seconds ``function()`` took."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def to_epoch(value: datetime) -> float:
    """A timezone-aware datetime as a Unix time."""
    return value.timestamp()
