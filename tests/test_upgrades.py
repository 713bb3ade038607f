"""What users made with release 0.1.0 keeps working: journals, demo sites, web accounts.

The files in tests/fixtures/release-0.1.0 were written by that release's own code, before
schema versions existed (see the folder's README). Each test works on a copy.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from importer import db
from importer import messages as M
from importer.errors import InputError
from importer.journal.storage import JOURNAL_STEPS, Journal
from importer.site.demo.provider import DemoSite
from importer.site.demo.schema import SITE_STEPS
from importer.web.auth import check_password
from importer.web.store import STORE_STEPS, Store

OLD = Path(__file__).resolve().parent / "fixtures" / "release-0.1.0"
RUN_ID = "20261207-054048-b541"
CREATED = 6  # what that run created on its demo site


def _copy(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        target = tmp_path / name
        shutil.copyfile(OLD / name, target)
        out.append(target)
    return out


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _cmassoc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "importer", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_fixtures_are_from_before_schema_versions() -> None:
    for name in ("cmassoc-journal.db", "demo-site.db", "web.db"):
        assert _version(OLD / name) == 0


def test_an_old_journal_opens_upgraded_with_its_run_and_rows(tmp_path: Path) -> None:
    [path] = _copy(tmp_path, "cmassoc-journal.db")
    journal = Journal(path, create=False)
    try:
        [record] = journal.runs()
        rows = journal.rows(RUN_ID)
    finally:
        journal.close()
    assert record.run_id == RUN_ID
    assert record.state.value == "finished"
    assert len(rows) == 12
    assert sum(r.state.value == "created" for r in rows) == CREATED
    assert rows[0].values["Old Computer"] == "CON-PC0001"
    assert _version(path) == len(JOURNAL_STEPS)


def test_an_old_demo_site_opens_upgraded(tmp_path: Path) -> None:
    [path] = _copy(tmp_path, "demo-site.db")
    site = DemoSite(path)
    try:
        snapshot = site.snapshot()
    finally:
        site.close()
    assert _version(path) == len(SITE_STEPS)
    assert len(snapshot["associations"]) == 10  # type: ignore[arg-type]


def test_an_old_web_account_still_logs_in(tmp_path: Path) -> None:
    [path] = _copy(tmp_path, "web.db")
    store = Store(tmp_path)
    try:
        found = store.user("ann")
    finally:
        store.close()
    assert found is not None
    name, role, hashed = found
    assert (name, role.value) == ("ann", "operator")
    assert check_password(hashed, "fixture-password-0001")
    assert not check_password(hashed, "fixture-password-0002")
    assert _version(path) == len(STORE_STEPS)


def test_an_old_run_can_be_undone(tmp_path: Path) -> None:
    journal, site = _copy(tmp_path, "cmassoc-journal.db", "demo-site.db")
    done = _cmassoc(
        "undo", RUN_ID, "--journal", str(journal), "--demo", str(site), "--json", "undo.json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads((tmp_path / "undo.json").read_text(encoding="utf-8"))["rows"]
    assert sum(r["status"] == "deleted" for r in rows) == CREATED
    reopened = DemoSite(site)
    try:
        assert len(reopened.snapshot()["associations"]) == 10 - CREATED  # type: ignore[arg-type]
    finally:
        reopened.close()


def test_an_old_run_stopped_halfway_is_resumed(tmp_path: Path) -> None:
    journal, site, sheet = _copy(tmp_path, "cmassoc-journal.db", "demo-site.db", "wave-01.xlsx")
    with sqlite3.connect(journal) as conn:  # as 0.1.0 left a run that was interrupted
        conn.execute("UPDATE runs SET state = 'interrupted'")
    done = _cmassoc(
        "run", str(sheet), "--journal", str(journal), "--demo", str(site), "--resume", RUN_ID, cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr  # the sample's own mistakes
    assert f"continuing run {RUN_ID} (interrupted" in done.stderr
    reopened = Journal(journal, create=False)
    try:
        assert [r.run_id for r in reopened.runs()] == [RUN_ID]
    finally:
        reopened.close()


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    [path] = _copy(tmp_path, "cmassoc-journal.db")
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(JOURNAL_STEPS) + 1}")
    with pytest.raises(InputError) as refused:
        Journal(path, create=False)
    assert refused.value.code is M.WRITTEN_BY_NEWER


def test_steps_run_once_each_in_order(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.db")
    try:
        steps: list[db.Step] = ["CREATE TABLE t (a INTEGER)", "ALTER TABLE t ADD COLUMN b TEXT"]
        assert db.upgrade(conn, steps) == 2
        assert db.upgrade(conn, steps) == 2  # nothing left to do
        assert db.columns(conn, "t") == {"a", "b"}

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t VALUES (1, 'x')")

        steps.append(insert)
        assert db.upgrade(conn, steps) == 3
        assert conn.execute("SELECT a, b FROM t").fetchall() == [(1, "x")]
    finally:
        conn.close()


def test_a_failing_step_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.db")
    try:
        db.upgrade(conn, ["CREATE TABLE t (a INTEGER)"])
        with pytest.raises(sqlite3.OperationalError):
            db.upgrade(
                conn, ["CREATE TABLE t (a INTEGER)", "ALTER TABLE t ADD COLUMN b TEXT; SELECT nonsense"]
            )
        assert db.version(conn) == 1
        assert db.columns(conn, "t") == {"a"}
    finally:
        conn.close()
