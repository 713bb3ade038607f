"""What `cmassoc serve` keeps in its data folder: accounts, sessions, waves, their history.

One SQLite file (web.db) beside the uploads and reports; back up the folder to keep it all.
Uploaded files and reports are stored under random names and found only through this store,
so no path a browser sends ever reaches the file system.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from importer import InputError, db


class Role(StrEnum):
    VIEWER = "viewer"  # sees waves and downloads reports
    PLANNER = "planner"  # also uploads, validates and dry-runs
    OPERATOR = "operator"  # also runs and undoes

    def may(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.PLANNER: 1, Role.OPERATOR: 2}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY COLLATE NOCASE, role TEXT NOT NULL,
    hash TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, user TEXT NOT NULL, role TEXT NOT NULL,
    csrf TEXT NOT NULL, expires TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS waves (id TEXT PRIMARY KEY, name TEXT NOT NULL, stored TEXT NOT NULL,
    users_name TEXT, users_stored TEXT, behavior INTEGER NOT NULL, options TEXT NOT NULL,
    uploaded_by TEXT NOT NULL, uploaded TEXT NOT NULL, rows INTEGER NOT NULL DEFAULT 0,
    last TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS actions (id TEXT PRIMARY KEY, wave TEXT NOT NULL, kind TEXT NOT NULL,
    user TEXT NOT NULL, at TEXT NOT NULL, state TEXT NOT NULL, run_id TEXT, summary TEXT NOT NULL DEFAULT '',
    xlsx TEXT, json TEXT, planned INTEGER);
"""


STORE_STEPS: tuple[db.Step, ...] = (_SCHEMA,)  # step 1: release 0.1.0; add a step for each change


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def new_id() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Wave:
    id: str
    name: str
    stored: str
    users_name: str | None
    users_stored: str | None
    behavior: int
    options: str
    uploaded_by: str
    uploaded: str
    rows: int
    last: str


@dataclass(frozen=True)
class Action:
    id: str
    wave: str
    kind: str  # upload, validate, dry run, run, undo, undo preview, status
    user: str
    at: str
    state: str  # waiting, running, done, failed
    run_id: str | None
    summary: str
    xlsx: str | None
    json: str | None
    planned: int | None  # a dry run: how many associations a run would create


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        for sub in ("uploads", "reports"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self._db = db.connect(folder / "web.db")
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()  # the server's threads share the connection
        try:
            db.upgrade(self._db, STORE_STEPS)
        except db.NewerSchema as exc:
            raise InputError(f"'{folder / 'web.db'}' was written by a newer cmassoc ({exc}).") from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, db.transaction(self._db) as conn:
            yield conn

    def _all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, args))

    # -- accounts ------------------------------------------------------------------

    def add_user(self, name: str, role: Role, hashed: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO users (name, role, hash, created) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET role = excluded.role, hash = excluded.hash",
                (name, role.value, hashed, now()),
            )

    def user(self, name: str) -> tuple[str, Role, str] | None:
        rows = self._all("SELECT name, role, hash FROM users WHERE name = ?", name)
        return (rows[0]["name"], Role(rows[0]["role"]), rows[0]["hash"]) if rows else None

    def has_users(self) -> bool:
        return bool(self._all("SELECT 1 FROM users LIMIT 1"))

    # -- sessions and failed logons ------------------------------------------------

    def new_session(self, user: str, role: Role, hours: int = 12) -> tuple[str, str]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = (dt.datetime.now().astimezone() + dt.timedelta(hours=hours)).isoformat(timespec="seconds")
        with self._tx() as conn:
            conn.execute("DELETE FROM sessions WHERE expires < ?", (now(),))
            conn.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (token, user, role.value, csrf, expires)
            )
        return token, csrf

    def session(self, token: str) -> tuple[str, Role, str] | None:
        rows = self._all("SELECT user, role, csrf, expires FROM sessions WHERE token = ?", token)
        if not rows or rows[0]["expires"] < now():
            return None
        return rows[0]["user"], Role(rows[0]["role"]), rows[0]["csrf"]

    def end_session(self, token: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM sessions WHERE token = ?", (token,))

    def failures(self, key: str, minutes: int) -> int:
        since = (dt.datetime.now().astimezone() - dt.timedelta(minutes=minutes)).isoformat(timespec="seconds")
        with self._tx() as conn:
            conn.execute("DELETE FROM failures WHERE at < ?", (since,))
        return len(self._all("SELECT 1 FROM failures WHERE key = ?", key))

    def failed(self, key: str) -> None:
        with self._tx() as conn:
            conn.execute("INSERT INTO failures VALUES (?, ?)", (key, now()))

    # -- waves and what was done to them -------------------------------------------

    def add_wave(self, wave: Wave) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO waves VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    wave.id,
                    wave.name,
                    wave.stored,
                    wave.users_name,
                    wave.users_stored,
                    wave.behavior,
                    wave.options,
                    wave.uploaded_by,
                    wave.uploaded,
                    wave.rows,
                    wave.last,
                ),
            )

    def wave(self, wave_id: str) -> Wave | None:
        rows = self._all("SELECT * FROM waves WHERE id = ?", wave_id)
        return Wave(**dict(rows[0])) if rows else None

    def waves(self) -> list[Wave]:
        return [Wave(**dict(r)) for r in self._all("SELECT * FROM waves ORDER BY uploaded DESC")]

    def set_wave(
        self, wave_id: str, rows: int | None = None, last: str | None = None, options: str | None = None
    ) -> None:
        with self._tx() as conn:
            if options is not None:
                conn.execute("UPDATE waves SET options = ? WHERE id = ?", (options, wave_id))
            if rows is not None:
                conn.execute("UPDATE waves SET rows = ? WHERE id = ?", (rows, wave_id))
            if last is not None:
                conn.execute("UPDATE waves SET last = ? WHERE id = ?", (last, wave_id))

    def add_action(self, wave: str, kind: str, user: str, state: str = "waiting") -> Action:
        action = Action(new_id(), wave, kind, user, now(), state, None, "", None, None, None)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO actions (id, wave, kind, user, at, state) VALUES (?, ?, ?, ?, ?, ?)",
                (action.id, wave, kind, user, action.at, state),
            )
        return action

    def update_action(self, action_id: str, **fields: Any) -> None:
        allowed = {"state", "run_id", "summary", "xlsx", "json", "planned"}
        assert set(fields) <= allowed
        with self._tx() as conn:
            for key, value in fields.items():
                conn.execute(f"UPDATE actions SET {key} = ? WHERE id = ?", (value, action_id))

    def action(self, action_id: str) -> Action | None:
        rows = self._all("SELECT * FROM actions WHERE id = ?", action_id)
        return Action(**dict(rows[0])) if rows else None

    def actions(self, wave_id: str) -> list[Action]:
        return [
            Action(**dict(r))
            for r in self._all("SELECT * FROM actions WHERE wave = ? ORDER BY at DESC, rowid DESC", wave_id)
        ]

    def path(self, kind: str, stored: str) -> Path:
        """A stored file's path; `stored` is a name this store made (checked, never trusted)."""
        if (
            kind not in ("uploads", "reports")
            or not stored.replace(".", "").isalnum()
            or stored.count(".") != 1
        ):
            raise ValueError(f"not a stored name: {stored!r}")
        return self.folder / kind / stored
