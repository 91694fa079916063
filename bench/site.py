"""The site under load: submission POST and status GET rates with 50 concurrent clients, and the leaderboard.

Rates: 50 client threads, one approved participant each, send a fixed number of requests in
all; each repeat measures, back to back, the baseline (``GET /api/nothing/``: gunicorn, Django's
middleware and a JSON 404, no database work), submission POSTs (on a queue no worker consumes,
deleted afterwards), status GETs of those submissions, and the same GETs revalidated with the ETag
they answered (a 304, as the pages and ``evalbox submit --wait`` poll).

Leaderboard: a phase gets 1 000 finished submissions from 1 000 participants, then 9 000 more
(``bulk_create``); at both sizes the API leaderboard and the web leaderboard page are timed over
HTTP (gunicorn) and in process, where Django's query log counts their SQL queries. At the
largest size the phase's other selection rules are timed too (the last submission; the best of
the marked ones, a third of the submissions marked).
"""

from __future__ import annotations

import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from . import common

CLIENTS = 50
#: Issue 16's targets: status GET and submission POST rates with CLIENTS clients, and the API
#: leaderboard's time in process at the largest size (its queries must not grow with the size).
TARGET_GET_PER_S = 800.0
TARGET_POST_PER_S = 300.0
TARGET_LEADERBOARD_S = 0.05


def _load(clients: list[requests.Session], requests_total: int,
          call: Any) -> tuple[float, list[float]]:
    """``call(session, index)`` ``requests_total`` times over the clients; return (requests/s, latencies)."""
    per_client = max(1, requests_total // len(clients))
    latencies: list[list[float]] = [[] for _ in clients]

    def work(index: int) -> None:
        for turn in range(per_client):
            start = time.perf_counter()
            response = call(clients[index], index, turn)
            latencies[index].append(time.perf_counter() - start)
            if response.status_code >= 500 or response.status_code in (401, 403, 429):
                raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} "
                                   f"{response.text[:300]}")

    start = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(work, range(len(clients))))
    elapsed = time.perf_counter() - start
    flat = [value for values in latencies for value in values]
    return len(flat) / elapsed, flat


def rates(site: common.Site, images: common.Images, *, repeats: int, requests_total: int) -> dict[str, Any]:
    """POST and GET rates with :data:`CLIENTS` concurrent clients, with the framework baseline."""
    queue = common.unique_name("bench-site")
    setup = common.make_competition(site, images.scorer, participants=CLIENTS, name="site", queue=queue)
    clients = [common.session(token) for token in setup.tokens]
    own: list[list[int]] = [[] for _ in clients]
    url = site.url

    def baseline(http: requests.Session, index: int, turn: int) -> requests.Response:
        return http.get(f"{url}/api/nothing/", timeout=60)

    def post(http: requests.Session, index: int, turn: int) -> requests.Response:
        response = http.post(f"{url}/api/competitions/{setup.slug}/submissions/",
                             json={"phase": setup.phase_id, "image": images.participant}, timeout=60)
        if response.status_code == 201:
            own[index].append(response.json()["id"])
        return response

    tags: dict[int, str] = {}

    def get(http: requests.Session, index: int, turn: int) -> requests.Response:
        ids = own[index]
        submission = ids[turn % len(ids)]
        response = http.get(f"{url}/api/submissions/{submission}/", timeout=60)
        tags[submission] = response.headers.get("ETag", "")
        return response

    def revalidate(http: requests.Session, index: int, turn: int) -> requests.Response:
        """The poll of the pages and of ``evalbox submit --wait``: the last ETag sent, a 304 while unchanged."""
        ids = own[index]
        submission = ids[turn % len(ids)]
        return http.get(f"{url}/api/submissions/{submission}/", headers={"If-None-Match": tags[submission]},
                        timeout=60)

    windows = (("baseline", baseline), ("post", post), ("get", get), ("revalidate", revalidate))
    measured: dict[str, list[float]] = {name: [] for name, _ in windows}
    latency: dict[str, list[float]] = {name: [] for name, _ in windows}
    try:
        _load(clients, CLIENTS, baseline)  # warm-up: connections, gunicorn threads
        for index in range(repeats):
            for name, call in windows:
                rate, latencies = _load(clients, requests_total, call)
                measured[name].append(rate)
                latency[name].extend(latencies)
            common.log(f"site rates {index + 1}/{repeats}: baseline {measured['baseline'][-1]:.0f}/s, "
                       f"POST {measured['post'][-1]:.0f}/s, GET {measured['get'][-1]:.0f}/s, "
                       f"GET revalidated {measured['revalidate'][-1]:.0f}/s")
    finally:
        try:
            common.delete_queue(queue)
        except Exception as exc:  # noqa: BLE001
            common.log(f"queue {queue} not deleted: {exc}")
    return {
        "clients": CLIENTS, "requests_per_window": requests_total, "repeats": repeats,
        **{f"{name}_per_s": common.summary(values, 1) for name, values in measured.items()},
        **{f"{name}_latency_median_s": round(statistics.median(values), 4) for name, values in latency.items()},
        "medians_per_s": {name: statistics.median(values) for name, values in measured.items()},  # unrounded
    }


def fill(phase_id: int, participants: list[int], count: int, start: int) -> None:
    """``bulk_create`` ``count`` finished submissions of ``phase_id``, round-robin over ``participants``."""
    from django.utils import timezone

    from competition.models import Submission

    now = timezone.now()
    rng = random.Random(start)
    batch = []
    for number in range(start, start + count):
        score = round(rng.random(), 6)
        batch.append(Submission(phase_id=phase_id, participant_id=participants[number % len(participants)],
                                image="docker.io/library/alpine:latest", image_typed="alpine", status="FINISHED",
                                token_hash="x" * 64, created=now, queued_at=now, started_at=now, scoring_at=now,
                                finished_at=now, scores={"score": score}, rank_score=score, exit_code=0))
    Submission.objects.bulk_create(batch, batch_size=2000)


def measure_leaderboard(site: common.Site, slug: str, phase_id: int, repeats: int) -> dict[str, Any]:
    """HTTP time, in-process time and SQL queries of the API and web leaderboards."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    paths = {"api": f"/api/phases/{phase_id}/leaderboard/", "page": f"/competitions/{slug}/leaderboard/"}
    client = Client()
    result: dict[str, Any] = {}
    for name, path in paths.items():
        http_times, process_times = [], []
        rows = None
        for _ in range(repeats):
            start = time.perf_counter()
            response = requests.get(site.url + path, timeout=120)
            http_times.append(time.perf_counter() - start)
            response.raise_for_status()
            if name == "api":
                rows = len(response.json()["rows"])
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                answer = client.get(path)
                process_times.append(time.perf_counter() - start)
            if answer.status_code != 200:
                raise RuntimeError(f"{path}: {answer.status_code}")
        result[name] = {"http_s": common.summary(http_times, 4), "in_process_s": common.summary(process_times, 4),
                        "in_process_median_s": statistics.median(process_times),  # unrounded
                        "queries": len(queries.captured_queries), "bytes": len(response.content)}
        if rows is not None:
            result[name]["rows"] = rows
    return result


def leaderboard(site: common.Site, images: common.Images, *, repeats: int, participants: int = 1000,
                sizes: tuple[int, ...] = (1000, 10000)) -> dict[str, Any]:
    """The leaderboard at each size in ``sizes`` (submissions), same participants."""
    from django.contrib.auth import get_user_model

    from competition.models import Participant

    setup = common.make_competition(site, images.scorer, name="board")
    from competition.models import Phase

    phase = Phase.objects.select_related("competition").get(pk=setup.phase_id)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"{setup.slug}-u{index}", password="!") for index in range(participants)])
    people = Participant.objects.bulk_create(
        [Participant(competition=phase.competition, user=user, status=Participant.APPROVED) for user in users])
    ids = [person.pk for person in people]
    result: dict[str, Any] = {"participants": participants}
    done = 0
    for size in sizes:
        fill(phase.pk, ids, size - done, done)
        done = size
        result[str(size)] = measure_leaderboard(site, setup.slug, phase.pk, repeats)
        common.log(f"leaderboard with {size} submissions: API {result[str(size)]['api']['queries']} queries, "
                   f"{result[str(size)]['api']['http_s']['median']:.3f} s")
    first, last = (result[str(size)] for size in (sizes[0], sizes[-1]))
    result["queries_constant"] = all(first[name]["queries"] == last[name]["queries"] for name in ("api", "page"))
    result["rules"] = _other_rules(site, setup.slug, phase, repeats)
    return result


def _other_rules(site: common.Site, slug: str, phase: Any, repeats: int) -> dict[str, Any]:
    """The leaderboard under the 'last' and 'marked as final' rules, on the submissions already there."""
    from competition.models import Selection, Submission

    every_third = Submission.objects.filter(phase=phase).order_by("pk").values_list("pk", flat=True)[::3]
    Submission.objects.filter(pk__in=every_third).update(final_choice=True)
    measured = {}
    for rule in (Selection.LAST, Selection.CHOSEN):
        phase.selection_rule = rule
        phase.save(update_fields=["selection_rule"])
        measured[rule.value] = measure_leaderboard(site, slug, phase.pk, repeats)["api"]
        common.log(f"leaderboard, rule {rule.value}: {measured[rule.value]['queries']} queries, "
                   f"{measured[rule.value]['http_s']['median']:.3f} s")
    return measured


def missed_targets(result: dict[str, Any]) -> list[str]:
    """The targets ``result`` misses, judged on unrounded medians (a miss is never rounded into a pass)."""
    rates_, board = result["rates"], result["leaderboard"]
    missed = [f"{what}: {rates_['medians_per_s'][name]:.1f} req/s with {rates_['clients']} clients "
              f"(target >= {target:.0f})"
              for name, what, target in (("get", "status GET", TARGET_GET_PER_S),
                                         ("post", "submission POST", TARGET_POST_PER_S))
              if rates_["medians_per_s"][name] < target]
    if not board["queries_constant"]:
        missed.append("the leaderboard's queries grow with its submissions")
    largest = max((size for size in board if size.isdigit()), key=int)
    seconds = board[largest]["api"]["in_process_median_s"]
    if seconds > TARGET_LEADERBOARD_S:
        missed.append(f"API leaderboard at {largest} submissions: {seconds * 1000:.0f} ms in process "
                      f"(target <= {TARGET_LEADERBOARD_S * 1000:.0f} ms)")
    return missed


def run(site: common.Site, images: common.Images, work: Path, *, quick: bool) -> dict[str, Any]:
    """Both measurements, and the targets they miss."""
    result = {
        "rates": rates(site, images, repeats=3 if quick else 5, requests_total=250 if quick else 1000),
        "leaderboard": leaderboard(site, images, repeats=3 if quick else 11,
                                   sizes=(1000, 10000)),
    }
    result["missed"] = missed_targets(result)
    return result


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    rates_, board = result["rates"], result["leaderboard"]
    lines = [
        f"Site with {rates_['clients']} concurrent clients ({rates_['requests_per_window']} requests per window, "
        f"{rates_['repeats']} windows)",
        f"  baseline GET /api/nothing/ {common.fmt(rates_['baseline_per_s'], ' req/s', 1)} "
        f"(latency median {rates_['baseline_latency_median_s']:.3f} s)",
        f"  submission POST            {common.fmt(rates_['post_per_s'], ' req/s', 1)} "
        f"(latency median {rates_['post_latency_median_s']:.3f} s)",
        f"  status GET                 {common.fmt(rates_['get_per_s'], ' req/s', 1)} "
        f"(latency median {rates_['get_latency_median_s']:.3f} s)",
        f"  status GET revalidated     {common.fmt(rates_['revalidate_per_s'], ' req/s', 1)} "
        f"(latency median {rates_['revalidate_latency_median_s']:.3f} s; If-None-Match: 304, as pages and "
        f"--wait poll; not the target's figure)",
        f"Leaderboard, {board['participants']} participants",
    ]
    for size, entry in board.items():
        if not isinstance(entry, dict) or size == "rules":
            continue
        for name in ("api", "page"):
            item = entry[name]
            lines.append(f"  {int(size):>6} submissions, {name:<4}: HTTP {common.fmt(item['http_s'], ' s', 4)}, "
                         f"in process {common.fmt(item['in_process_s'], ' s', 4)}, {item['queries']} SQL queries")
    lines.append(f"  queries constant: {'yes' if board['queries_constant'] else 'NO'}")
    for rule, item in board.get("rules", {}).items():
        lines.append(f"  rule {rule:<6} (largest size), api: HTTP {common.fmt(item['http_s'], ' s', 4)}, "
                     f"in process {common.fmt(item['in_process_s'], ' s', 4)}, {item['queries']} SQL queries")
    verdict = f"{len(result['missed'])} MISSED" if result["missed"] else "met"
    lines.append(f"  targets (status GET >= {TARGET_GET_PER_S:.0f} req/s, POST >= {TARGET_POST_PER_S:.0f} req/s, API "
                 f"leaderboard <= {TARGET_LEADERBOARD_S * 1000:.0f} ms): {verdict}")
    return "\n".join(lines)
