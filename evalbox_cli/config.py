"""Where the ``evalbox`` command finds the site and the token: options, environment, config file."""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path

from .errors import EXIT_USAGE, CliError


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
