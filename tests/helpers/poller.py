"""A small status-polling load client, run as its own process so it does not share the site's GIL.

``python -m tests.helpers.poller --clients 200 --duration 20 -- URL TOKEN IDS`` (:func:`command`) starts that many
threads, each a browser polling ``GET /api/submissions/<id>/`` (ids taken round-robin) with
keep-alive, for a bounded duration; it prints one JSON line: requests, errors, latencies. The
``--`` matters: a token may begin with ``-``, which argparse would otherwise read as an option.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile (nearest rank) of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def poll(base: str, token: str, ids: list[int], clients: int, duration_s: float, interval_s: float) -> dict:
    """Run the load; return the summary."""
    target = urlsplit(base)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration_s

    def browser(index: int) -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        mine: list[float] = []
        n = index
        while time.monotonic() < deadline:
            path = f"/api/submissions/{ids[n % len(ids)]}/"
            n += clients
            started = time.monotonic()
            try:
                connection.request("GET", path, headers={"Authorization": f"Token {token}"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    with lock:
                        errors.append(f"HTTP {response.status}")
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                connection.close()
                continue
            mine.append(time.monotonic() - started)
            time.sleep(interval_s)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=browser, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration_s + 60)
    elapsed = time.monotonic() - started
    return {"clients": clients, "duration_s": round(elapsed, 1), "requests": len(latencies), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5], "rate_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1)}


def command(url: str, token: str, ids: list[int], *, clients: int, duration: float, interval: float) -> list[str]:
    """The command line that runs this poller (options first, then ``--``: a token may begin with ``-``)."""
    return [sys.executable, "-m", "tests.helpers.poller", "--clients", str(clients), "--duration", str(duration),
            "--interval", str(interval), "--", url, token, ",".join(map(str, ids))]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (``argv``, default ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("ids", help="comma-separated submission ids")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=0.5, help="pause between two polls of one browser")
    return parser.parse_args(argv)


def main() -> None:
    """Command line entry point."""
    args = parse_args()
    ids = [int(i) for i in args.ids.split(",")]
    print(json.dumps(poll(args.url, args.token, ids, args.clients, args.duration, args.interval)))


if __name__ == "__main__":
    main()
