"""Issue 30 point 2: `cmassoc cleanup` deletes only pairs restored long enough ago, keeps their
keys first, refuses a captured-not-restored pair, and a dry run changes nothing.

The keys go into the same encrypted escrow workbook undo writes (importer.after.escrow, through
importer.after.escrow_hook, the one place cleanup keeps keys): the first test opens it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from importer.after import escrow_hook
from importer.model import RowResult
from importer.site.gateway import Site
from tests.support.helpers import SAMPLES, invoke, site_snapshot
from tests.support.keys import KEYS_PASSWORD, key_rows, site_keys


def pairs(site_path: Path) -> list[str]:
    items = site_snapshot(site_path)["associations"]
    assert isinstance(items, list)
    wave = {f"CON-NB00{n}" for n in range(33, 38)}
    return sorted(a["restore_name"] for a in items if a["restore_name"] in wave)


@pytest.fixture
def wave(tmp_path: Path, site_path: Path) -> Path:
    ran = invoke(
        "run",
        SAMPLES / "wave-03.csv",
        "--demo",
        site_path,
        "--json",
        tmp_path / "run.json",
        "--report",
        tmp_path / "run.xlsx",
    )
    assert ran.exit_code == 0, ran.output
    for source, destination, stage, days in (
        ("CON-PC0033", "CON-NB0033", "--captured", 40),  # captured, never restored
        ("CON-PC0034", "CON-NB0034", "--restored", 45),  # restored long ago: cleaned up
        ("CON-PC0035", "CON-NB0035", "--restored", 10),  # restored recently: kept
    ):
        moved = invoke("demo-site", "migrate", site_path, source, destination, stage, "--days-ago", str(days))
        assert moved.exit_code == 0, moved.output
    return site_path


def cleanup(tmp_path: Path, site_path: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    out = tmp_path / "cleanup.json"
    result = invoke(
        "cleanup",
        SAMPLES / "wave-03.csv",
        "--demo",
        site_path,
        "--json",
        out,
        "--journal",
        tmp_path / "cleanup.db",
        "--report",
        tmp_path / "cleanup.xlsx",
        *extra,
    )
    rows: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))["rows"]
    return result.exit_code, rows


class Escrow:
    """A recording stand-in for the escrow (where a test needs no password): the keys asked for
    and what the site held at that moment."""

    def __init__(self, site_path: Path, tmp_path: Path) -> None:
        self.site_path, self.path = site_path, tmp_path / "keys.xlsx"
        self.kept: list[str] = []
        self.on_site_then: list[str] = []

    def __call__(self, rows: Sequence[RowResult], _site: Site, _journal: Path | None, *_: object) -> Path:
        self.kept = [r.destination or "" for r in rows]
        self.on_site_then = pairs(self.site_path)
        return self.path


def test_cleanup_deletes_only_pairs_restored_long_ago_after_keeping_their_keys(
    tmp_path: Path, wave: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", KEYS_PASSWORD)
    keys_before = site_keys(wave)
    code, rows = cleanup(tmp_path, wave)
    by_name = {r["destination"]: r for r in rows}
    assert {n: r["status"] for n, r in by_name.items()} == {
        "CON-NB0033": "kept",
        "CON-NB0034": "deleted",
        "CON-NB0035": "restored",
        "CON-NB0036": "not started",
        "CON-NB0037": "not started",
    }
    assert code == 3  # a kept pair needs attention
    assert pairs(wave) == ["CON-NB0033", "CON-NB0035", "CON-NB0036", "CON-NB0037"]
    assert by_name["CON-NB0033"]["messages"][-1]["code"] == "CMA560"  # captured, not restored: kept
    # The key of the pair deleted was kept first, in the encrypted escrow beside the journal.
    summary = json.loads((tmp_path / "cleanup.json").read_text(encoding="utf-8"))["summary"]
    escrow = Path(summary["escrow"])
    assert escrow.parent == tmp_path and escrow.name.startswith("cmassoc-escrow-")
    [kept] = key_rows(escrow)
    gone = by_name["CON-NB0034"]
    key = keys_before[(gone["source_resource_id"], gone["restore_resource_id"])]
    assert (kept["Destination"], kept["Recovery key"]) == ("CON-NB0034", key)
    assert key not in json.dumps(rows) and key.encode() not in escrow.read_bytes()
    with sqlite3.connect(tmp_path / "cleanup.db") as db:  # the delete is journaled
        journaled = db.execute(
            "SELECT r.kind, w.destination, w.state FROM runs r JOIN rows w ON w.run_id = r.run_id"
        ).fetchall()
    assert journaled == [("cleanup", "CON-NB0034", "deleted")]


def test_the_keys_are_asked_for_while_the_pair_is_still_on_the_site(
    tmp_path: Path, wave: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    escrow = Escrow(wave, tmp_path)
    monkeypatch.setattr(escrow_hook, "keep_keys", escrow)
    cleanup(tmp_path, wave)
    assert escrow.kept == ["CON-NB0034"]
    assert "CON-NB0034" in escrow.on_site_then  # the key was kept before the delete


def test_without_the_key_escrow_nothing_captured_is_deleted(tmp_path: Path, wave: Path) -> None:
    before = site_snapshot(wave)["associations"]
    code, rows = cleanup(tmp_path, wave)
    assert [r["status"] for r in rows] == ["kept", "kept", "restored", "not started", "not started"]
    assert "recovery key could not be kept" in rows[1]["messages"][-1]["text"]
    assert code == 3
    assert site_snapshot(wave)["associations"] == before


def test_a_dry_run_changes_nothing_and_says_what_it_would_delete(
    tmp_path: Path, wave: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: object) -> Path:
        raise AssertionError("a dry run keeps no keys")

    monkeypatch.setattr(escrow_hook, "keep_keys", never)
    before = site_snapshot(wave)
    code, rows = cleanup(tmp_path, wave, "--dry-run")
    assert [r["status"] for r in rows] == ["kept", "planned", "restored", "not started", "not started"]
    assert site_snapshot(wave) == before
    assert not (tmp_path / "cleanup.db").exists()
    assert code == 3


def test_restored_before_sets_the_limit(tmp_path: Path, wave: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(escrow_hook, "keep_keys", Escrow(wave, tmp_path))
    _code, rows = cleanup(tmp_path, wave, "--restored-before", "5")
    assert [r["status"] for r in rows][1:3] == ["deleted", "deleted"]
    assert pairs(wave) == ["CON-NB0033", "CON-NB0036", "CON-NB0037"]


def test_a_cleanup_by_run_id_is_filed_with_its_run(
    tmp_path: Path, wave: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the Run ID, cleanup reads that run's journal and files its report and escrow in the
    index of runs under it (a kind the index did not know made this path fail after deleting)."""
    from importer.environment import Environment
    from importer.journal.index import RunIndex

    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", KEYS_PASSWORD)
    run_id = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))["summary"]["run_id"]
    out = tmp_path / "by-id.json"
    done = invoke("cleanup", run_id, "--demo", wave, "--json", out, "--report", tmp_path / "by-id.xlsx")
    assert done.exit_code == 3, done.output  # the captured pair is kept
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [r["status"] for r in rows] == ["kept", "deleted", "restored", "not started", "not started"]
    with RunIndex(Environment.from_os().run_index(), create=False) as index:
        entry = index.find(run_id)
    assert entry is not None
    assert entry.paths("cleanup xlsx") == [(tmp_path / "by-id.xlsx").resolve()]
    assert len(entry.paths("escrow xlsx")) == 1
