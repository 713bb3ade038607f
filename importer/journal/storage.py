"""The run journal: what each run planned and did, written before and after every provider call.

A row is `sending` from just before its batch leaves until its outcome is written, so a
run that dies in between leaves rows whose outcome is recognisably unknown. Resume and
undo read it; nothing else does. One SQLite file holds many runs.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from importer import db
from importer import messages as M
from importer.errors import InputError
from importer.journal.records import (
    NEVER_ON_SITE,
    SITE_CHANGED,
    RowRecord,
    RowState,
    RunKind,
    RunRecord,
    RunState,
    new_run_id,
    timestamp,
)
from importer.model import Level, RowResult, WaveInput

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,            -- 'run' or 'undo'
    undoes TEXT,                   -- for an undo: the run it undoes
    input_path TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    site TEXT NOT NULL,            -- site code
    provider TEXT NOT NULL,        -- kind: location
    options TEXT NOT NULL,
    state TEXT NOT NULL,           -- running, finished, interrupted, stopped
    started TEXT NOT NULL,
    updated TEXT NOT NULL,
    report TEXT
);
CREATE TABLE IF NOT EXISTS rows (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,          -- position in the validated input, stable for one input
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    source TEXT,
    destination TEXT,
    source_id INTEGER,
    restore_id INTEGER,
    behavior INTEGER,
    users TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL,           -- planned, sending, created, deleting, deleted, or a final status
    detail TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    hardware TEXT,                 -- the destination: to import, imported by this run, ...
    imported_id INTEGER,           -- the ResourceID this run's import gave it
    joined TEXT NOT NULL DEFAULT '[]', -- CollectionIDs this run added a direct rule to
    previous_behavior INTEGER,     -- --update: the version this run replaced (undo puts it back)
    previous_users TEXT,
    row_values TEXT,               -- the row's cells as the user typed them (undo's report shows them)
    PRIMARY KEY (run_id, seq)
);
"""


_TABLES = {"runs", "rows"}
SQLITE_MAGIC = b"SQLite format 3\x00"


class Journal:
    """One SQLite file of runs. `create=False` (undo) opens only an existing journal; nothing
    is ever added to a file that is not one (a demo site, another program's database)."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        exists = path.exists()
        if not create and not exists:
            raise InputError(
                f"the run journal '{path}' does not exist.",
                "Give the right one with --journal.",
                code=M.JOURNAL_MISSING,
            )
        if exists:
            _check_is_journal(path, require_tables=not create)
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = db.connect(path)
            db.upgrade(self._db, JOURNAL_STEPS)
        except db.NewerSchema as exc:
            raise InputError(
                f"the run journal '{path}' was written by a newer cmassoc ({exc}).",
                "Upgrade cmassoc.",
                code=M.WRITTEN_BY_NEWER,
            ) from exc
        except (OSError, sqlite3.Error) as exc:
            raise InputError(
                f"cannot open the run journal '{path}': {exc}.",
                "Choose another with --journal.",
                code=M.JOURNAL_UNOPENABLE,
            ) from exc

    def close(self) -> None:
        self._db.close()

    # -- runs ----------------------------------------------------------------------

    def start_run(
        self,
        kind: RunKind,
        input_path: str,
        sha256: str,
        site: str,
        provider: str,
        options: dict[str, object],
        undoes: str | None = None,
    ) -> str:
        run_id = new_run_id(
            lambda r: bool(self._db.execute("SELECT 1 FROM runs WHERE run_id = ?", (r,)).fetchone())
        )
        self._db.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                run_id,
                kind.value,
                undoes,
                input_path,
                sha256,
                site,
                provider,
                json.dumps(options),
                RunState.RUNNING.value,
                timestamp(),
                timestamp(),
            ),
        )
        return run_id

    def reopen(self, run_id: str) -> None:
        self._db.execute(
            "UPDATE runs SET state = ?, updated = ? WHERE run_id = ?",
            (RunState.RUNNING.value, timestamp(), run_id),
        )

    def finish(self, run_id: str, state: RunState, report: str | None) -> None:
        self._db.execute(
            "UPDATE runs SET state = ?, updated = ?, report = COALESCE(?, report) WHERE run_id = ?",
            (state.value, timestamp(), report, run_id),
        )

    def run(self, run_id: str) -> RunRecord:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(f"run {run_id} is not in the journal '{self.path}'.", code=M.RUN_NOT_IN_JOURNAL)
        return _run(row)

    def unfinished(self, sha256: str, site: str, provider: str) -> RunRecord | None:
        row = self._db.execute(
            "SELECT * FROM runs WHERE kind = ? AND input_sha256 = ? AND site = ? AND provider = ? "
            "AND state != ? ORDER BY started DESC LIMIT 1",
            (RunKind.RUN.value, sha256, site, provider, RunState.FINISHED.value),
        ).fetchone()
        return _run(row) if row is not None else None

    def runs(self) -> list[RunRecord]:
        return [_run(r) for r in self._db.execute("SELECT * FROM runs ORDER BY started")]

    # -- rows ----------------------------------------------------------------------

    def record_rows(
        self, run_id: str, rows: Sequence[RowResult], values: Iterable[dict[str, str]] | None = None
    ) -> None:
        """The plan: every row once (a resumed run keeps what it knew)."""
        now = timestamp()
        kept = ", ".join(f"'{state.value}'" for state in SITE_CHANGED)
        with self._transaction():
            self._db.executemany(
                "INSERT INTO rows (run_id, seq, sheet, row, source, destination, source_id, restore_id, "
                "behavior, users, state, detail, updated, hardware, row_values) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, seq) DO UPDATE SET source_id = excluded.source_id, "
                "restore_id = COALESCE(rows.imported_id, excluded.restore_id), "
                f"state = CASE WHEN rows.state IN ({kept}) "
                "THEN rows.state ELSE excluded.state END, "
                f"detail = CASE WHEN rows.state IN ({kept}) THEN rows.detail ELSE excluded.detail END, "
                "updated = excluded.updated, "
                "hardware = COALESCE(rows.hardware, excluded.hardware)",
                (  # a generator: a million rows are never held as tuples at once
                    (
                        run_id,
                        seq,
                        r.sheet,
                        r.row,
                        r.source,
                        r.destination,
                        r.source_resource_id,
                        r.restore_resource_id,
                        int(r.behavior) if r.behavior is not None else None,
                        json.dumps(r.users),
                        _state_of(r).value,
                        _why(r),
                        now,
                        r.hardware.value if r.hardware is not None else None,
                        json.dumps(cells, ensure_ascii=False),
                    )
                    for seq, r, cells in zip(
                        range(len(rows)),
                        rows,
                        values if values is not None else (r.values for r in rows),
                        strict=False,  # `values` is a generator: as long as `rows`
                    )
                ),
            )

    def mark(self, run_id: str, seqs: Iterable[int], state: RowState, detail: str = "") -> None:
        now = timestamp()
        with self._transaction():
            self._db.executemany(
                "UPDATE rows SET state = ?, detail = ?, updated = ? WHERE run_id = ? AND seq = ?",
                [(state.value, detail, now, run_id, seq) for seq in seqs],
            )

    def mark_steps(self, run_id: str, rows: Iterable[tuple[int, int | None, str | None, list[str]]]) -> None:
        """Per row (seq, imported ResourceID, hardware, collections joined): what else this run did."""
        now = timestamp()
        with self._transaction():
            self._db.executemany(
                "UPDATE rows SET imported_id = COALESCE(?, imported_id), "
                "restore_id = COALESCE(?, restore_id), hardware = COALESCE(?, hardware), joined = ?, "
                "updated = ? WHERE run_id = ? AND seq = ?",
                [(rid, rid, hw, json.dumps(joined), now, run_id, seq) for seq, rid, hw, joined in rows],
            )

    def rows(self, run_id: str) -> list[RowRecord]:
        cursor = self._db.execute(
            "SELECT seq, sheet, row, source, destination, source_id, restore_id, behavior, users, state, "
            "detail, hardware, imported_id, joined, previous_behavior, previous_users, row_values FROM rows "
            "WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        cursor.row_factory = sqlite3.Row
        return [self._record(r) for r in cursor]

    def _record(self, r: sqlite3.Row) -> RowRecord:
        previous = r["previous_behavior"]
        return RowRecord(
            r["seq"],
            r["sheet"],
            r["row"],
            r["source"],
            r["destination"],
            r["source_id"],
            r["restore_id"],
            r["behavior"],
            json.loads(r["users"]),
            self._state(r["state"]),
            r["detail"],
            r["hardware"],
            r["imported_id"],
            tuple(json.loads(r["joined"] or "[]")),
            (int(previous), tuple(json.loads(r["previous_users"] or "[]"))) if previous is not None else None,
            json.loads(r["row_values"]) if r["row_values"] else {},
        )

    def mark_replacing(self, run_id: str, rows: Iterable[tuple[int, int, Sequence[str]]]) -> None:
        """Before an --update deletes the old version: that version, so undo can put it back."""
        now = timestamp()
        with self._transaction():
            self._db.executemany(
                "UPDATE rows SET state = ?, previous_behavior = COALESCE(previous_behavior, ?), "
                "previous_users = COALESCE(previous_users, ?), updated = ? WHERE run_id = ? AND seq = ?",
                [
                    (RowState.REPLACING.value, beh, json.dumps(list(users)), now, run_id, seq)
                    for seq, beh, users in rows
                ],
            )

    def _state(self, text: str) -> RowState:
        try:
            return RowState(text)
        except ValueError:
            raise InputError(
                f"the journal '{self.path}' holds a row state it does not know: {text!r}.",
                code=M.JOURNAL_UNKNOWN_VALUE,
            ) from None

    # -- resume --------------------------------------------------------------------

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return db.transaction(self._db)


def _state_of(row: RowResult) -> RowState:
    if row.status is None:
        return RowState.PLANNED
    try:
        return RowState(row.status.value)
    except ValueError:
        return RowState.PLANNED


def _why(row: RowResult) -> str:
    """Why a row did not go to the site (its first error), for the readings of the run later."""
    if row.status is None or row.status.value not in NEVER_ON_SITE:
        return ""
    return next((m.render() for m in row.messages if m.level is Level.ERROR), "")[:1000]


def _run(row: tuple[object, ...]) -> RunRecord:
    (run_id, kind, undoes, path, sha, site, provider, options, state, started, _updated, report) = row
    try:
        run_kind, run_state = RunKind(str(kind)), RunState(str(state))
    except ValueError:
        raise InputError(
            f"run {run_id} has a kind or state this version does not know.", code=M.JOURNAL_UNKNOWN_VALUE
        ) from None
    return RunRecord(
        str(run_id),
        run_kind,
        str(undoes) if undoes else None,
        str(path),
        str(sha),
        str(site),
        str(provider),
        json.loads(str(options)),
        run_state,
        str(started),
        str(report) if report else None,
    )


def _first_schema(conn: sqlite3.Connection) -> None:
    """Step 1: the schema of release 0.1.0. A journal from before schema versions already has
    its tables, and those written before new hardware was imported lack some columns."""
    for statement in filter(str.strip, _SCHEMA.split(";")):
        conn.execute(statement)
    columns = db.columns(conn, "rows")
    for name, kind in (
        ("hardware", "TEXT"),
        ("imported_id", "INTEGER"),
        ("joined", "TEXT NOT NULL DEFAULT '[]'"),
        ("previous_behavior", "INTEGER"),
        ("previous_users", "TEXT"),
        ("row_values", "TEXT"),
    ):
        if name not in columns:
            conn.execute(f"ALTER TABLE rows ADD COLUMN {name} {kind}")


JOURNAL_STEPS: tuple[db.Step, ...] = (_first_schema,)  # add a step for each change: never edit one


def _check_is_journal(path: Path, require_tables: bool) -> None:
    """An existing file is a journal only if it is SQLite and holds only a journal's tables."""
    problem = None
    try:
        if not path.is_file():
            problem = "it is not a file"
        else:
            with path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
            if head and head != SQLITE_MAGIC:
                problem = "it is not an SQLite database"
            elif head:
                uri = f"{path.resolve().as_uri()}?mode=ro"
                with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
                    found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                    tables = {r[0] for r in found}
                if tables - _TABLES:
                    problem = f"it holds other tables ({', '.join(sorted(tables - _TABLES)[:5])})"
                elif require_tables and tables != _TABLES:
                    problem = "it holds no runs"
            elif require_tables:
                problem = "it is empty"
    except (OSError, sqlite3.Error) as exc:
        problem = str(exc)
    if problem is not None:
        raise InputError(
            f"'{path}' is not a cmassoc run journal: {problem}.",
            "Give the journal of the run with --journal (a demo site or another database never is one).",
            code=M.NOT_A_JOURNAL,
        )


def journaled_wave(record: RunRecord, rows: Sequence[RowRecord]) -> WaveInput:
    """The wave of a journaled run, as far as the journal keeps it: its file, hash and columns."""
    columns = list(dict.fromkeys(name for r in rows for name in r.values))
    return WaveInput(record.input_path, record.input_sha256, None, [], columns)


def default_journal_path(sheet: Path) -> Path:
    return sheet.resolve().parent / "cmassoc-journal.db"
