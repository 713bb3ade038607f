"""Defaults from a TOML file, so a wave run is one short command.

Looked for in --config FILE, else ./cmassoc.toml, else the user's config folder
(%APPDATA%\\cmassoc\\cmassoc.toml on Windows, ~/.config/cmassoc/cmassoc.toml elsewhere).
Keys are the long option names of `cmassoc run` with _ for -, e.g.:

    server = "sms01.contoso.com"
    site_code = "ABC"
    auth = "kerberos"
    batch_size = 200
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from importer import messages as M
from importer.environment import Environment
from importer.errors import InputError

KEYS: dict[str, type | tuple[type, ...]] = {
    "server": str,
    "via": str,
    "concurrency": int,
    "site_code": str,
    "auth": str,
    "http": bool,
    "username": str,
    "ca_bundle": str,
    "proxy": str,
    "batch_size": int,
    "behavior": (str, int),
    "operation_timeout": int,
    "read_timeout": int,
    "shell_idle_timeout": int,
    "insecure_skip_tls_verify": bool,
    "demo": str,
    "retries": int,
    "retry_wait": (int, float),
    "journal": str,
    "max_file_size": int,
    "max_unpacked_size": int,
    "max_zip_ratio": int,
}
LIMIT_KEYS = {"max_file_size", "max_unpacked_size", "max_zip_ratio"}
WAVE_KEYS = {"behavior"} | LIMIT_KEYS  # what `cmassoc validate` takes too
RUN_ONLY_KEYS = WAVE_KEYS  # not options of `cmassoc undo`
NOT_SITE_KEYS = {"journal"} | WAVE_KEYS  # all the others describe the site: `cmassoc doctor` takes them


def default_paths(env: Environment) -> list[Path]:
    return [Path("cmassoc.toml"), env.config_dir() / "cmassoc.toml"]


def load_config(explicit: Path | None, env: Environment) -> tuple[dict[str, Any], Path | None]:
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(f"--config {explicit}: no such file.", code=M.CONFIG_MISSING)
        path: Path | None = explicit
    else:
        path = next((p for p in default_paths(env) if p.is_file()), None)
    if path is None:
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"config file {path}: {exc}.", code=M.CONFIG_UNREADABLE) from exc
    data = dict(data.get("cmassoc", data))
    if any("password" in key.lower() for key in data):
        raise InputError(
            f"config file {path}: passwords do not belong in a file.",
            "Use CMASSOC_PASSWORD, the keyring or the prompt.",
            code=M.CONFIG_HOLDS_PASSWORD,
        )
    for key, value in data.items():
        kind = KEYS.get(key)
        if kind is None:
            raise InputError(
                f"config file {path}: unknown key '{key}'.",
                f"Known keys: {', '.join(sorted(KEYS))}.",
                code=M.CONFIG_UNKNOWN_KEY,
            )
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InputError(
                f"config file {path}: '{key}' has the wrong type ({type(value).__name__}).",
                code=M.CONFIG_WRONG_TYPE,
            )
    return data, path


def default_map(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per command, the option defaults the file sets (click's default_map)."""
    renamed = {"journal": "journal_path"}
    run = {renamed.get(key, key): str(v) if key == "behavior" else v for key, v in data.items()}
    undo = {key: value for key, value in run.items() if key not in RUN_ONLY_KEYS}
    validate = {key: str(v) if key == "behavior" else v for key, v in data.items() if key in WAVE_KEYS}
    doctor = {key: v for key, v in data.items() if key not in NOT_SITE_KEYS}
    return {"run": run, "undo": undo, "validate": validate, "doctor": doctor, "serve": dict(doctor)}
