"""After the wave: status of every pair, export of what is on the site, --update of what differs."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from importer import messages as M
from importer.exit_status import ExitStatus
from importer.journal.listener import resume_or_start
from importer.journal.records import RunState
from importer.pipeline import status_wave
from importer.read.wave import read_wave
from importer.results import RunOptions
from importer.site.demo.provider import DemoSite
from importer.site.demo.samples import create_sample_site
from importer.site.gateway import build_site
from importer.site.provider import CallResult, MethodCall
from tests.support.flaky import FlakyProvider
from tests.support.helpers import NO_WAIT, SAMPLES, error_codes, invoke, remote_args, sheet, site_snapshot
from tests.support.wsman_endpoint import Endpoint, Fault


def rows_of(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return rows


def associations(site: Path) -> list[tuple[str, str, int, list[str]]]:
    items = site_snapshot(site)["associations"]
    assert isinstance(items, list)
    return sorted((a["source_name"], a["restore_name"], a["behavior"], a["users"]) for a in items)


def made_wave(tmp_path: Path, site_path: Path) -> Path:
    out = tmp_path / "run.json"
    result = invoke(
        "run", SAMPLES / "wave-03.csv", "--demo", site_path, "--json", out, "--report", tmp_path / "run.xlsx"
    )
    assert result.exit_code == 0, result.output
    for source, destination, stage in (
        ("CON-PC0033", "CON-NB0033", "--captured"),
        ("CON-PC0034", "CON-NB0034", "--restored"),
    ):
        moved = invoke("demo-site", "migrate", site_path, source, destination, stage)
        assert moved.exit_code == 0, moved.output
    with sqlite3.connect(site_path) as db:  # and one pair someone removed in the console
        db.execute(
            "DELETE FROM associations WHERE RestoreClientResourceID = (SELECT ResourceID FROM computers WHERE Name = 'CON-NB0035')"
        )
    return out


@pytest.mark.parametrize("target", ["wave", "report", "run-id"])
def test_status_of_a_wave_by_sheet_report_or_run(tmp_path: Path, site_path: Path, target: str) -> None:
    run_json = made_wave(tmp_path, site_path)
    before = site_snapshot(site_path)
    arg = {
        "wave": str(SAMPLES / "wave-03.csv"),
        "report": str(run_json),
        "run-id": json.loads(run_json.read_text(encoding="utf-8"))["summary"]["run_id"],
    }[target]
    out, report = tmp_path / "s.json", tmp_path / "s.xlsx"
    result = invoke("status", arg, "--demo", site_path, "--json", out, "--report", report)
    assert result.exit_code == 0, result.output  # a reading: whatever it finds
    rows = rows_of(out)
    assert [(r["destination"], r["status"]) for r in rows] == [
        ("CON-NB0033", "captured"),
        ("CON-NB0034", "restored"),
        ("CON-NB0035", "missing"),
        ("CON-NB0036", "not started"),
        ("CON-NB0037", "not started"),
    ]
    assert rows[0]["site"]["store_path"].startswith("\\\\SMP01\\")
    assert rows[0]["site"]["captured"] and rows[0]["site"]["restored"] is None
    assert rows[0]["users"] == ["CONTOSO\\quinn.a", "CONTOSO\\rosa.b"]
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    assert summary["counts"] == {"not started": 2, "capturing": 0, "captured": 1, "restored": 1, "missing": 1}
    assert summary["read_at"] and summary["exit_status"] == 0
    sheet_rows = list(load_workbook(report)["Results"].iter_rows(values_only=True))
    header = list(sheet_rows[0])
    captured = header.index("Captured")
    assert isinstance(sheet_rows[1][captured], dt.datetime)  # a real Excel date
    assert sheet_rows[1][header.index("Restored")] is None  # DMTF "no value": an empty cell
    assert sheet_rows[2][header.index("Restored")] is not None
    summary_sheet = [r for r in load_workbook(report)["Summary"].iter_rows(values_only=True)]
    assert ("missing", 1) in [(r[0], r[1]) for r in summary_sheet]
    assert site_snapshot(site_path) == before  # nothing changed


@pytest.mark.parametrize("good_round_trips", [0, 1], ids=["while-resolving", "while-reading"])
def test_a_status_the_provider_stops_still_gives_every_row_a_status(
    site_path: Path, good_round_trips: int
) -> None:
    provider = FlakyProvider(DemoSite(site_path), query_faults=[None] * good_round_trips + ["query"] * 9)
    options = RunOptions(retry=NO_WAIT)
    result = status_wave(read_wave(SAMPLES / "wave-03.csv"), build_site(provider, options), options)
    assert result.stopped_code is M.RETRIES_EXHAUSTED
    assert result.stopped_by is not None and "connection reset" in result.stopped_by  # the last fault
    assert "run the same command again" in result.stopped_by  # not "the sheet": this was a reading
    assert [r.status.value if r.status else None for r in result.rows] == ["not read"] * 5
    assert [(r.messages[-1].code, result.stopped_by in r.messages[-1].text) for r in result.rows] == [
        (M.NOT_READ, True)
    ] * 5
    assert result.exit_status is ExitStatus.FATAL


def test_status_over_winrm_matches_the_demo_site(tmp_path: Path, endpoint: Endpoint, site_path: Path) -> None:
    made_wave(tmp_path, site_path)
    local = tmp_path / "l.json"
    assert (
        invoke(
            "status",
            SAMPLES / "wave-03.csv",
            "--demo",
            site_path,
            "--json",
            local,
            "--report",
            tmp_path / "l.xlsx",
        ).exit_code
        == 0
    )
    remote = tmp_path / "r.json"
    result = invoke(
        "status",
        SAMPLES / "wave-03.csv",
        *remote_args(endpoint),
        "--json",
        remote,
        "--report",
        tmp_path / "r.xlsx",
    )
    assert result.exit_code == 0, result.output
    assert [(r["status"], r["site"]) for r in rows_of(remote)] == [
        (r["status"], r["site"]) for r in rows_of(local)
    ]
    gets = [op for b in endpoint.received for op in b["ops"] if op["op"] == "get"]
    assert [len(op["values"]) for op in gets] == [10]  # the sheet's 5 pairs, by key, in one read


def test_a_provider_fault_while_reading_leaves_no_partial_file(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    made_wave(tmp_path, site_path)
    endpoint.faults = [Fault("", "pass") for _ in range(9)] + [Fault("", "503") for _ in range(100)]
    out = tmp_path / "export.xlsx"
    result = invoke("export", out, *remote_args(endpoint, "--retries", "2"))
    assert result.exit_code == 1, result.output
    assert error_codes(result.output) == [M.RETRIES_EXHAUSTED.code]
    assert not out.exists() and not list(tmp_path.glob(".export.xlsx.*"))


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_run_it_on_a_fresh_site_gives_the_same_associations(
    tmp_path: Path, site_path: Path, suffix: str
) -> None:
    made_wave(tmp_path, site_path)
    out = tmp_path / f"export{suffix}"
    result = invoke("export", out, "--demo", site_path)
    assert result.exit_code == 0, result.output
    fresh = tmp_path / "fresh.db"
    with sqlite3.connect(site_path) as db:  # the same computers, no associations
        pass
    create_sample_site(fresh)
    with sqlite3.connect(fresh) as db:
        db.execute("DELETE FROM associations")
        db.execute("DELETE FROM association_users")
    again = invoke(
        "run", out, "--demo", fresh, "--report", tmp_path / "again.xlsx", "--json", tmp_path / "again.json"
    )
    assert again.exit_code == 0, again.output
    assert associations(fresh) == associations(site_path)
    read_only = [c for c in rows_of(tmp_path / "again.json")[0]["values"] if "read-only" in c]
    assert len(read_only) == 5  # carried along, never taken for a ResourceID column


def test_export_of_some_computers_or_a_collection(tmp_path: Path, site_path: Path) -> None:
    made_wave(tmp_path, site_path)
    out = tmp_path / "some.csv"
    assert (
        invoke(
            "export", out, "--demo", site_path, "--source", "CON-PC0001", "--source", "CON-PC0034"
        ).exit_code
        == 0
    )
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert [ln.split(",")[:2] for ln in lines[1:]] == [
        ["CON-PC0001", "CON-NB0001"],
        ["CON-PC0034", "CON-NB0034"],
    ]
    with sqlite3.connect(site_path) as db:
        db.execute(
            "INSERT INTO collection_rules SELECT 'DEM00011', ResourceID, '' FROM computers WHERE Name = 'CON-NB0036'"
        )
    coll = tmp_path / "coll.csv"
    assert invoke("export", coll, "--demo", site_path, "--collection", "Wave Refresh - Pilot").exit_code == 0
    assert [ln.split(",")[1] for ln in coll.read_text(encoding="utf-8-sig").splitlines()[1:]] == [
        "CON-NB0036"
    ]
    bad = invoke("export", tmp_path / "x.txt", "--demo", site_path)
    assert bad.exit_code == 2 and error_codes(bad.output) == [M.EXPORT_FORMAT.code]


def update_sheet(tmp_path: Path) -> Path:
    # CON-PC0001 -> NB0001 is on the site (behaviour 2, alice.w, not started); PC0030 -> NB0030 is in progress.
    return sheet(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        "CON-PC0001,CON-NB0001,2,CONTOSO\\alice.w;CONTOSO\\bob.late\n"
        "CON-PC0030,CON-NB0030,2,CONTOSO\\someone.else\n",
    )


def test_update_replaces_what_differs_while_its_capture_has_not_started(
    tmp_path: Path, site_path: Path
) -> None:
    path = update_sheet(tmp_path)
    before = associations(site_path)
    plain = invoke(
        "run", path, "--demo", site_path, "--json", tmp_path / "p.json", "--report", tmp_path / "p.xlsx"
    )
    assert plain.exit_code == 3
    assert rows_of(tmp_path / "p.json")[0]["messages"][-1]["code"] == M.DIFFERENT_ON_SITE.code
    assert associations(site_path) == before
    out = tmp_path / "u.json"
    updated = invoke(
        "run",
        path,
        "--demo",
        site_path,
        "--update",
        "--new-run",
        "--json",
        out,
        "--report",
        tmp_path / "u.xlsx",
    )
    assert updated.exit_code == 3, updated.output
    rows = rows_of(out)
    assert [r["status"] for r in rows] == ["created", "conflict"]
    assert rows[1]["messages"][-1]["code"] == M.CAPTURE_STARTED_NOT_UPDATED.code
    after = {(s, d): (b, u) for s, d, b, u in associations(site_path)}
    assert after[("CON-PC0001", "CON-NB0001")] == (2, ["CONTOSO\\alice.w", "CONTOSO\\bob.late"])
    assert after[("CON-PC0030", "CON-NB0030")] == (2, ["CONTOSO\\omar.k"])  # untouched
    undone = invoke("undo", out, "--demo", site_path, "--report", tmp_path / "undo.xlsx")
    assert undone.exit_code == 0, undone.output
    assert associations(site_path) == before  # the previous version, exactly


class FailsAddAfterDelete(FlakyProvider):
    """The provider goes away for good after the delete of an --update, before the add."""

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        if calls and calls[0].method == "AddAssociationEx":
            self.faults = ["always"]
        return super().call(calls)


def test_a_stop_between_delete_and_add_resumes_and_undo_still_restores(
    tmp_path: Path, site_path: Path, journal_path: Path
) -> None:
    from importer.journal.records import RowState
    from importer.journal.storage import Journal
    from importer.pipeline import run_wave
    from importer.read.wave import read_wave
    from importer.results import RunOptions
    from importer.site.demo.provider import DemoSite
    from importer.site.gateway import build_site
    from importer.site.retry import RetryPolicy

    path = update_sheet(tmp_path)
    before = associations(site_path)
    wave = read_wave(path)
    options = RunOptions(update=True, retry=RetryPolicy(attempts=2, wait_first=0, wait_max=0))
    journal = Journal(journal_path)
    site = DemoSite(site_path)
    first = run_wave(
        wave,
        build_site(FailsAddAfterDelete(site), options),
        options,
        resume_or_start(journal, wave, site.info, options),
    )
    assert first.stopped_by is not None
    assert ("CON-PC0001", "CON-NB0001") not in {
        (s, d) for s, d, _, _ in associations(site_path)
    }  # deleted, not re-made
    [run] = journal.runs()
    states = [r.state for r in journal.rows(run.run_id)]
    # the old version is deleted, the new one never made: the journal holds the old one for undo
    assert states == [RowState.REPLACING, RowState.CONFLICT]
    assert journal.rows(run.run_id)[0].previous == (2, ("CONTOSO\\alice.w",))
    second = run_wave(
        wave,
        build_site(FlakyProvider(site), options),
        options,
        resume_or_start(journal, wave, site.info, options),
    )
    site.close()
    journal.finish(run.run_id, RunState.FINISHED, None)
    journal.close()
    assert second.rows[0].status is not None and second.rows[0].status.value == "created"
    undone = invoke(
        "undo", run.run_id, "--demo", site_path, "--journal", journal_path, "--report", tmp_path / "u.xlsx"
    )
    assert undone.exit_code == 0, undone.output
    assert associations(site_path) == before
