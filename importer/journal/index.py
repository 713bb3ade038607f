"""The index of runs: where each run's journal and files are, so a Run ID is found from any folder.

One SQLite file in the user's data folder, beside `cmassoc serve`'s. Every job that journals
a run or writes a report of one records it here; `undo RUN_ID` and `status RUN_ID` look here
when the journal is not where they look first. It is a table per kind of fact, so a later
release adds a step (a table of status counts over time, say) without touching these:

- `runs`: per run its ID, input file, journal and site;
- `files`: what commands made for a run (its reports, status and undo reports, ...), by kind.

The index only points at files; the journal stays what undo and status read. Losing it costs
the lookup from another folder, nothing else: a job whose index cannot be written goes on.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from importer import db, messages
from importer.errors import InputError
from importer.journal.records import timestamp

_SCHEMA = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    input_path TEXT NOT NULL,      -- absolute
    journal TEXT NOT NULL,         -- absolute
    site TEXT NOT NULL DEFAULT '', -- site code
    recorded TEXT NOT NULL         -- when the index first heard of it
);
CREATE TABLE files (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    kind TEXT NOT NULL,            -- a FileKind, or what a later release adds
    path TEXT NOT NULL,            -- absolute
    made TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, path)
);
"""

# Issue 30: every `status` call's pairs per state, so a wave's progress can be drawn over time.
# `target` is the run's ID, or the wave sheet's absolute path for the status of a sheet.
_STATUS_COUNTS = """
CREATE TABLE status_counts (
    target TEXT NOT NULL,
    read_at TEXT NOT NULL,
    counts TEXT NOT NULL           -- JSON: state -> pairs
);
CREATE INDEX status_counts_target ON status_counts (target, read_at);
"""

INDEX_STEPS: tuple[db.Step, ...] = (_SCHEMA, _STATUS_COUNTS)  # add a step for each change: never edit one


class FileKind(StrEnum):
    """What a file made for a run is. `RunIndex.add_file` takes any text, so a new kind of file
    (a key escrow workbook, say) needs no schema step."""

    REPORT_XLSX = "report xlsx"
    REPORT_JSON = "report json"
    STATUS_XLSX = "status xlsx"
    STATUS_JSON = "status json"
    UNDO_XLSX = "undo xlsx"
    UNDO_JSON = "undo json"
    UNDO_PREVIEW_XLSX = "undo preview xlsx"  # undo --dry-run
    UNDO_PREVIEW_JSON = "undo preview json"
    CLEANUP_XLSX = "cleanup xlsx"
    CLEANUP_JSON = "cleanup json"
    CLEANUP_PREVIEW_XLSX = "cleanup preview xlsx"  # cleanup --dry-run
    CLEANUP_PREVIEW_JSON = "cleanup preview json"


class IndexUnavailable(Exception):
    """The index cannot be opened, read or written (a read-only data folder, a damaged file)."""


@dataclass(frozen=True)
class IndexedFile:
    kind: str
    path: Path
    made: str


@dataclass(frozen=True)
class IndexedRun:
    run_id: str
    input_path: Path
    journal: Path
    site: str
    recorded: str
    files: tuple[IndexedFile, ...] = ()

    def paths(self, kind: str) -> list[Path]:
        """The files of one kind, oldest first."""
        return [f.path for f in self.files if f.kind == kind]


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        raise IndexUnavailable(str(exc) or type(exc).__name__) from exc
    except db.NewerSchema as exc:
        raise IndexUnavailable(f"written by a newer cmassoc ({exc})") from exc


class RunIndex:
    """The index file, opened (and created, unless `create=False`) for one job's reads and writes."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        with _guarded():
            if not create and not path.is_file():
                raise FileNotFoundError(f"'{path}' does not exist")
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = db.connect(path)
            try:
                self._db.execute("PRAGMA foreign_keys = ON")
                db.upgrade(self._db, INDEX_STEPS)
            except BaseException:
                self._db.close()
                raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunIndex:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def record_run(self, run_id: str, input_path: Path | str, journal: Path, site: str = "") -> None:
        """A run and where its journal is now (a run seen again, resumed or read from a journal
        that moved, keeps its first `recorded` time). A relative input path (as an older journal
        may name it, relative to a folder nobody knows) never replaces an absolute one."""
        absolute = Path(input_path).is_absolute()
        with _guarded(), db.transaction(self._db):
            self._db.execute(
                "INSERT INTO runs (run_id, input_path, journal, site, recorded) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id) DO UPDATE SET "
                "input_path = CASE WHEN ? THEN excluded.input_path ELSE runs.input_path END, "
                "journal = excluded.journal, site = COALESCE(NULLIF(excluded.site, ''), runs.site)",
                (run_id, str(input_path), str(journal.resolve()), site, timestamp(), absolute),
            )

    def add_file(self, run_id: str, kind: str, path: Path) -> None:
        """A file a command made for a recorded run."""
        with _guarded(), db.transaction(self._db):
            if self._db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is None:
                raise KeyError(f"run {run_id} is not in the index of runs: record_run comes first")
            self._db.execute(
                "INSERT INTO files (run_id, kind, path, made) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (run_id, kind, path) DO UPDATE SET made = excluded.made",
                (run_id, kind, str(path.resolve()), timestamp()),
            )

    def record_counts(self, target: str, read_at: str, counts: dict[str, int]) -> None:
        """One status call's pairs per state for `target` (a Run ID or a sheet's path)."""
        with _guarded(), db.transaction(self._db):
            self._db.execute(
                "INSERT INTO status_counts (target, read_at, counts) VALUES (?, ?, ?)",
                (target, read_at, json.dumps(counts)),
            )

    def counts_history(self, target: str) -> list[tuple[str, dict[str, int]]]:
        """Every recorded status call of `target`, oldest first."""
        with _guarded():
            rows = self._db.execute(
                "SELECT read_at, counts FROM status_counts WHERE target = ? ORDER BY read_at, rowid",
                (target,),
            ).fetchall()
        return [(str(when), {str(k): int(v) for k, v in json.loads(text).items()}) for when, text in rows]

    def find(self, run_id: str) -> IndexedRun | None:
        with _guarded():
            row = self._db.execute(
                "SELECT run_id, input_path, journal, site, recorded FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                return None
            files = self._db.execute(
                "SELECT kind, path, made FROM files WHERE run_id = ? ORDER BY made, rowid", (run_id,)
            ).fetchall()
        return IndexedRun(
            str(row[0]),
            Path(row[1]),
            Path(row[2]),
            str(row[3]),
            str(row[4]),
            tuple(IndexedFile(str(k), Path(p), str(m)) for k, p, m in files),
        )


class Indexing:
    """One job's writes to the index: a failure costs the index entry, never the job, and is said
    once, in one line."""

    def __init__(self, path: Path | None, announce: Callable[[str], None]) -> None:
        self.path = path
        self.announce = announce
        self._failed = path is None  # a library caller without an index: nothing to say

    def run(self, run_id: str, input_path: Path | str, journal: Path, site: str) -> None:
        self._write(run_id, journal, lambda index: index.record_run(run_id, input_path, journal, site))

    def files(
        self, run_id: str, input_path: Path | str, journal: Path, site: str, made: Iterable[tuple[str, Path]]
    ) -> None:
        """The files a command made for a run (the run is recorded too: a run from before the
        index is indexed the first time a command reads it)."""
        made = list(made)

        def write(index: RunIndex) -> None:
            index.record_run(run_id, input_path, journal, site)
            for kind, path in made:
                index.add_file(run_id, kind, path)

        self._write(run_id, journal, write)

    def progress(
        self, target: str, read_at: str, counts: dict[str, int]
    ) -> list[tuple[str, dict[str, int]]] | None:
        """Record one status call's counts and give every call's so far (None: no index)."""
        if self._failed or self.path is None:
            return None
        try:
            with RunIndex(self.path) as index:
                index.record_counts(target, read_at, counts)
                return index.counts_history(target)
        except IndexUnavailable as exc:
            self._failed = True
            self.announce(
                messages.Notice(
                    messages.INDEX_NOT_WRITTEN,
                    f"cannot write the index of runs {self.path.absolute()} ({exc}): this reading's "
                    "counts are not kept for the wave's progress",
                )
            )
            return None

    def _write(self, run_id: str, journal: Path, write: Callable[[RunIndex], None]) -> None:
        if self._failed or self.path is None:
            return
        try:
            with RunIndex(self.path) as index:
                write(index)
        except IndexUnavailable as exc:
            self._failed = True
            self.announce(
                messages.Notice(
                    messages.INDEX_NOT_WRITTEN,
                    f"cannot write the index of runs {self.path.absolute()} ({exc}): run {run_id} is not "
                    f"indexed; from another folder, give its journal with --journal {journal.absolute()}",
                )
            )


@dataclass(frozen=True)
class Located:
    journal: Path
    from_index: bool  # found through the index of runs, not where the command looked first


def locate_run(run_id: str, first: Path, index_path: Path) -> Located:
    """Which journal holds a run: `first` (the journal given, or the current folder's) if it
    does, else the one the index of runs names. One clear line when neither does."""
    held = journal_holds(first, run_id)
    if held:
        return Located(first, False)
    entry, trouble = None, ""
    try:
        with RunIndex(index_path, create=False) as index:
            entry = index.find(run_id)
    except IndexUnavailable as exc:
        trouble = f" ({exc})" if index_path.exists() else ""
    if entry is not None:
        if not entry.journal.is_file():
            raise InputError(
                f"run {run_id}: its journal {entry.journal} (as the index of runs {index_path.absolute()} "
                "has it) is not there any more: moved or deleted.",
                "Give its journal with --journal.",
                code=messages.JOURNAL_MOVED,
            )
        return Located(entry.journal, True)
    if held is None:  # `first` is there but unreadable: opening it says precisely why
        return Located(first, False)
    raise InputError(
        f"run {run_id} is neither in the journal {first.absolute()} nor in the index of runs "
        f"{index_path.absolute()}{trouble}.",
        "Give its journal with --journal, or its report.",
        code=messages.RUN_NOT_FOUND,
    )


def journal_holds(path: Path, run_id: str) -> bool | None:
    """Whether the journal file holds the run (None: a file there that cannot be read as one).
    Read only: looking never changes or upgrades a journal."""
    if not path.is_file():
        return False
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            return conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None
    except (OSError, sqlite3.Error):
        return None


__all__ = [
    "INDEX_STEPS",
    "FileKind",
    "IndexUnavailable",
    "IndexedFile",
    "IndexedRun",
    "Indexing",
    "Located",
    "RunIndex",
    "journal_holds",
    "locate_run",
]
