"""Issue 30: when each store goes (retention in `status`) and the demo site's time travel."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from importer import messages
from importer.pipeline import status_wave
from importer.read.wave import read_wave
from importer.results import RunOptions
from importer.site.demo.provider import DemoSite
from importer.site.gateway import build_site
from tests.support.helpers import SAMPLES, invoke


def status_rows(tmp_path: Path, site_path: Path, *extra: str) -> list[dict[str, Any]]:
    out = tmp_path / "status.json"
    result = invoke(
        "status",
        SAMPLES / "wave-03.csv",
        "--demo",
        site_path,
        "--json",
        out,
        "--report",
        tmp_path / "status-calls.xlsx",
        *extra,
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))["rows"]
    return rows


def migrate(site_path: Path, source: str, destination: str, stage: str, days: int) -> None:
    moved = invoke("demo-site", "migrate", site_path, source, destination, stage, "--days-ago", str(days))
    assert moved.exit_code == 0, moved.output


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
    return site_path


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("delay_days", [1, 5])
def test_status_flags_an_overdue_capture_and_a_store_deleted_soon(
    tmp_path: Path, wave: Path, delay_days: int
) -> None:
    site = DemoSite(wave)
    site.set_deletion_delay(delay_days * 1440)
    site.close()
    migrate(wave, "CON-PC0033", "CON-NB0033", "--captured", 20)
    migrate(wave, "CON-PC0034", "CON-NB0034", "--restored", 3)
    migrate(wave, "CON-PC0036", "CON-NB0036", "--captured", 10)  # within 14 days: not at risk
    rows = status_rows(tmp_path, wave)
    by_name = {r["destination"]: r for r in rows}
    overdue, released, recent = by_name["CON-NB0033"], by_name["CON-NB0034"], by_name["CON-NB0036"]
    assert (overdue["status"], overdue["at_risk"], overdue["store_deletion"]) == ("captured", True, None)
    assert "captured 20 days ago" in overdue["risk"]
    assert [m["text"] for m in overdue["messages"] if m["level"] == "warning"] == [overdue["risk"]]
    assert (released["status"], released["at_risk"]) == ("restored", True)
    deletion = when(released["store_deletion"]) - when(released["site"]["restored"])
    assert deletion == dt.timedelta(days=delay_days)
    assert released["risk"].startswith("released ")
    assert (recent["status"], recent["at_risk"], recent["risk"]) == ("captured", False, None)
    assert [r["at_risk"] for r in rows].count(True) == 2


def test_a_store_deleted_later_than_a_week_is_not_at_risk_and_the_overdue_limit_is_an_option(
    tmp_path: Path, wave: Path
) -> None:
    site = DemoSite(wave)
    site.set_deletion_delay(30 * 1440)
    site.close()
    migrate(wave, "CON-PC0033", "CON-NB0033", "--captured", 10)
    migrate(wave, "CON-PC0034", "CON-NB0034", "--restored", 3)
    rows = {r["destination"]: r for r in status_rows(tmp_path, wave, "--restore-overdue-days", "7")}
    assert rows["CON-NB0033"]["at_risk"] is True  # 10 days > 7
    released = rows["CON-NB0034"]
    assert released["at_risk"] is False
    assert when(released["store_deletion"]) - when(released["site"]["restored"]) == dt.timedelta(days=30)


def test_an_unreadable_delay_says_unknown(
    tmp_path: Path, wave: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importer.after import status

    monkeypatch.setattr(status, "state_migration_points", lambda _site: None)
    migrate(wave, "CON-PC0034", "CON-NB0034", "--restored", 3)
    row = {r["destination"]: r for r in status_rows(tmp_path, wave)}["CON-NB0034"]
    assert (row["store_deletion"], row["at_risk"]) == (None, False)
    options = RunOptions()
    provider = DemoSite(wave)
    try:
        result = status_wave(read_wave(SAMPLES / "wave-03.csv"), build_site(provider, options), options)
    finally:
        provider.close()
    said = {r.destination: [m.code for m in r.messages] for r in result.rows}
    assert said["CON-NB0034"] == [messages.DELETION_UNKNOWN]


def test_three_status_calls_draw_three_points_of_progress(tmp_path: Path, wave: Path) -> None:
    from openpyxl import load_workbook

    status_rows(tmp_path, wave)
    migrate(wave, "CON-PC0033", "CON-NB0033", "--captured", 20)
    status_rows(tmp_path, wave)
    migrate(wave, "CON-PC0033", "CON-NB0033", "--restored", 1)
    report = tmp_path / "status.xlsx"
    out = tmp_path / "status.json"
    result = invoke("status", SAMPLES / "wave-03.csv", "--demo", wave, "--json", out, "--report", report)
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    history = [{k: v for k, v in point.items() if k != "read_at"} for point in summary["progress_history"]]
    base = {"not started": 5, "capturing": 0, "captured": 0, "restored": 0, "missing": 0, "at risk": 0}
    assert history == [
        base,
        {**base, "not started": 4, "captured": 1, "at risk": 1},
        {**base, "not started": 4, "restored": 1, "at risk": 1},  # 1-day delay: deleted tomorrow
    ]
    assert summary["progress"] == history[-1]
    book = load_workbook(report)
    sheet = book["Progress"]
    assert [row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        tuple(point.values()) for point in history
    ]
    assert len(sheet._charts) == 1  # a chart, not only a table


def test_the_needs_attention_sheet_lists_at_risk_pairs_first(tmp_path: Path, wave: Path) -> None:
    from openpyxl import load_workbook

    migrate(wave, "CON-PC0036", "CON-NB0036", "--captured", 20)
    with sqlite3.connect(wave) as db:  # and one pair someone removed in the console
        db.execute(
            "DELETE FROM associations WHERE RestoreClientResourceID = "
            "(SELECT ResourceID FROM computers WHERE Name = 'CON-NB0033')"
        )
    report = tmp_path / "status.xlsx"
    result = invoke("status", SAMPLES / "wave-03.csv", "--demo", wave, "--report", report)
    assert result.exit_code == 0, result.output
    lines = list(load_workbook(report)["Needs attention"].iter_rows(min_row=2, values_only=True))
    assert [(line[3], line[4], line[5]) for line in lines] == [
        ("CON-NB0036", "captured", messages.RESTORE_OVERDUE.code),
        ("CON-NB0033", "missing", messages.PAIR_NOT_ON_SITE.code),
    ]
