"""``make demo``: the whole of evalbox on one machine, with no RabbitMQ.

Gets a Docker engine answering as ``make test`` does (``scripts/ensure-docker.sh``: installs and
starts Docker where it can), builds the example images that are missing (their Debian base
first), migrates the embedded SQLite database, creates a demo competition
(docker submission on) with an organizer and a participant, starts the site, the platform
registry (``docker-registry``, trusting the site's tokens), the site's Celery worker (with the
periodic sweep) and one compute worker on the embedded ``filesystem://`` broker, pushes the
example participant image to the registry as the participant would (``docker login`` with the
API token, ``docker push``), submits it, prints a line per status until it ends, prints the
leaderboard and the site URL, then keeps serving until Ctrl-C, SIGTERM or SIGHUP (or the death of
its parent, such as ``make``) and stops every process it started (``demo_processes.py``).
Without ``docker-registry`` installed it says so and submits the local image instead.

Usage: ``python examples/demo.py [--port 8000] [--registry-port 5000] [--no-serve]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import requests

from competition.project.private import private_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
import build_images  # noqa: E402  (examples/ is a folder of scripts, not a package)
import make_demo_archives  # noqa: E402
from demo_processes import Processes, Stopped, started, stop_on_signals  # noqa: E402

FINAL = {"FINISHED", "FAILED", "CANCELLED"}
NO_DOCKER = """evalbox demo: no Docker engine answers, and scripts/ensure-docker.sh could not start one:
  {reason}
The demo runs participant images in Docker. Install Docker Engine
(https://docs.docker.com/engine/install/, or `apt-get install docker.io` on Debian/Ubuntu), or run
`make demo` as root on Debian, where it installs and starts it the way `make test` does."""


#: Debian packages the demo needs beside Docker: debootstrap and busybox-static for the base
#: images (examples/base-images/build.sh), docker-registry for the platform registry.
DEMO_PACKAGES = ("debootstrap", "busybox-static", "docker-registry")


def run_setup_script(script: str, *args: str) -> tuple[int, list[str]]:
    """Run ``scripts/<script>`` as ``make test`` does; its exit status and what it said (prefix removed)."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / script), *args], cwd=ROOT, text=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    prefix = script.removesuffix(".sh") + ": "
    return done.returncode, [line.removeprefix(prefix) for line in done.stderr.splitlines() if line.strip()]


def ensure_docker() -> None:
    """Get a Docker engine answering as ``make test`` does (install and start it where it can), or exit."""
    with progress("checking the Docker engine"):
        status, lines = run_setup_script("ensure-docker.sh")
    if status != 0:
        raise SystemExit(NO_DOCKER.format(reason=lines[-1] if lines else f"exit status {status}"))
    if lines and lines[-1] != "Docker engine is running":
        print(f"evalbox demo: {lines[-1]}", flush=True)


def ensure_packages() -> None:
    """Install the Debian packages of :data:`DEMO_PACKAGES` where it can (root on Debian), else say which.

    The demo goes on without them: base images already built need no debootstrap, and without
    ``docker-registry`` it submits the local image (both say so when they happen).
    """
    with progress("checking the demo's Debian packages"):
        status, lines = run_setup_script("ensure-packages.sh", *DEMO_PACKAGES)
    if status != 0 or (lines and not lines[-1].startswith("installed: ")):
        print(f"evalbox demo: {lines[-1] if lines else f'exit status {status}'}", flush=True)


@contextmanager
def progress(label: str, every_s: float = 15) -> Iterator[None]:
    """Print ``label``, then a line every ``every_s`` seconds until the step ends, then its duration."""
    print(f"evalbox demo: {label}", flush=True)
    started_at, finished = time.monotonic(), threading.Event()

    def tick() -> None:
        while not finished.wait(every_s):
            print(f"  ... {label}: {time.monotonic() - started_at:.0f} s", flush=True)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        finished.set()
        ticker.join()
    print(f"  {label}: done in {time.monotonic() - started_at:.1f} s", flush=True)


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command and return its stdout; exit with its stderr on failure."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"evalbox demo: manage.py {args[0]} failed:\n{result.stderr.strip()}")
    return result.stdout


def wait_for_site(url: str, processes: Processes, timeout: float = 60) -> None:
    """Wait until the site answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"evalbox demo: the site did not answer at {url} within {timeout:.0f} s")


#: Each step of a submission and the field of the submission JSON that stamps it.
STEPS = (("QUEUED", "queued_at"), ("RUNNING", "started_at"), ("SCORING", "scoring_at"))


def follow(http: requests.Session, url: str, submission_id: int, processes: Processes,
           timeout: float = 600) -> dict:
    """Print a line per step the submission went through until it is final; return its JSON.

    Steps come from the submission's timestamps, so a step shorter than the polling interval
    is still shown.
    """
    shown: set[str] = set()
    started_at = time.monotonic()
    while time.monotonic() - started_at < timeout:
        processes.check()
        submission = http.get(f"{url}/api/submissions/{submission_id}/", timeout=10).json()
        final = submission["status"] in FINAL
        steps = [name for name, stamp in STEPS if submission.get(stamp)]
        for name in [*steps, submission["status"]] if final else steps:
            if name not in shown:
                shown.add(name)
                detail = "" if final else submission.get("status_message") or ""
                print(f"  [{time.monotonic() - started_at:6.1f} s] {name} {detail}".rstrip(), flush=True)
        if final:
            return submission
        time.sleep(0.5)
    raise SystemExit(f"evalbox demo: submission {submission_id} did not end within {timeout:.0f} s")


def start_registry(env: dict[str, str], processes: Processes, var_dir: Path, port: int) -> bool:
    """Write the registry's config (the site's token realm, its notifications) and start it; whether it runs."""
    if shutil.which("docker-registry") is None:
        print("evalbox demo: docker-registry is not installed (apt-get install docker-registry): the demo runs "
              "without the platform registry", flush=True)
        return False
    config = var_dir / "registry" / "config.yml"
    manage(env, "registry_config", "--storage", str(var_dir / "registry" / "storage"), "--listen",
           f"127.0.0.1:{port}", "--output", str(config))
    processes.start("registry", "docker-registry", "serve", str(config))
    return True


def push_to_registry(env: dict[str, str], demo: dict, image: str, demo_dir: Path) -> str:
    """``docker login``, ``tag`` and ``push`` the participant's image as the participant; the pushed reference."""
    reference = f"{env['EVALBOX_REGISTRY']}/{demo['competition']}/{demo['participant']['username']}/model:v1"
    docker_env = {**os.environ, "DOCKER_CONFIG": str(demo_dir / "docker-config")}
    steps = (["login", env["EVALBOX_REGISTRY"], "-u", demo["participant"]["username"], "--password-stdin"],
             ["tag", image, reference], ["push", reference])
    for step in steps:
        for _ in range(20):  # the registry may still be starting
            done = subprocess.run(["docker", *step], input=demo["participant_token"] if step[0] == "login" else None,
                                  env=docker_env, capture_output=True, text=True)
            if done.returncode == 0 or step[0] != "login":
                break
            time.sleep(0.5)
        if done.returncode != 0:
            raise SystemExit(f"evalbox demo: docker {step[0]} failed:\n{done.stderr.strip()}")
    print(f"evalbox demo: pushed {reference}", flush=True)
    return reference


def print_leaderboard(board: dict) -> None:
    """The leaderboard as a text table."""
    keys = [column["key"] for column in board["columns"]]
    print("  " + "  ".join(["rank", "participant".ljust(14), *(k.rjust(9) for k in keys)]))
    for row in board["rows"]:
        print("  " + "  ".join([str(row["rank"]).rjust(4), row["participant"].ljust(14),
                                *(f"{row['scores_text'].get(k, ''):>9}" for k in keys)]))


def parse_args() -> argparse.Namespace:
    """The demo's options."""
    parser = argparse.ArgumentParser(description="Run evalbox end to end on this machine.")
    parser.add_argument("--port", type=int, default=8000, help="the site's port on 127.0.0.1 (default 8000)")
    parser.add_argument("--registry-port", type=int, default=5000, help="the registry's port (default 5000)")
    parser.add_argument("--no-serve", action="store_true", help="stop after printing the leaderboard")
    return parser.parse_args()


def demo_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """The environment of every process of the demo: embedded broker and database, all state in ``var_dir``."""
    env = {**os.environ, "EVALBOX_VAR_DIR": str(var_dir), "EVALBOX_SITE_URL": f"http://127.0.0.1:{args.port}",
           "CELERY_BROKER_URL": "filesystem://", "EVALBOX_BROKER_DIR": str(var_dir / "broker"),
           "EVALBOX_DATA_DIR": str(var_dir / "worker"), "EVALBOX_SWEEP_INTERVAL_S": "10",
           "DJANGO_SETTINGS_MODULE": "competition.project.settings",
           "EVALBOX_REGISTRY": f"127.0.0.1:{args.registry_port}"}
    env.pop("DATABASE_URL", None)
    return env


def prepare(env: dict[str, str], demo_dir: Path) -> tuple[dict[str, str], dict]:
    """Build the images that are missing, migrate, set the demo competition up; the tags and the demo's JSON."""
    with progress("building the example images that are missing (their Debian base first: minutes, once)"):
        client = docker.from_env()
        tags = build_images.build_all(client)
        client.close()
    archives = make_demo_archives.make_archives(demo_dir)
    with progress("preparing the database"):
        manage(env, "migrate", "--noinput")
        demo = json.loads(manage(env, "demo_setup", "--input", str(archives["input"]),
                                 "--reference", str(archives["reference"]), "--scoring-image", tags["scoring"]))
    return tags, demo


def start_services(env: dict[str, str], processes: Processes, var_dir: Path, registry_port: int) -> None:
    """The registry, the site, the site's Celery worker (with the sweep) and one compute worker."""
    if not start_registry(env, processes, var_dir, registry_port):
        env.pop("EVALBOX_REGISTRY")
    processes.start("site", sys.executable, "manage.py", "runserver", env["EVALBOX_SITE_URL"].removeprefix("http://"),
                    "--noreload", "--insecure")
    processes.start("site-worker", sys.executable, "-m", "celery", "-A", "competition.project.celery", "worker",
                    "-B", "-Q", "evalbox-site", "-c", "1", "-l", "info", "-n", "evalbox-site@%h")
    processes.start("compute-worker", sys.executable, "-m", "celery", "-A", "compute_worker", "worker",
                    "-Q", "compute-worker", "-c", "1", "-l", "info", "-n", "evalbox-demo@%h")
    wait_for_site(env["EVALBOX_SITE_URL"], processes)


def submit(env: dict[str, str], demo: dict, tags: dict[str, str], demo_dir: Path, processes: Processes) -> dict:
    """Push (when the registry runs) and submit the participant's image, follow it, print the leaderboard."""
    url = env["EVALBOX_SITE_URL"]
    http = requests.Session()
    http.headers["Authorization"] = f"Token {demo['participant_token']}"
    image = push_to_registry(env, demo, tags["participant"], demo_dir) if "EVALBOX_REGISTRY" in env \
        else tags["participant"]
    print(f"evalbox demo: submitting {image}", flush=True)
    response = http.post(f"{url}/api/competitions/{demo['competition']}/submissions/",
                         json={"phase": demo["phase"], "image": image}, timeout=30)
    if response.status_code != 201:
        raise SystemExit(f"evalbox demo: the submission was refused ({response.status_code}): {response.text}")
    submission = follow(http, url, response.json()["id"], processes)
    if submission["status"] != "FINISHED":
        print(f"evalbox demo: the submission {submission['status']}: {submission.get('failure_label')}: "
              f"{submission.get('failure_message')}", flush=True)
    print("evalbox demo: leaderboard", flush=True)
    print_leaderboard(http.get(f"{url}/api/phases/{demo['phase']}/leaderboard/", timeout=10).json())
    print(f"\nevalbox demo: the site is at {url}/competitions/{demo['competition']}/\n"
          f"  organizer:   {demo['organizer']['username']} / {demo['organizer']['password']}\n"
          f"  participant: {demo['participant']['username']} / {demo['participant']['password']}\n"
          f"  logs in {demo_dir}", flush=True)
    return submission


def main() -> int:
    """Run the demo; Ctrl-C, SIGTERM, SIGHUP or the parent's death stop everything it started."""
    began = time.monotonic()
    stop_on_signals()
    args = parse_args()
    ensure_docker()
    ensure_packages()
    # var/ keeps the secret key, the database, the data archives and the broker's messages,
    # which carry worker tokens: readable by its owner only.
    var_dir = private_dir(Path(os.environ.get("EVALBOX_VAR_DIR", ROOT / "var")))
    demo_dir = var_dir / "demo"
    demo_dir.mkdir(mode=0o700, exist_ok=True)
    env = demo_env(args, var_dir)
    tags, demo = prepare(env, demo_dir)
    with started(env, demo_dir) as processes:
        start_services(env, processes, var_dir, args.registry_port)
        print(f"evalbox demo: site, workers and registry up {time.monotonic() - began:.1f} s after the start",
              flush=True)
        submission = submit(env, demo, tags, demo_dir, processes)
        if args.no_serve:
            return 0 if submission["status"] == "FINISHED" else 1
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while True:
                processes.check()
                time.sleep(1)
        except (KeyboardInterrupt, Stopped):
            return 0


if __name__ == "__main__":
    sys.exit(main())
