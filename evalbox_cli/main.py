"""``evalbox``: the participant's command line (requests only; imports neither Django nor docker).

    evalbox try IMAGE --input DIR [--reference DIR --scoring-image IMAGE]   (needs evalbox[worker])
    evalbox submit --site URL --competition SLUG --phase N IMAGE [--wait]
    evalbox submit --competition SLUG --pushed NAME:TAG      (an image pushed to the site's registry)
    evalbox images SLUG                                       (push commands and pushed images)
    evalbox status ID
    evalbox final ID [--unmark]
    evalbox leaderboard SLUG [--phase N]

Configuration, first found wins: the options (``--site``, ``--token``), the environment
(``EVALBOX_SITE``, ``EVALBOX_TOKEN``), then a TOML file (``EVALBOX_CONFIG`` or
``~/.config/evalbox/config.toml``) with ``site = "https://..."`` and ``token = "..."``. The token
is the user's API key, sent as ``Authorization: Token <key>``.

Exit codes: 0 success (``--wait``: the submission FINISHED); 1 the submission FAILED or was
CANCELLED; 2 usage or configuration error (a bad image reference is refused before any request);
3 the site answered with an HTTP error; 4 the site could not be reached; 5 ``--wait --timeout``
gave up before the submission ended (it goes on); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from compute_worker.protocol import ProtocolError, parse_reference

from .client import Site
from .config import config_path, resolve
from .errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CliError
from .render import FINAL, print_outcome, print_scores, score_text, wait
from .try_command import add_parser as add_try_parser


def _pushed_reference(site: Site, competition: str, name: str) -> str:
    """The registry reference of the caller's pushed image ``name[:tag]`` (``name`` may be the full repository)."""
    wanted, _, tag = name.partition(":")
    images = site.call("GET", f"competitions/{competition}/images/").get("images") or []
    for image in images:
        repository = str(image.get("repository", ""))
        if (repository == wanted or repository.endswith("/" + wanted)) and image.get("tag") == (tag or "latest"):
            return str(image["reference"])
    pushed = ", ".join(f"{i.get('repository', '').split('/', 2)[-1]}:{i.get('tag')}" for i in images) or "none"
    raise CliError(f"You have pushed no image {wanted}:{tag or 'latest'} to {competition} (pushed: {pushed}). "
                   "See `evalbox images`.", EXIT_USAGE)


def _site_with_token(args: argparse.Namespace, env) -> Site:
    site_url, token = resolve(args, env)
    if not token:
        raise CliError("No API token: set EVALBOX_TOKEN or put token = \"...\" in "
                       f"{config_path(env)}.", EXIT_USAGE)
    return Site(site_url, token)


def cmd_submit(args: argparse.Namespace, env, out: TextIO) -> int:
    if (args.image is None) == (args.pushed is None):
        raise CliError("Give either IMAGE or --pushed NAME:TAG.", EXIT_USAGE)
    if args.image is not None:
        try:
            parse_reference(args.image)  # fail fast, before any request: the site checks it again
        except ProtocolError as exc:
            raise CliError(f"Bad image reference {args.image!r}: {exc}", EXIT_USAGE) from None
    site = _site_with_token(args, env)
    image = args.image or _pushed_reference(site, args.competition, args.pushed)
    phase = args.phase
    if phase is None:
        competition = site.call("GET", f"competitions/{args.competition}/")
        open_phases = [p for p in competition.get("phases", []) if p.get("open")]
        if len(open_phases) != 1:
            names = ", ".join(f"{p['id']} ({p['name']})" for p in open_phases) or "none"
            raise CliError(f"Pass --phase: {len(open_phases)} phases are open (open phases: {names}).", EXIT_USAGE)
        phase = open_phases[0]["id"]
    created = site.call("POST", f"competitions/{args.competition}/submissions/",
                        json={"phase": phase, "image": image})
    print(f"Submitted {created.get('image')} as submission #{created.get('id')} ({created.get('status')}).",
          file=out, flush=True)
    if not args.wait:
        return EXIT_OK
    return wait(site, created, out, args.interval, args.timeout)


def cmd_images(args: argparse.Namespace, env, out: TextIO) -> int:
    view = _site_with_token(args, env).call("GET", f"competitions/{args.slug}/images/")
    print(f"Push to {view.get('registry')} (your API token is the password):", file=out)
    for key in ("login", "tag", "push"):
        print(f"  {view.get(key)}", file=out)
    images = view.get("images") or []
    print("Your pushed images:" if images else "You have pushed no image yet.", file=out)
    for image in images:
        print(f"  {image.get('reference')}  {str(image.get('digest'))[:19]}…  {image.get('pushed_at')}", file=out)
    return EXIT_OK


def cmd_status(args: argparse.Namespace, env, out: TextIO) -> int:
    site = Site(*resolve(args, env))
    submission = site.call("GET", f"submissions/{args.id}/")
    print(f"Submission #{submission.get('id')}: {submission.get('status')}", file=out)
    for key, label in (("image", "image"), ("phase_name", "phase"), ("team", "team"), ("created", "submitted"),
                       ("image_digest", "digest"), ("duration_s", "duration (s)"), ("status_message", "message")):
        if submission.get(key) not in (None, ""):
            print(f"  {label}: {submission[key]}", file=out)
    if submission.get("final"):
        print("  marked final", file=out)
    status = submission.get("status")
    if status == "FINISHED":
        print_scores(submission, out)
        return EXIT_OK
    if status in FINAL:
        return print_outcome(submission, out)
    return EXIT_OK


def cmd_final(args: argparse.Namespace, env, out: TextIO) -> int:
    """Mark a submission as final (or unmark it): the phase counts the best of the marked ones."""
    site = Site(*resolve(args, env))
    submission = site.call("POST", f"submissions/{args.id}/final/", json={"final": not args.unmark})
    state = "marked final" if submission.get("final") else "no longer marked final"
    print(f"Submission #{submission.get('id')} is {state}.", file=out)
    return EXIT_OK


def cmd_leaderboard(args: argparse.Namespace, env, out: TextIO) -> int:
    site = Site(*resolve(args, env))
    query = {"phase": args.phase} if args.phase is not None else {}
    board = site.call("GET", f"competitions/{args.slug}/leaderboard/", params=query)
    columns = board.get("columns") or []
    rows = board.get("rows") or []
    print(f"Leaderboard of {args.slug} · {board.get('phase_name')} (phase {board.get('phase')})", file=out)
    if board.get("hidden"):
        print(f"  {board.get('message') or 'the scores of this phase are private.'}", file=out)
        return EXIT_OK
    if not rows:
        print("  no finished submission yet", file=out)
        return EXIT_OK
    header = ["rank", "participant", *(c.get("label") or c.get("key") for c in columns), "submission"]
    table = [
        [str(r.get("rank")), str(r.get("participant")),
         *(score_text({"value": (r.get("scores") or {}).get(c.get("key")),
                       "text": (r.get("scores_text") or {}).get(c.get("key"))}) for c in columns),
         f"#{r.get('submission_id')}"]
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
    add_try_parser(commands)

    submit = commands.add_parser("submit", parents=[common], help="submit an image reference")
    submit.add_argument("--competition", required=True, metavar="SLUG")
    submit.add_argument("--phase", type=int, metavar="N", help="the phase id (default: the only open phase)")
    submit.add_argument("--wait", action="store_true", help="follow the submission until it ends")
    submit.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    submit.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="stop waiting after S seconds (exit code 5)")
    submit.add_argument("--pushed", metavar="NAME:TAG", help="an image you pushed to the site's registry")
    submit.add_argument("image", metavar="IMAGE", nargs="?")
    submit.set_defaults(handler=cmd_submit)

    pushed = commands.add_parser("images", parents=[common], help="the registry's push commands and your images")
    pushed.add_argument("slug", metavar="SLUG")
    pushed.set_defaults(handler=cmd_images)

    status = commands.add_parser("status", parents=[common], help="show one submission")
    status.add_argument("id", type=int, metavar="ID")
    status.set_defaults(handler=cmd_status)

    final = commands.add_parser("final", parents=[common], help="mark a submission as final (or --unmark it)")
    final.add_argument("id", type=int, metavar="ID")
    final.add_argument("--unmark", action="store_true", help="remove the final mark")
    final.set_defaults(handler=cmd_final)

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
