"""Defaults from a TOML file, so a wave run is one short command.

Looked for in --config FILE, else ./cmassoc.toml, else the user's config folder
(%APPDATA%\\cmassoc\\cmassoc.toml on Windows, ~/.config/cmassoc/cmassoc.toml elsewhere).
Keys are the long option names of `cmassoc run` with _ for -, e.g.:

    server = "sms01.contoso.com"
    site_code = "ABC"
    auth = "kerberos"
    batch_size = 200
    paper = "letter"
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from importer import messages
from importer.environment import Environment
from importer.errors import InputError
from importer.report.pages import PAPERS

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
    "paper": str,
    "inactive_days": int,
    "skip_collections": list,  # of names or IDs: never copied by --copy-collections
}
LIMIT_KEYS = {"max_file_size", "max_unpacked_size", "max_zip_ratio"}
REPORT_KEYS = {"paper"}  # every command that writes a report or a sheet takes these
REFRESH_KEYS = {"inactive_days", "skip_collections"}  # run's; doctor --wave takes inactive_days
WAVE_KEYS = {"behavior"} | LIMIT_KEYS  # what `cmassoc validate` takes too
RUN_ONLY_KEYS = WAVE_KEYS | REFRESH_KEYS  # not options of `cmassoc undo`
# The others describe the site (or readiness's threshold): `cmassoc doctor` takes them.
NOT_SITE_KEYS = {"journal", "skip_collections"} | WAVE_KEYS | REPORT_KEYS


def default_paths(env: Environment) -> list[Path]:
    return [Path("cmassoc.toml"), env.config_dir() / "cmassoc.toml"]


def load_config(explicit: Path | None, env: Environment) -> tuple[dict[str, Any], Path | None]:
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(f"--config {explicit}: no such file.")
        path: Path | None = explicit
    else:
        path = next((p for p in default_paths(env) if p.is_file()), None)
    if path is None:
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"config file {path}: {exc}.") from exc
    data = dict(data.get("cmassoc", data))
    if any("password" in key.lower() for key in data):
        raise InputError(
            f"config file {path}: passwords do not belong in a file.",
            "Use CMASSOC_PASSWORD, the keyring or the prompt.",
        )
    for key, value in data.items():
        kind = KEYS.get(key)
        if kind is None:
            raise InputError(
                f"config file {path}: unknown key '{key}'.", f"Known keys: {', '.join(sorted(KEYS))}."
            )
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InputError(f"config file {path}: '{key}' has the wrong type ({type(value).__name__}).")
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise InputError(
                f"config file {path}: '{key}' must be a list of strings.", code=messages.COPY_SKIP_LIST
            )
    paper = data.get("paper")
    if paper is not None:
        if paper.lower() not in PAPERS:
            raise InputError(
                f"config file {path}: paper = {paper[:20]!r} is not a paper the reports know.",
                'Write paper = "a4" or paper = "letter".',
                code=messages.PAPER_UNKNOWN,
            )
        data["paper"] = paper.lower()
    return data, path


def default_map(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per command, the option defaults the file sets (click's default_map)."""
    renamed = {"journal": "journal_path"}
    run = {renamed.get(key, key): str(v) if key == "behavior" else v for key, v in data.items()}
    undo = {key: value for key, value in run.items() if key not in RUN_ONLY_KEYS}
    wave_keys = WAVE_KEYS | REPORT_KEYS
    validate = {key: str(v) if key == "behavior" else v for key, v in data.items() if key in wave_keys}
    doctor = {key: v for key, v in data.items() if key not in NOT_SITE_KEYS}
    reports = {key: v for key, v in data.items() if key in REPORT_KEYS}
    return {
        "run": run,
        "undo": undo,
        "validate": validate,
        "doctor": doctor,
        "serve": dict(doctor),
        "status": reports,
        "export": dict(reports),
    }
