from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from importer.demo.site import DemoSite
from importer.model import Status
from importer.report.json_report import write_json
from importer.report.xlsx_report import STATUS_FILLS, write_xlsx
from importer.results import RunResult
from tests.conftest import run_on

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "bell\x07"]


def make_result(tmp_path: Path, site: DemoSite) -> RunResult:
    path = tmp_path / "wave.csv"
    lines = [
        "Source,Destination,Behavior,Users,Comment",
        "CON-PC0003,CON-NB0003,2,CONTOSO\\a;CONTOSO\\b,first",
        "CON-PC0001,CON-NB0001,2,CONTOSO\\alice.w,exists",
        "CON-PC0077,CON-NB0004,0,,unresolved",
    ]
    lines += [f'"{h}",CON-NB0005,0,,"{h}"' for h in HOSTILE]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_on(path, site)


def test_xlsx_report_reads_well(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    out = tmp_path / "report.xlsx"
    write_xlsx(result, out)
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Results"]
    results = book["Results"]
    header = [c.value for c in results[1]]
    assert header[:13] == [
        "Sheet",
        "Row",
        "Source computer",
        "Destination computer",
        "Status",
        "Messages",
        "Source ResourceID",
        "Restore ResourceID",
        "Behaviour",
        "Users sent",
        "Users from",
        "New computer",
        "Collections",
    ]
    assert header[13:] == [
        "Source",
        "Destination",
        "Behavior",
        "Users",
        "Comment",
    ]  # the user's columns follow
    assert results.freeze_panes == "E2"  # the computer stays in view while scrolling right
    assert results.auto_filter.ref == f"A1:R{len(result.rows) + 1}"
    rows = list(results.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.rows) == 3 + len(HOSTILE)
    assert [(r[0], r[1], r[4]) for r in rows[:3]] == [
        ("wave.csv", 2, "created"),
        ("wave.csv", 3, "exists"),
        ("wave.csv", 4, "unresolved"),
    ]
    assert rows[0][9] == "CONTOSO\\a\nCONTOSO\\b"
    assert isinstance(rows[0][6], int) and rows[0][6] > 0
    for line, row in zip(results.iter_rows(min_row=2), result.rows, strict=True):
        fill = line[4].fill.start_color.rgb
        assert row.status is not None
        assert fill.endswith(STATUS_FILLS[row.status])
    # Every text cell is a string cell: nothing a user typed can become a formula.
    for line in results.iter_rows(min_row=2):
        for cell in line:
            assert cell.data_type in ("s", "inlineStr", "n"), (cell.coordinate, cell.value, cell.data_type)
    comments = [r[17] for r in rows[3:]]
    assert comments[:4] == HOSTILE[:4]
    assert comments[-1] == "bell\\x07"


def test_results_sheet_people_can_work_in_and_print(tmp_path: Path, site: DemoSite) -> None:
    import datetime as dt

    result = make_result(tmp_path, site)
    out = tmp_path / "report.xlsx"
    write_xlsx(result, out)
    book = load_workbook(out)
    results, summary_sheet = book["Results"], book["Summary"]
    for sheet in (results, summary_sheet):
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert "&F" in sheet.oddHeader.left.text and "&P" in sheet.oddFooter.right.text
    assert results.print_title_rows in ("1:1", "$1:$1")
    header = [c.value for c in results[1]]
    for index, name in enumerate(header, 1):  # header texts are never cut
        letter = results.cell(1, index).column_letter
        assert results.column_dimensions[letter].width >= len(name) + 2, name
    messages = results.column_dimensions["F"]
    assert 20 <= messages.width <= 72
    tall = [results.row_dimensions[r].height for r in range(2, results.max_row + 1)]
    assert any(h and h >= 30 for h in tall)  # multi-line messages get room
    with_messages = [c for c in results["F"][1:] if c.value]
    assert with_messages and all(c.alignment.wrap_text for c in with_messages)
    assert all(c.value for c in results["F"][1:] if c.has_style or c.value is not None)  # no empty cells
    # Counts stand next to their labels, and times are real dates in local time.
    labels = {r[0]: r[1] for r in summary_sheet.iter_rows(values_only=True) if r and r[0]}
    assert summary_sheet.column_dimensions["B"].width <= 20
    started = next(v for k, v in labels.items() if str(k).startswith("Started ("))
    assert isinstance(started, dt.datetime)
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet2.xml")
    assert b'numberStoredAsText="1"' in xml  # text that looks like a number is text on purpose


def test_a_12_row_report_prints_on_one_or_two_pages(tmp_path: Path, site_path: Path) -> None:
    import shutil
    import subprocess

    import pytest

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc)")
    from tests.conftest import SAMPLES, invoke

    report = tmp_path / "report.xlsx"
    made = invoke("run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--report", report)
    assert made.exit_code == 3, made.output
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(report),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    import re

    pdf = (tmp_path / "report.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert 1 <= pages <= 2, pages


def test_summary_sheet(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    out = tmp_path / "report.xlsx"
    write_xlsx(result, out)
    summary = load_workbook(out)["Summary"]
    cells = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r and r[0]}
    counts = result.counts()
    assert cells["created"] == counts[Status.CREATED] == 1
    assert cells["invalid"] == counts[Status.INVALID] == len(HOSTILE)
    assert cells["total"] == len(result.rows)
    assert cells["Site code"] == "DEM"
    assert cells["Dry run"] == "no"
    assert "2 (capture and restore specified user accounts)" in cells["Default behaviour"]
    assert len(str(cells["Input SHA-256"])) == 64
    assert len(summary._charts) == 1


def test_json_report(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    out = tmp_path / "report.json"
    write_json(result, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["counts"]["created"] == 1
    assert data["summary"]["site_code"] == "DEM"
    first = data["rows"][0]
    assert set(first) >= {
        "sheet",
        "row",
        "source",
        "destination",
        "source_resource_id",
        "restore_resource_id",
        "behavior",
        "users",
        "status",
        "messages",
    }
    assert first["status"] == "created"
    assert first["users"] == ["CONTOSO\\a", "CONTOSO\\b"]
    assert {r["status"] for r in data["rows"]} <= {
        "created",
        "exists",
        "planned",
        "invalid",
        "unresolved",
        "failed",
    }
    assert data["rows"][2]["messages"][0]["level"] == "error"


def test_rows_past_one_sheet_continue_on_another(
    tmp_path: Path, site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full sheet of pairs plus users-sheet rows is more than one sheet holds: the rest go on
    Results (2), with the header again, and no row is lost."""
    from importer.report import xlsx_report

    result = make_result(tmp_path, site)
    monkeypatch.setattr(xlsx_report, "EXCEL_MAX_ROWS", 4)  # a header and three rows per sheet
    path = tmp_path / "split.xlsx"
    write_xlsx(result, path)
    book = load_workbook(path, read_only=True)
    parts = [n for n in book.sheetnames if n.startswith("Results")]
    expected = -(-len(result.rows) // 3)
    assert len(parts) == expected > 1
    assert parts[1] == "Results (2)"
    seen = []
    for name in parts:
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[0][:2] == ("Sheet", "Row") and 1 < len(rows) <= 4
        seen += [(r[0], r[1]) for r in rows[1:]]
    assert seen == [(r.sheet, r.row) for r in result.rows]
