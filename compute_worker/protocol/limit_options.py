"""A phase's limits as command-line options: ``compute_worker sandbox-command`` and ``evalbox try`` share them.

One option per :class:`~compute_worker.protocol.Limits` field (``--time-limit-s``,
``--memory-mb``, ...), with the contract's defaults.
"""

from __future__ import annotations

import argparse
import dataclasses

from .messages import Limits


def add_limit_arguments(parser: argparse.ArgumentParser, notes: dict[str, str] | None = None) -> None:
    """An option per limit; ``notes`` adds a remark to some options' help."""
    notes = notes or {}
    for limit in dataclasses.fields(Limits):
        note = f" ({notes[limit.name]})" if limit.name in notes else ""
        parser.add_argument("--" + limit.name.replace("_", "-"), dest=limit.name, type=type(limit.default),
                            default=limit.default, help=f"phase limit {limit.name} (default %(default)s){note}")


def limits_from(args: argparse.Namespace) -> Limits:
    """The validated limits of the parsed options (:class:`ProtocolError` when one is out of range)."""
    limits = Limits(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Limits)})
    limits.validate()
    return limits
