"""``evalbox``: the participant's command line (requests only; imports neither Django nor docker).

    evalbox submit --site URL --competition SLUG --phase N IMAGE [--wait]
    evalbox status ID
    evalbox leaderboard SLUG [--phase N]

Configuration, first found wins: the options (``--site``, ``--token``), the environment
(``EVALBOX_SITE``, ``EVALBOX_TOKEN``), then a TOML file (``EVALBOX_CONFIG`` or
``~/.config/evalbox/config.toml``) with ``site = "https://..."`` and ``token = "..."``. The token
is the user's API key, sent as ``Authorization: Token <key>``.

Exit codes: 0 success (``--wait``: the submission FINISHED); 1 the submission FAILED or was
CANCELLED; 2 usage or configuration error (a bad image reference is refused before any request);
3 the site answered with an HTTP error; 4 the site could not be reached; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
from pathlib import Path
from typing import Any, TextIO

import requests

from compute_worker.protocol import ProtocolError, parse_reference

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HTTP, EXIT_NETWORK, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
FINAL = {"FINISHED", "FAILED", "CANCELLED"}
TIMEOUT_S = 30


class CliError(Exception):
    """A problem to print (one line, no traceback) and the exit code that goes with it."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


# --- configuration


def config_path(env: dict[str, str] | os._Environ[str]) -> Path:
    """``EVALBOX_CONFIG`` or ``~/.config/evalbox/config.toml`` (``XDG_CONFIG_HOME`` respected)."""
    if env.get("EVALBOX_CONFIG"):
        return Path(env["EVALBOX_CONFIG"]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "evalbox" / "config.toml"


def load_config(env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The config file's ``site`` and ``token`` (an absent file is an empty config)."""
    path = config_path(env)
    if not path.is_file():
        if env.get("EVALBOX_CONFIG"):
            raise CliError(f"EVALBOX_CONFIG points to {path}, which is not a file.", EXIT_USAGE)
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CliError(f"Cannot read the config file {path}: {exc}", EXIT_USAGE) from None
    return {key: str(data[key]) for key in ("site", "token") if isinstance(data.get(key), str)}


def resolve(args: argparse.Namespace, env: dict[str, str] | os._Environ[str]) -> tuple[str, str]:
    """The site URL and token from the options, the environment, then the config file."""
    config = load_config(env)
    site = args.site or env.get("EVALBOX_SITE") or config.get("site") or ""
    token = args.token or env.get("EVALBOX_TOKEN") or config.get("token") or ""
    if not site:
        raise CliError("No site: pass --site URL, set EVALBOX_SITE, or put site = \"...\" in "
                       f"{config_path(env)}.", EXIT_USAGE)
    if not site.startswith(("http://", "https://")):
        raise CliError(f"--site must be an http:// or https:// URL, not {site!r}.", EXIT_USAGE)
    return site.rstrip("/"), token


# --- HTTP


class Site:
    """The evalbox JSON API with the user's token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        self.http.headers["User-Agent"] = "evalbox-cli"
        if token:
            self.http.headers["Authorization"] = f"Token {token}"
        self.has_token = bool(token)

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer of ``method path``; :class:`CliError` for any HTTP or network problem."""
        url = f"{self.url}/api/{path}"
        try:
            response = self.http.request(method, url, timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise CliError(f"Cannot reach {self.url} ({reason}). Check --site and your connection.",
                           EXIT_NETWORK) from None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.ok and isinstance(payload, dict):
            return payload
        raise CliError(self._explain(response, payload), EXIT_HTTP)

    def _explain(self, response: requests.Response, payload: Any) -> str:
        code = response.status_code
        message = ""
        if isinstance(payload, dict):
            errors = payload.get("errors")
            if isinstance(errors, dict) and errors:
                message = "; ".join(
                    f"{field}: {problems[0] if isinstance(problems, list) and problems else problems}"
                    for field, problems in errors.items()
                )
            else:
                message = str(payload.get("error") or "")
        if not message:
            message = "the site did not answer with JSON" if response.ok else (response.reason or "error")
        hint = ""
        if code == 401:
            hint = (" Set EVALBOX_TOKEN (or token in the config file) to your API key." if not self.has_token
                    else " Your API token was refused: check it.")
        elif code == 429:
            hint = " Try again later."
        return f"HTTP {code}: {message}{hint}"


# --- output


def _format_value(value: Any) -> str:
    return "" if value is None else str(value)


def print_scores(submission: dict[str, Any], out: TextIO) -> None:
    """The declared scores, one per line."""
    scores = submission.get("scores") or []
    if not scores:
        print("  (no declared score)", file=out)
    width = max((len(str(s.get("label") or s.get("key"))) for s in scores), default=0)
    for score in scores:
        label = str(score.get("label") or score.get("key"))
        print(f"  {label.ljust(width)}  {_format_value(score.get('value'))}", file=out)


def print_outcome(submission: dict[str, Any], out: TextIO) -> int:
    """The final result in words; the exit code it means."""
    status = submission.get("status")
    number = submission.get("id")
    if status == "FINISHED":
        print(f"Submission #{number} FINISHED.", file=out)
        print_scores(submission, out)
        return EXIT_OK
    if status == "FAILED":
        label = submission.get("failure_label") or "Failed"
        message = submission.get("failure_message") or ""
        print(f"Submission #{number} FAILED: {label}" + (f": {message}" if message else ""), file=out)
        if submission.get("exit_code") is not None:
            print(f"  exit code {submission['exit_code']}", file=out)
        return EXIT_FAILED
    print(f"Submission #{number} {status}.", file=out)
    return EXIT_FAILED


def status_line(submission: dict[str, Any], elapsed: float) -> str:
    """``[  12s] RUNNING 3 s / 30 s · message``."""
    status = submission.get("status", "?")
    parts = [f"[{int(elapsed):>4}s] #{submission.get('id')} {status}"]
    if status in ("RUNNING", "SCORING") and submission.get("time_limit_s"):
        parts.append(f"{int(submission.get('elapsed_s') or 0)} s / {submission['time_limit_s']} s")
    if submission.get("status_message"):
        parts.append(str(submission["status_message"])[:80])
    return " · ".join(parts)


def wait(site: Site, submission: dict[str, Any], out: TextIO, interval: float, timeout: float | None) -> int:
    """Poll until the submission is final, showing a live status line; return the exit code."""
    tty = out.isatty()
    started = time.monotonic()
    last_line = ""
    width = 0
    while True:
        elapsed = time.monotonic() - started
        line = status_line(submission, elapsed)
        if tty:
            out.write("\r" + line.ljust(width))
            out.flush()
            width = len(line)
        elif line.split("] ", 1)[-1] != last_line:  # plain lines: only when something changed
            print(line, file=out, flush=True)
            last_line = line.split("] ", 1)[-1]
        if submission.get("status") in FINAL:
            break
        if timeout is not None and elapsed > timeout:
            if tty:
                out.write("\n")
            raise CliError(f"Gave up waiting after {int(timeout)} s; the submission goes on "
                           f"(evalbox status {submission.get('id')}).", EXIT_FAILED)
        time.sleep(interval)
        submission = site.call("GET", f"submissions/{submission['id']}/")
    if tty:
        out.write("\n")
    return print_outcome(submission, out)


# --- commands


def cmd_submit(args: argparse.Namespace, env, out: TextIO) -> int:
    try:
        parse_reference(args.image)  # fail fast, before any request: the site checks it again
    except ProtocolError as exc:
        raise CliError(f"Bad image reference {args.image!r}: {exc}", EXIT_USAGE) from None
    site_url, token = resolve(args, env)
    if not token:
        raise CliError("No API token: set EVALBOX_TOKEN or put token = \"...\" in "
                       f"{config_path(env)}.", EXIT_USAGE)
    site = Site(site_url, token)
    phase = args.phase
    if phase is None:
        competition = site.call("GET", f"competitions/{args.competition}/")
        open_phases = [p for p in competition.get("phases", []) if p.get("open")]
        if len(open_phases) != 1:
            names = ", ".join(f"{p['id']} ({p['name']})" for p in open_phases) or "none"
            raise CliError(f"Pass --phase: {len(open_phases)} phases are open (open phases: {names}).", EXIT_USAGE)
        phase = open_phases[0]["id"]
    created = site.call("POST", f"competitions/{args.competition}/submissions/",
                        json={"phase": phase, "image": args.image})
    print(f"Submitted {created.get('image')} as submission #{created.get('id')} ({created.get('status')}).",
          file=out, flush=True)
    if not args.wait:
        return EXIT_OK
    return wait(site, created, out, args.interval, args.timeout)


def cmd_status(args: argparse.Namespace, env, out: TextIO) -> int:
    site = Site(*resolve(args, env))
    submission = site.call("GET", f"submissions/{args.id}/")
    print(f"Submission #{submission.get('id')}: {submission.get('status')}", file=out)
    for key, label in (("image", "image"), ("phase_name", "phase"), ("created", "submitted"),
                       ("image_digest", "digest"), ("duration_s", "duration (s)"), ("status_message", "message")):
        if submission.get(key) not in (None, ""):
            print(f"  {label}: {submission[key]}", file=out)
    status = submission.get("status")
    if status == "FINISHED":
        print_scores(submission, out)
        return EXIT_OK
    if status in FINAL:
        return print_outcome(submission, out)
    return EXIT_OK


def cmd_leaderboard(args: argparse.Namespace, env, out: TextIO) -> int:
    site = Site(*resolve(args, env))
    query = {"phase": args.phase} if args.phase is not None else {}
    board = site.call("GET", f"competitions/{args.slug}/leaderboard/", params=query)
    columns = board.get("columns") or []
    rows = board.get("rows") or []
    print(f"Leaderboard of {args.slug} · {board.get('phase_name')} (phase {board.get('phase')})", file=out)
    if not rows:
        print("  no finished submission yet", file=out)
        return EXIT_OK
    header = ["rank", "participant", *(c.get("label") or c.get("key") for c in columns), "submission"]
    table = [
        [str(r.get("rank")), str(r.get("participant")),
         *(_format_value((r.get("scores") or {}).get(c.get("key"))) for c in columns), f"#{r.get('submission_id')}"]
        for r in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *table, strict=True)]
    for line in [header, *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip(), file=out)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site", help="the site's base URL (else EVALBOX_SITE or the config file)")
    common.add_argument("--token", help="API token (else EVALBOX_TOKEN or the config file; prefer those)")
    parser = argparse.ArgumentParser(prog="evalbox", description="Submit Docker images to an evalbox site.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    submit = commands.add_parser("submit", parents=[common], help="submit an image reference")
    submit.add_argument("--competition", required=True, metavar="SLUG")
    submit.add_argument("--phase", type=int, metavar="N", help="the phase id (default: the only open phase)")
    submit.add_argument("--wait", action="store_true", help="follow the submission until it ends")
    submit.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    submit.add_argument("--timeout", type=float, default=None, metavar="S", help="stop waiting after S seconds")
    submit.add_argument("image", metavar="IMAGE")
    submit.set_defaults(handler=cmd_submit)

    status = commands.add_parser("status", parents=[common], help="show one submission")
    status.add_argument("id", type=int, metavar="ID")
    status.set_defaults(handler=cmd_status)

    board = commands.add_parser("leaderboard", parents=[common], help="show a phase's leaderboard")
    board.add_argument("slug", metavar="SLUG")
    board.add_argument("--phase", type=int, metavar="N", help="the phase id (default: the first phase)")
    board.set_defaults(handler=cmd_leaderboard)
    return parser


def main(argv: list[str] | None = None, env=None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it)."""
    env = os.environ if env is None else env
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    if getattr(args, "interval", 1.0) <= 0:
        args.interval = 0.1
    try:
        return args.handler(args, env, out)
    except CliError as exc:
        print(f"evalbox: {exc}", file=err)
        return exc.code
    except KeyboardInterrupt:
        print("\nevalbox: interrupted (the submission, if sent, goes on).", file=err)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
