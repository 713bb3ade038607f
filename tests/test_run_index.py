"""A run is found by its ID from any folder: the index of runs in the user data folder (issue 26)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import Result

from importer.journal.index import INDEX_STEPS, FileKind, Indexing, RunIndex, locate_run
from importer.site.demo.provider import DemoSite
from importer.web.store import Store, Wave, new_id, now
from importer.web.worker import Worker
from tests.support.helpers import SAMPLES, invoke, pairs_sheet

OLD = Path(__file__).resolve().parent / "fixtures" / "release-0.1.0"
OLD_RUN = "20261207-054048-b541"
UNKNOWN = "20200101-000000-abcd"


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Where a run is made and another folder to look from; journals go next to the sheet."""
    monkeypatch.delenv("CMASSOC_JOURNAL")
    made, elsewhere = tmp_path / "made", tmp_path / "elsewhere"
    made.mkdir()
    elsewhere.mkdir()
    return made, elsewhere


def _index(user_data: Path) -> Path:
    return user_data / "cmassoc" / "runs.db"


def _run(folder: Path, site_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[str, Result]:
    monkeypatch.chdir(folder)
    wave = pairs_sheet(folder, 3)
    made = invoke("run", wave, "--demo", site_path, "--json", "run.json", *extra)
    assert made.exit_code == 0, made.output
    return json.loads((folder / "run.json").read_text(encoding="utf-8"))["summary"]["run_id"], made


def test_status_and_undo_find_a_run_by_its_id_from_another_folder(
    folders: tuple[Path, Path], site_path: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, elsewhere = folders
    run_id, _ = _run(made, site_path, monkeypatch)
    journal = made / "cmassoc-journal.db"
    found = f"cmassoc: CMA360 run {run_id}: reading the journal {journal} (found in the index of runs {_index(user_data)})"
    monkeypatch.chdir(elsewhere)
    status = invoke("status", run_id, "--demo", site_path)
    assert status.exit_code == 0, status.output
    assert found in status.stderr.splitlines()
    assert "Status of 3 rows: 3 not started" in status.stdout
    undone = invoke("undo", run_id, "--demo", site_path)
    assert undone.exit_code == 0, undone.output
    assert found in undone.stderr.splitlines()
    assert "Undone: 3 rows: 3 deleted" in undone.stdout
    with RunIndex(_index(user_data), create=False) as index:
        entry = index.find(run_id)
    assert entry is not None
    assert (entry.input_path, entry.journal, entry.site) == (made / "wave.csv", journal, "DEM")
    kinds = [f.kind for f in entry.files]
    assert kinds == [FileKind.REPORT_XLSX, FileKind.REPORT_JSON, FileKind.STATUS_XLSX, FileKind.UNDO_XLSX]
    assert entry.paths(FileKind.REPORT_JSON) == [made / "run.json"]
    assert all(f.path.is_absolute() and f.path.is_file() for f in entry.files)
    assert [p.parent for p in entry.paths(FileKind.UNDO_XLSX)] == [made]  # beside the journal, as before


def test_the_journal_where_the_command_looks_comes_first(
    folders: tuple[Path, Path], site_path: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, _ = folders
    run_id, _ = _run(made, site_path, monkeypatch)
    status = invoke("status", run_id, "--demo", site_path)  # from the run's own folder
    assert status.exit_code == 0, status.output
    assert (
        f"cmassoc: CMA360 run {run_id}: reading the journal {made / 'cmassoc-journal.db'}"
        in status.stderr.splitlines()
    )
    # The index would say the same; the journal at hand wins even when the index is gone.
    _index(user_data).unlink()
    again = invoke("status", run_id, "--demo", site_path)
    assert again.exit_code == 0, again.output


def test_an_unwritable_index_costs_the_index_not_the_run(
    folders: tuple[Path, Path], site_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A file where the data folder should be: refused whoever runs the tests (root writes
    # into a read-only folder, not into a file).
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    monkeypatch.setenv("LOCALAPPDATA", str(blocked))
    made, elsewhere = folders
    run_id, result = _run(made, site_path, monkeypatch)
    journal = made / "cmassoc-journal.db"
    notices = [line for line in result.stderr.splitlines() if "index of runs" in line]
    assert notices == [
        f"cmassoc: CMA361 cannot write the index of runs {blocked / 'cmassoc' / 'runs.db'} ([Errno 20] Not a "
        f"directory: '{blocked / 'cmassoc'}'): run {run_id} is not indexed; from another folder, give its "
        f"journal with --journal {journal}"
    ]
    assert "Imported 3 rows: 3 created" in result.stdout
    monkeypatch.chdir(elsewhere)
    assert invoke("status", run_id, "--demo", site_path).exit_code == 2
    status = invoke("status", run_id, "--demo", site_path, "--journal", journal)  # as the notice says
    assert status.exit_code == 0, status.output


def test_an_unknown_run_id_says_where_it_looked(
    folders: tuple[Path, Path], site_path: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, elsewhere = folders
    _run(made, site_path, monkeypatch)  # an index with another run in it
    monkeypatch.chdir(elsewhere)
    for command in ("status", "undo"):
        result = invoke(command, UNKNOWN, "--demo", site_path)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"cmassoc: error: CMA294 run {UNKNOWN} is neither in the journal {elsewhere / 'cmassoc-journal.db'} nor "
            f"in the index of runs {_index(user_data)}. Give its journal with --journal, or its report."
        ], command


def test_a_run_whose_journal_moved_says_so(
    folders: tuple[Path, Path], site_path: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made, elsewhere = folders
    run_id, _ = _run(made, site_path, monkeypatch)
    journal = made / "cmassoc-journal.db"
    moved = elsewhere / "kept" / "journal.db"
    moved.parent.mkdir()
    shutil.move(journal, moved)
    monkeypatch.chdir(elsewhere)
    for command in ("status", "undo"):
        result = invoke(command, run_id, "--demo", site_path)
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"cmassoc: error: CMA293 run {run_id}: its journal {journal} (as the index of runs {_index(user_data)} "
            "has it) is not there any more: moved or deleted. Give its journal with --journal."
        ], command
    undone = invoke("undo", run_id, "--demo", site_path, "--journal", moved)
    assert undone.exit_code == 0, undone.output
    with RunIndex(_index(user_data), create=False) as index:
        entry = index.find(run_id)
    assert entry is not None and entry.journal == moved  # the index follows the journal it was given


def test_a_run_of_release_0_1_0_is_found_the_old_way_then_from_anywhere(
    folders: tuple[Path, Path], user_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, elsewhere = folders
    for name in ("cmassoc-journal.db", "demo-site.db"):
        shutil.copyfile(OLD / name, old / name)
    monkeypatch.chdir(old)
    status = invoke("status", OLD_RUN, "--demo", old / "demo-site.db")
    assert status.exit_code == 0, status.output
    journal = old / "cmassoc-journal.db"
    assert f"cmassoc: CMA360 run {OLD_RUN}: reading the journal {journal}" in status.stderr.splitlines()
    monkeypatch.chdir(elsewhere)  # its first reading indexed it
    again = invoke("status", OLD_RUN, "--demo", old / "demo-site.db")
    assert again.exit_code == 0, again.output
    assert f"(found in the index of runs {_index(user_data)})" in again.stderr
    with RunIndex(_index(user_data), create=False) as index:
        entry = index.find(OLD_RUN)
    assert entry is not None
    assert (str(entry.input_path), entry.journal) == ("wave-01.xlsx", journal)  # as its journal names it
    assert [f.kind for f in entry.files] == [FileKind.STATUS_XLSX, FileKind.STATUS_XLSX]


def test_the_index_api_is_a_table_per_fact(tmp_path: Path) -> None:
    path = tmp_path / "data" / "runs.db"
    with RunIndex(path) as index:
        with pytest.raises(KeyError):
            index.add_file("20261207-000000-aaaa", FileKind.REPORT_XLSX, tmp_path / "r.xlsx")
        index.record_run("20261207-000000-aaaa", tmp_path / "wave.xlsx", tmp_path / "j.db", "ABC")
        index.add_file("20261207-000000-aaaa", FileKind.REPORT_XLSX, tmp_path / "r.xlsx")
        index.add_file("20261207-000000-aaaa", "key escrow xlsx", tmp_path / "keys.xlsx")  # a later kind
        index.add_file("20261207-000000-aaaa", FileKind.REPORT_XLSX, tmp_path / "r.xlsx")  # once only
        # Seen again through an older journal naming its input relatively: the absolute path stays.
        index.record_run("20261207-000000-aaaa", "wave.xlsx", tmp_path / "moved" / "j.db")
        entry = index.find("20261207-000000-aaaa")
        assert index.find(UNKNOWN) is None
    assert entry is not None
    assert (entry.input_path, entry.journal, entry.site) == (
        tmp_path / "wave.xlsx",
        tmp_path / "moved" / "j.db",
        "ABC",
    )
    assert [(f.kind, f.path) for f in entry.files] == [
        ("report xlsx", tmp_path / "r.xlsx"),
        ("key escrow xlsx", tmp_path / "keys.xlsx"),
    ]
    with sqlite3.connect(path) as conn:
        assert (
            conn.execute("PRAGMA user_version").fetchone()[0] == len(INDEX_STEPS) == 2
        )  # runs and files; status counts (issue 30)


def test_looking_changes_nothing_and_a_damaged_index_is_named(tmp_path: Path) -> None:
    index = tmp_path / "data" / "runs.db"
    with pytest.raises(Exception, match=f"nor in the index of runs {index}\\. "):
        locate_run(UNKNOWN, tmp_path / "cmassoc-journal.db", index)
    assert not index.parent.exists()  # a lookup never creates the index
    index.parent.mkdir()
    index.write_text("not a database", encoding="utf-8")
    with pytest.raises(Exception, match=r"nor in the index of runs .*runs\.db \(file is not a database\)\."):
        locate_run(UNKNOWN, tmp_path / "cmassoc-journal.db", index)
    said: list[str] = []
    indexing = Indexing(index, said.append)
    indexing.run(UNKNOWN, tmp_path / "w.csv", tmp_path / "j.db", "DEM")
    indexing.files(UNKNOWN, tmp_path / "w.csv", tmp_path / "j.db", "DEM", [])
    assert len(said) == 1 and "is not indexed" in said[0]  # said once per job


def test_a_run_made_by_cmassoc_serve_is_indexed_too(
    folders: tuple[Path, Path], site_path: Path, user_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, elsewhere = folders
    store = Store(user_data / "cmassoc" / "serve")
    stored = f"{new_id()}.csv"
    target = store.path("uploads", stored)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLES / "wave-03.csv", target)
    wave = Wave(new_id(), "wave-03.csv", stored, None, None, 2, "{}", "otto", now(), 5, "")
    store.add_wave(wave)
    worker = Worker(store, lambda: DemoSite(site_path), index=_index(user_data)).start()
    try:
        action_id = worker.submit(wave, "run", "otto")
        deadline = time.monotonic() + 60
        while (action := store.action(action_id)) is not None and action.state not in ("done", "failed"):
            assert time.monotonic() < deadline, "the web job never finished"
            time.sleep(0.05)
    finally:
        worker.stop()
    assert action is not None and action.state == "done" and action.run_id, action
    with RunIndex(_index(user_data), create=False) as index:
        entry = index.find(action.run_id)
    assert entry is not None and entry.journal == store.folder / "journal.db"
    assert entry.input_path == target
    assert entry.paths(FileKind.REPORT_XLSX) == [store.path("reports", str(action.xlsx))]
    assert entry.paths(FileKind.REPORT_JSON) == [store.path("reports", str(action.json))]
    store.close()
    monkeypatch.chdir(elsewhere)  # the command line finds the web's run by its ID
    status = invoke("status", action.run_id, "--demo", site_path)
    assert status.exit_code == 0, status.output
    assert f"reading the journal {store.folder / 'journal.db'} (found in the index" in status.stderr
