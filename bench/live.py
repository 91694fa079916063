"""What open pages cost the site: polling a running submission with and without ETags, with and without changes.

A running submission carries what a live run leaves on it (a 64 KB log, 300 resource points, 20
metrics). :data:`CLIENTS` threads stand for open pages polling back to back for a window, each
sending the ETag it got last, as ``static/js/submission_live.js`` and the participate table do:

- ``api`` polls ``GET /api/submissions/<id>/`` (Token), ``page`` the submission page's live part
  ``GET /competitions/<slug>/submissions/<id>/live/`` (session cookie);
- ``unchanged``: nothing changes (304 after one query); ``no-etag``: the same without an ETag
  (every answer a full 200, what polling cost before); ``changing``: a worker sends a
  heartbeat every :data:`CHANGE_S` (most answers 200).

For each window: requests per second, and CPU per request of the site's gunicorn processes and of
the scratch database's PostgreSQL backends (from ``/proc``). A page polls every
:data:`POLL_S`, so one open page costs ``CPU per request / POLL_S``; the report gives it with
the pages one core would serve.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import requests

from . import common

CLIENTS = 16
POLL_S = 2.0
CHANGE_S = 0.5
_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of a process so far (``None`` once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


class CpuMeter:
    """CPU the site's processes spend while it runs, sampled every :data:`SAMPLE_S`.

    Processes come and go (a database connection past its age is replaced): each one counts from
    its first sample (or from zero when it started meanwhile) to its last.
    """

    SAMPLE_S = 0.25

    def __init__(self, site: common.Site) -> None:
        self.site = site
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._sample(initial=True)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _sample(self, initial: bool = False) -> None:
        for pid in _site_pids(self.site):
            value = _cpu_seconds(pid)
            if value is None:
                continue
            self.first.setdefault(pid, value if initial else 0.0)
            self.last[pid] = value

    def _loop(self) -> None:
        while not self._stop.wait(self.SAMPLE_S):
            self._sample()

    def stop(self) -> float:
        """The CPU seconds spent since the meter started."""
        self._stop.set()
        self._thread.join()
        self._sample()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def _site_pids(site: common.Site) -> list[int]:
    """The gunicorn processes and the scratch database's PostgreSQL backends."""
    pids = [site.process.pid]
    for task in Path(f"/proc/{site.process.pid}/task").iterdir():
        pids += [int(child) for child in (task / "children").read_text().split()]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if site.database in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _running_submission(site: common.Site, images: common.Images) -> dict[str, Any]:
    """A RUNNING submission with a live run's load, its worker token, an API token and a session cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from competition.models import Participant, Submission

    setup = common.make_competition(site, images.scorer, name="live")
    participant = Participant.objects.select_related("user").filter(competition__slug=setup.slug).get()
    points = 300
    submission = Submission(phase_id=setup.phase_id, participant=participant, image="docker.io/team/model:v1",
                            image_typed="team/model:v1", status="RUNNING", participant_log="a log line\n" * 6000,
                            resources={"t": [float(i) for i in range(points)], "memory": [1e8] * points,
                                       "cpu": [1.0] * points, "pids": [3.0] * points},
                            metadata={f"metric{i}": i / 10 for i in range(20)}, progress=0.1, worker="bench")
    worker_token = submission.new_token()
    submission.save()
    session = SessionStore()
    session.update({SESSION_KEY: str(participant.user.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: participant.user.get_session_auth_hash()})
    session.create()
    return {"id": submission.pk, "slug": setup.slug, "worker_token": worker_token, "api_token": setup.tokens[0],
            "cookie": session.session_key}


def _client(target: dict[str, Any], kind: str) -> requests.Session:
    http = requests.Session()
    if kind == "api":
        http.headers["Authorization"] = f"Token {target['api_token']}"
    else:
        http.cookies.set("sessionid", target["cookie"])
    return http


def _changes(site: common.Site, target: dict[str, Any], stop: threading.Event) -> None:
    """A worker's heartbeats, every :data:`CHANGE_S`, until ``stop``."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {target['worker_token']}"
    step = 0
    while not stop.wait(CHANGE_S):
        step += 1
        http.post(f"{site.url}/api/worker/submissions/{target['id']}/status", timeout=30,
                  json={"status": "RUNNING", "elapsed_s": step * CHANGE_S, "progress": (step % 100) / 100})


def window(site: common.Site, target: dict[str, Any], kind: str, scenario: str, seconds: float) -> dict[str, Any]:
    """Poll for ``seconds`` with :data:`CLIENTS` clients; requests/s, answers, CPU per request."""
    url = (f"{site.url}/api/submissions/{target['id']}/" if kind == "api"
           else f"{site.url}/competitions/{target['slug']}/submissions/{target['id']}/live/")
    counts = {"200": 0, "304": 0, "other": 0}
    lock, stop, writer_stop = threading.Lock(), threading.Event(), threading.Event()

    def poll() -> None:
        http, etag = _client(target, kind), None
        while not stop.is_set():
            headers = {"If-None-Match": etag} if etag and scenario != "no-etag" else {}
            response = http.get(url, headers=headers, timeout=60)
            if response.status_code == 200:
                etag = response.headers.get("ETag")
            with lock:
                counts[str(response.status_code) if response.status_code in (200, 304) else "other"] += 1

    writer = threading.Thread(target=_changes, args=(site, target, writer_stop)) if scenario == "changing" else None
    if writer:
        writer.start()
    threads = [threading.Thread(target=poll) for _ in range(CLIENTS)]
    meter, started = CpuMeter(site), time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, meter.stop()
    writer_stop.set()
    if writer:
        writer.join()
    total = sum(counts.values())
    return {"requests_per_s": round(total / elapsed, 1), "answers": counts,
            "cpu_ms_per_request": round(1000 * cpu / max(total, 1), 3)}


def run(site: common.Site, images: common.Images, work: Path, *, repeats: int, quick: bool = False
        ) -> dict[str, Any]:
    """Every kind and scenario, ``repeats`` windows each (interleaved)."""
    target = _running_submission(site, images)
    seconds = 4.0 if quick else 10.0
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for index in range(repeats):
        for kind in ("api", "page"):
            for scenario in ("unchanged", "no-etag", "changing"):
                measured = window(site, target, kind, scenario, seconds)
                results.setdefault(kind, {}).setdefault(scenario, []).append(measured)
                common.log(f"live {index + 1}/{repeats} {kind} {scenario}: {measured}")
    summary: dict[str, Any] = {"clients": CLIENTS, "window_s": seconds, "poll_s": POLL_S, "change_s": CHANGE_S}
    for kind, scenarios in results.items():
        for scenario, windows in scenarios.items():
            cpu = common.summary([w["cpu_ms_per_request"] for w in windows], 3)
            summary[f"{kind}/{scenario}"] = {
                "requests_per_s": common.summary([w["requests_per_s"] for w in windows], 1),
                "cpu_ms_per_request": cpu,
                "share_304": round(sum(w["answers"]["304"] for w in windows)
                                   / max(1, sum(sum(w["answers"].values()) for w in windows)), 3),
                "cpu_ms_per_s_per_open_page": round(cpu["median"] / POLL_S, 3) if cpu["median"] else None,
                "open_pages_per_core": round(1000 * POLL_S / cpu["median"]) if cpu["median"] else None,
            }
    return summary


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    lines = [f"Open pages polling a running submission ({result['clients']} clients, windows of "
             f"{result['window_s']} s; a page polls every {result['poll_s']} s; changes every {result['change_s']} s)"]
    for key, entry in result.items():
        if not isinstance(entry, dict):
            continue
        lines.append(f"  {key:<16} {common.fmt(entry['requests_per_s'], ' req/s', 1)}, CPU "
                     f"{common.fmt(entry['cpu_ms_per_request'], ' ms/request', 2)} ({entry['share_304']:.0%} 304); "
                     f"per open page {entry['cpu_ms_per_s_per_open_page']} ms CPU/s, "
                     f"{entry['open_pages_per_core']} pages per core")
    return "\n".join(lines)
