"""``make demo``: the whole of evalbox on one machine, with no RabbitMQ and no registry.

Builds the example images, migrates the embedded SQLite database, creates a demo competition
(docker submission on) with an organizer and a participant, starts the site, the site's Celery
worker (with the periodic sweep) and one compute worker on the embedded ``filesystem://``
broker, submits the example participant image, prints a line per status until it ends, prints
the leaderboard and the site URL, then keeps serving until Ctrl-C and stops every process it
started.

Usage: ``python examples/demo.py [--port 8000] [--no-serve]``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
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

FINAL = {"FINISHED", "FAILED", "CANCELLED"}
NO_DOCKER = """evalbox demo: no Docker engine answers ({error}).
The demo runs participant images in Docker. Install Docker Engine
(https://docs.docker.com/engine/install/, or `apt-get install docker.io` on Debian/Ubuntu),
start it (`sudo systemctl start docker`, or `sudo bash scripts/ensure-docker.sh`), make sure
your user may use it (`docker info` works), then run `make demo` again."""


def check_docker() -> None:
    """Exit at once with what to install when no Docker engine answers."""
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means the same thing to the user
        raise SystemExit(NO_DOCKER.format(error=str(exc).splitlines()[0][:200])) from None


class Processes:
    """The processes the demo started, stopped together."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, *command: str) -> None:
        """Start ``command`` with its output in ``var/demo/<name>.log``."""
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.running.append((name, process))

    def check(self) -> None:
        """Exit with the log's tail if a process died."""
        for name, process in self.running:
            if process.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"evalbox demo: the {name} process exited ({process.returncode}):\n{tail}")

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is left after 20 s."""
        for _, process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process in self.running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in time: killed", flush=True)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def started(env: dict[str, str], log_dir: Path) -> Iterator[Processes]:
    """Processes stopped on exit, whatever happens (Ctrl-C included)."""
    processes = Processes(env, log_dir)
    try:
        yield processes
    finally:
        print("evalbox demo: stopping the site and the workers", flush=True)
        processes.stop()


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


def print_leaderboard(board: dict) -> None:
    """The leaderboard as a text table."""
    keys = [column["key"] for column in board["columns"]]
    print("  " + "  ".join(["rank", "participant".ljust(14), *(k.rjust(9) for k in keys)]))
    for row in board["rows"]:
        print("  " + "  ".join([str(row["rank"]).rjust(4), row["participant"].ljust(14),
                                *(f"{row['scores_text'].get(k, ''):>9}" for k in keys)]))


def main() -> int:
    """Run the demo."""
    parser = argparse.ArgumentParser(description="Run evalbox end to end on this machine.")
    parser.add_argument("--port", type=int, default=8000, help="the site's port on 127.0.0.1 (default 8000)")
    parser.add_argument("--no-serve", action="store_true", help="stop after printing the leaderboard")
    args = parser.parse_args()

    check_docker()
    # var/ keeps the secret key, the database, the data archives and the broker's messages,
    # which carry worker tokens: readable by its owner only.
    var_dir = private_dir(Path(os.environ.get("EVALBOX_VAR_DIR", ROOT / "var")))
    demo_dir = var_dir / "demo"
    demo_dir.mkdir(mode=0o700, exist_ok=True)
    url = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, "EVALBOX_VAR_DIR": str(var_dir), "EVALBOX_SITE_URL": url,
           "CELERY_BROKER_URL": "filesystem://", "EVALBOX_BROKER_DIR": str(var_dir / "broker"),
           "EVALBOX_DATA_DIR": str(var_dir / "worker"), "EVALBOX_SWEEP_INTERVAL_S": "10",
           "DJANGO_SETTINGS_MODULE": "competition.project.settings"}
    env.pop("DATABASE_URL", None)

    print("evalbox demo: building the example images", flush=True)
    client = docker.from_env()
    tags = build_images.build_all(client)
    client.close()
    archives = make_demo_archives.make_archives(demo_dir)
    print("evalbox demo: preparing the database", flush=True)
    manage(env, "migrate", "--noinput")
    demo = json.loads(manage(env, "demo_setup", "--input", str(archives["input"]),
                             "--reference", str(archives["reference"]), "--scoring-image", tags["scoring"]))

    with started(env, demo_dir) as processes:
        processes.start("site", sys.executable, "manage.py", "runserver", f"127.0.0.1:{args.port}",
                        "--noreload", "--insecure")
        processes.start("site-worker", sys.executable, "-m", "celery", "-A", "competition.project.celery", "worker",
                        "-B", "-Q", "evalbox-site", "-c", "1", "-l", "info", "-n", "evalbox-site@%h")
        processes.start("compute-worker", sys.executable, "-m", "celery", "-A", "compute_worker", "worker",
                        "-Q", "compute-worker", "-c", "1", "-l", "info", "-n", "evalbox-demo@%h")
        wait_for_site(url, processes)

        http = requests.Session()
        http.headers["Authorization"] = f"Token {demo['participant_token']}"
        print(f"evalbox demo: submitting {tags['participant']}", flush=True)
        response = http.post(f"{url}/api/competitions/{demo['competition']}/submissions/",
                             json={"phase": demo["phase"], "image": tags["participant"]}, timeout=30)
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
        if args.no_serve:
            return 0 if submission["status"] == "FINISHED" else 1
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while True:
                processes.check()
                time.sleep(1)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
