"""The ``docker run`` command line equivalent to :func:`sandbox.container_kwargs`.

:func:`docker_run_command` translates the keyword arguments themselves, key by key, so the
command the docs quote cannot drift from what the worker runs. A key it does not know, or a
value it cannot express exactly, raises :class:`Untranslatable` rather than printing something
else.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

#: One option of the command and its value, if any: ``("--memory", "2048m")``, ``("--read-only",)``.
Option = tuple[str, ...]

_MB = 1 << 20
#: A word made of these characters is left to the shell to expand when it holds a ``$``.
_EXPANDABLE = re.compile(r"[\w@%+=:,./$-]+")


class Untranslatable(ValueError):
    """A ``containers.create`` keyword argument or value without an exact ``docker run`` equivalent."""


def _value(flag: str) -> Callable[[Any], list[Option]]:
    return lambda value: [(flag, str(value))]


def _each(flag: str) -> Callable[[Iterable[Any]], list[Option]]:
    return lambda values: [(flag, str(value)) for value in values]


def _switch(flag: str) -> Callable[[bool], list[Option]]:
    return lambda on: [(flag,)] if on else []


def _size(flag: str) -> Callable[[int], list[Option]]:
    return lambda size: [(flag, f"{size // _MB}m" if size % _MB == 0 else str(size))]


def _only(expected: Any, why: str) -> Callable[[Any], list[Option]]:
    """A key with no option of its own: ``expected`` is what the command does anyway (``why``)."""
    def translate(value: Any) -> list[Option]:
        if value != expected:
            raise Untranslatable(f"{value!r} cannot be expressed: the command assumes {expected!r} ({why})")
        return []
    return translate


def _keys(item: Mapping[str, Any], expected: set[str], what: str) -> Mapping[str, Any]:
    if set(item) != expected:
        raise Untranslatable(f"{what} {dict(item)!r} has other fields than {sorted(expected)}")
    return item


def _cpus(nano_cpus: int) -> list[Option]:
    cpus = f"{Decimal(nano_cpus).scaleb(-9):f}".rstrip("0").rstrip(".")
    return [("--cpus", cpus)]


def _tmpfs(mounts: Mapping[str, str]) -> list[Option]:
    return [("--tmpfs", f"{path}:{options}" if options else path) for path, options in mounts.items()]


def _environment(variables: Mapping[str, str]) -> list[Option]:
    return [("--env", f"{name}={value}") for name, value in variables.items()]


def _mounts(mounts: Iterable[Mapping[str, Any]]) -> list[Option]:
    options = []
    for mount in mounts:
        _keys(mount, {"Target", "Source", "Type", "ReadOnly"}, "the mount")
        if mount["Type"] != "bind":
            raise Untranslatable(f"only bind mounts are translated, not {mount['Type']!r}")
        options.append(("--volume", f"{mount['Source']}:{mount['Target']}" + (":ro" if mount["ReadOnly"] else "")))
    return options


def _ulimits(ulimits: Iterable[Mapping[str, Any]]) -> list[Option]:
    return [("--ulimit", "{Name}={Soft}:{Hard}".format(**_keys(u, {"Name", "Soft", "Hard"}, "the ulimit")))
            for u in ulimits]


def _log_config(config: Mapping[str, Any]) -> list[Option]:
    _keys(config, {"Type", "Config"}, "the log configuration")
    return [("--log-driver", config["Type"])] + [("--log-opt", f"{k}={v}") for k, v in config["Config"].items()]


def _gpus(requests: Iterable[Mapping[str, Any]]) -> list[Option]:
    options = []
    for request in requests:
        _keys(request, {"Driver", "Count", "DeviceIDs", "Capabilities", "Options"}, "the device request")
        if request["Capabilities"] != [["gpu"]] or request["Options"] or request["Count"] or not request["DeviceIDs"]:
            raise Untranslatable(f"--gpus expresses GPU ids with the gpu capability only, not {dict(request)!r}")
        devices = "device=" + ",".join(request["DeviceIDs"])
        # --gpus is a CSV list: a field holding commas is quoted.
        fields = ([f"driver={request['Driver']}"] if request["Driver"] else []) + \
            [f'"{devices}"' if "," in devices else devices]
        options.append(("--gpus", ",".join(fields)))
    return options


#: How each ``containers.create`` keyword argument the sandbox uses reads on the command line.
TRANSLATIONS: dict[str, Callable[[Any], list[Option]]] = {
    "detach": _only(True, "the SDK hands back a container to follow; in a terminal the log is shown instead"),
    "network_mode": _value("--network"),
    "user": _value("--user"),
    "cap_drop": _each("--cap-drop"),
    "security_opt": _each("--security-opt"),
    "privileged": _switch("--privileged"),
    "read_only": _switch("--read-only"),
    "tmpfs": _tmpfs,
    "environment": _environment,
    "mounts": _mounts,
    "mem_limit": _size("--memory"),
    "memswap_limit": _size("--memory-swap"),
    "nano_cpus": _cpus,
    "pids_limit": _value("--pids-limit"),
    "ipc_mode": _value("--ipc"),
    "hostname": _value("--hostname"),
    # The worker's bookkeeping (which worker and submission a container is for, so it can reap
    # it): no part of the confinement, and it would name the machine that printed the command.
    "labels": lambda labels: [],
    "runtime": _value("--runtime"),
    "ulimits": _ulimits,
    "log_config": _log_config,
    "device_requests": _gpus,
}


def docker_run_options(kwargs: Mapping[str, Any]) -> list[Option]:
    """The ``docker run`` options equivalent to ``kwargs`` (the image aside), in the order of ``kwargs``.

    ``--rm`` comes first: the worker removes every container once its run has ended.
    """
    options: list[Option] = [("--rm",)]
    for key, value in kwargs.items():
        if key == "image":
            continue
        if key not in TRANSLATIONS:
            raise Untranslatable(f"sandbox.container_kwargs has {key!r}, which {__name__} does not translate to a "
                                 "docker run option: add it to TRANSLATIONS")
        try:
            options.extend(TRANSLATIONS[key](value))
        except Untranslatable as exc:
            raise Untranslatable(f"{key}: {exc}") from None
    return options


def shell_word(word: str) -> str:
    """``word`` quoted for a POSIX shell; a ``$VAR`` in it is left for the shell to expand."""
    if "$" in word and _EXPANDABLE.fullmatch(word):
        return f'"{word}"'
    return shlex.quote(word)


def docker_run_command(kwargs: Mapping[str, Any]) -> str:
    """The shell command equivalent to ``kwargs``, one option a line."""
    if "image" not in kwargs:
        raise Untranslatable("the keyword arguments name no image")
    lines = ["docker run"] + [" ".join(map(shell_word, option)) for option in docker_run_options(kwargs)]
    return " \\\n  ".join(lines + [shell_word(kwargs["image"])])
