"""How the ``evalbox`` command prints submissions, outcomes and the live status line."""

from __future__ import annotations

import time
from typing import Any, TextIO

from .client import Site
from .errors import EXIT_FAILED, EXIT_OK, EXIT_WAIT_TIMEOUT, CliError

FINAL = {"FINISHED", "FAILED", "CANCELLED"}


def score_text(score: dict[str, Any]) -> str:
    """A score as the site writes it (its ``text``); the bare value from a site that sends none."""
    text = score.get("text")
    if isinstance(text, str):
        return text
    return "" if score.get("value") is None else str(score["value"])


def print_scores(submission: dict[str, Any], out: TextIO) -> None:
    """The declared scores, one per line (or why they are private)."""
    if submission.get("scores_hidden"):
        print(f"  scores private: {submission.get('scores_message') or 'the organizers have not published them.'}",
              file=out)
        return
    scores = submission.get("scores") or []
    if not scores:
        print("  (no declared score)", file=out)
    width = max((len(str(s.get("label") or s.get("key"))) for s in scores), default=0)
    for score in scores:
        label = str(score.get("label") or score.get("key"))
        print(f"  {label.ljust(width)}  {score_text(score)}", file=out)


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
        if submission.get("failure_reason") == "non_zero_exit" and submission.get("exit_code") is not None:
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
    tag = None  # the submit answer carries no ETag: the first poll fetches
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
                           f"(evalbox status {submission.get('id')}).", EXIT_WAIT_TIMEOUT)
        time.sleep(interval)
        changed = site.get_if_changed(f"submissions/{submission['id']}/", tag)
        if changed is not None:
            submission, tag = changed
    if tty:
        out.write("\n")
    return print_outcome(submission, out)
