"""Everything the tool takes from its surroundings, read once (after httpie's Environment).

Commands receive an `Environment` instead of reading `os.environ` or the standard streams
themselves, so tests can hand them another one and no module reads variables on its own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from importer import messages as M
from importer.errors import InputError

JOURNAL = "CMASSOC_JOURNAL"
USERNAME = "CMASSOC_USERNAME"
PASSWORD = "CMASSOC_PASSWORD"  # never logged, never shown
DEMO_LATENCY = "CMASSOC_DEMO_LATENCY"
APPDATA = "APPDATA"  # where Windows keeps per-user settings
XDG_CONFIG_HOME = "XDG_CONFIG_HOME"
LOCALAPPDATA = "LOCALAPPDATA"  # where Windows keeps per-user data
TOKEN = "CMASSOC_TOKEN"  # an Entra ID bearer token for the AdminService through a CMG; never shown
CMG_CLIENT_ID = "CMASSOC_CMG_CLIENT_ID"  # device-code sign-in: the app registration,
CMG_TENANT = "CMASSOC_CMG_TENANT"  # its tenant,
CMG_SCOPE = "CMASSOC_CMG_SCOPE"  # and the AdminService's scope
XDG_DATA_HOME = "XDG_DATA_HOME"
KEYS_PASSWORD = "CMASSOC_KEYS_PASSWORD"  # encrypts recovery keys (`keys`, undo's escrow); never shown
VARIABLES = (
    JOURNAL,
    USERNAME,
    PASSWORD,
    DEMO_LATENCY,
    APPDATA,
    XDG_CONFIG_HOME,
    LOCALAPPDATA,
    XDG_DATA_HOME,
    TOKEN,
    CMG_CLIENT_ID,
    CMG_TENANT,
    CMG_SCOPE,
    KEYS_PASSWORD,
)


@dataclass(frozen=True)
class Environment:
    variables: Mapping[str, str] = field(default_factory=dict, repr=False)
    stdin: TextIO = field(default_factory=lambda: sys.stdin, repr=False)
    stdout: TextIO = field(default_factory=lambda: sys.stdout, repr=False)
    stderr: TextIO = field(default_factory=lambda: sys.stderr, repr=False)

    @classmethod
    def from_os(cls) -> Environment:
        return cls({name: os.environ[name] for name in VARIABLES if os.environ.get(name)})

    def get(self, name: str) -> str | None:
        return self.variables.get(name) or None

    @property
    def journal(self) -> str | None:
        return self.get(JOURNAL)

    @property
    def username(self) -> str | None:
        return self.get(USERNAME)

    @property
    def password(self) -> str | None:
        return self.get(PASSWORD)

    @property
    def keys_password(self) -> str | None:
        return self.get(KEYS_PASSWORD)

    @property
    def demo_latency(self) -> float:
        """Seconds per simulated round trip on the demo site (to rehearse Ctrl-C and resume)."""
        text = self.get(DEMO_LATENCY)
        if text is None:
            return 0.0
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 60:
            raise InputError(
                f"{DEMO_LATENCY}={text!r}: give seconds between 0 and 60.", code=M.DEMO_LATENCY_INVALID
            )
        return value

    def config_dir(self) -> Path:
        """The user's folder for cmassoc.toml."""
        appdata = self.get(APPDATA)
        if sys.platform == "win32" and appdata:
            return Path(appdata) / "cmassoc"
        return Path(self.get(XDG_CONFIG_HOME) or Path.home() / ".config") / "cmassoc"

    def user_data_dir(self) -> Path:
        """The user's folder for what cmassoc keeps between commands: the index of runs, and
        `cmassoc serve`'s folder."""
        local = self.get(LOCALAPPDATA)
        if sys.platform == "win32" and local:
            return Path(local) / "cmassoc"
        return Path(self.get(XDG_DATA_HOME) or Path.home() / ".local" / "share") / "cmassoc"

    def data_dir(self) -> Path:
        """The user's folder for what `cmassoc serve` keeps (uploads, reports, accounts)."""
        return self.user_data_dir() / "serve"

    def run_index(self) -> Path:
        """The index of runs: where each run's journal and reports are, whatever folder it ran in."""
        return self.user_data_dir() / "runs.db"

    @property
    def stdin_isatty(self) -> bool:
        try:
            return self.stdin.isatty()
        except (AttributeError, ValueError):
            return False
