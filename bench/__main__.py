"""``python -m bench [names...] [--quick] [--repeat N]``: run the benchmarks and write their results.

Benchmarks: ``overhead``, ``throughput``, ``cache``, ``site``, ``footprint``, ``registry``, ``live``,
``realistic`` (default: all).
A benchmark that misses its target says ``TARGET MISSED`` and the run exits 1.
Every benchmark shares one scratch site (PostgreSQL database + gunicorn + a RabbitMQ queue);
results are printed and written as JSON to ``bench/results/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402  (after the checkout is on sys.path)

NAMES = ("overhead", "throughput", "cache", "site", "footprint", "registry", "live", "realistic")
RESULTS_DIR = ROOT / "bench" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run among {', '.join(NAMES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller sizes (a smoke run)")
    parser.add_argument("--repeat", type=int, default=None, help="repeats per figure (default 15, quick 3)")
    parser.add_argument("--submissions", type=int, default=None,
                        help="throughput: submissions per run (default 100, quick 20)")
    parser.add_argument("--output", type=Path, default=None, help="JSON file to write (default bench/results/)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose among {', '.join(NAMES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks."""
    args = parse_args(argv)
    names = args.names or list(NAMES)
    repeats = args.repeat or (3 if args.quick else 15)
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick, "repeats": repeats,
        "machine": {"cpus": os.cpu_count(), "load_before": common.machine_load()},
    }
    images = common.bench_images()
    reports: list[str] = []
    with tempfile.TemporaryDirectory(prefix="evalbox-bench-work-") as tmp, common.scratch_site() as site:
        work = Path(tmp)
        for name in names:
            common.log(f"running {name}")
            module = __import__(f"bench.{name}", fromlist=["run", "report"])
            started = time.monotonic()
            if name == "throughput":
                result = module.run(site, images, work / name, repeats=max(1, repeats // 5) if not args.quick else 1,
                                    submissions=args.submissions or (20 if args.quick else 100))
            elif name == "cache":
                result = module.run(site, images, work / name, repeats=max(1, repeats // 5),
                                    size_mb=50 if args.quick else 200)
            elif name == "registry":
                result = module.run(site, images, work / name, repeats=max(3, repeats // 3))
            elif name == "site":
                result = module.run(site, images, work / name, quick=args.quick)
            elif name == "realistic":
                result = module.run(site, images, work / name, repeats=1 if args.quick else max(3, repeats // 5))
            elif name == "live":
                result = module.run(site, images, work / name, repeats=max(1, repeats // 5), quick=args.quick)
            else:
                result = module.run(site, images, work / name, repeats=repeats)
            result["seconds"] = round(time.monotonic() - started, 1)
            results[name] = result
            text = module.report(result)
            reports.append(text)
            print(text + "\n", flush=True)
    results["machine"]["load_after"] = common.machine_load()
    output = args.output or RESULTS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str))
    print(f"machine load before {results['machine']['load_before']}, after {results['machine']['load_after']}")
    print(f"results written to {output}")
    missed = [f"{name}: {miss}" for name in names for miss in results[name].get("missed", [])]
    for miss in missed:
        print(f"TARGET MISSED: {miss}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
