"""SQLite done once: how a file is opened, how a write is made, how a schema grows.

The run journal, the demo site and the web store are SQLite files that users keep from one
release to the next. Each declares its schema as numbered steps; the file's
`PRAGMA user_version` says how many it has taken, and opening it takes the rest, each step
in its own transaction. A file from a newer release (more steps than this one knows) is
refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

Step = str | Callable[[sqlite3.Connection], None]  # SQL statements, or code for a step SQL cannot say


class NewerSchema(Exception):
    """The file was written by a newer release: its schema has steps this one does not know."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"schema version {found}, newer than this release's {known}")
        self.found, self.known = found, known


def connect(path: Path | str) -> sqlite3.Connection:
    """Autocommit (writes go through `transaction`); usable from the web server's threads."""
    return sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write: BEGIN IMMEDIATE takes the file's write lock at once, so two processes never
    both read then write; committed at the end, rolled back on any exception (Ctrl-C too).
    Threads that share a connection hold their own lock around it (the web store does)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def upgrade(db: sqlite3.Connection, steps: Sequence[Step]) -> int:
    """Take the steps the file has not taken yet; the version it has now."""
    found = version(db)
    if found > len(steps):
        raise NewerSchema(found, len(steps))
    for number in range(found, len(steps)):
        step = steps[number]
        with transaction(db):
            if isinstance(step, str):
                for statement in filter(str.strip, step.split(";")):
                    db.execute(statement)
            else:
                step(db)
            db.execute(f"PRAGMA user_version = {number + 1}")
    return len(steps)


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    """A table's columns (for the first step only: files from before schema versions)."""
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


__all__ = ["NewerSchema", "Step", "columns", "connect", "transaction", "upgrade", "version"]
