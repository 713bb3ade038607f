"""The reports as people and scripts read them: each test writes a report of a known wave
and says what must be in it, cell by cell."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from enum import IntEnum
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from importer.messages import Code, Notice
from importer.model import Hardware, StoreState, Typed, UsersFrom
from importer.model.statuses import Status
from importer.pipeline import validate_wave
from importer.read.wave import read_wave
from importer.report import excel, excel_report
from importer.report.excel import BOLD, PLAIN, STATUS_FILLS, WRAP
from importer.report.excel_report import write_xlsx
from importer.report.json_report import write_json
from importer.results import RunOptions, RunResult
from importer.site.demo.provider import DemoSite
from tests.support.helpers import SAMPLES, invoke, run_on

HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "bell\x07"]
RESULTS_HEADER = [  # the first 8 make the print area
    "Sheet",
    "Row",
    "Source computer",
    "Destination computer",
    "Status",
    "Messages",
    "Behaviour",
    "Users sent",
    "Source ResourceID",
    "Restore ResourceID",
    "Users from",
    "New computer",
    "Collections",
    "Readiness",
]
VALID, INVALID = "FFE2EFDA", "FFFFC7CE"  # the fills of valid and invalid rows


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


def validated(tmp_path: Path, csv: str, exit_code: int = 0) -> Path:
    """`cmassoc validate` of a CSV wave, which exits `exit_code` (3 when a row is invalid); its
    Excel report (the JSON beside it, .json)."""
    wave = tmp_path / "wave.csv"
    wave.write_text(csv, encoding="utf-8")
    report = tmp_path / "report.xlsx"
    done = invoke("validate", wave, "--report", report, "--json", report.with_suffix(".json"))
    assert done.exit_code == exit_code, done.output
    return report


def test_validate_report_of_the_sample_wave(tmp_path: Path) -> None:
    report, out = tmp_path / "v.xlsx", tmp_path / "v.json"
    done = invoke("validate", SAMPLES / "wave-01.xlsx", "--report", report, "--json", out)
    assert done.exit_code == 3, done.output
    book = load_workbook(report)
    assert book.sheetnames == ["Summary", "Needs attention", "Results"]
    results = book["Results"]
    rows = list(results.iter_rows(values_only=True))
    assert list(rows[0]) == [
        *RESULTS_HEADER,
        "Old Computer",
        "New Computer",
        "Migration Behavior",
        "User Names",
        "Ticket",
    ]
    assert len(rows) == 13
    assert rows[1] == (
        "Wave 01",
        4,
        "CON-PC0001",
        "CON-NB0001",
        "valid",
        None,
        2,
        "CONTOSO\\alice.w",
        None,
        None,
        "sheet",
        None,
        None,
        None,
        "CON-PC0001",
        "CON-NB0001",
        "2",
        "CONTOSO\\alice.w",
        "INC-1001",
    )
    assert rows[3][7] == "CONTOSO\\bob.m\nCONTOSO\\carol.d"  # users sent: one per line
    assert rows[3][17] == "CONTOSO\\bob.m; CONTOSO\\carol.d"  # the cell as typed
    assert rows[2][16:18] == ("CaptureAndRestoreAllUserAccounts", "")
    # one message a line: its level, its code and the column it is about, then its words
    assert [line.split(": ")[0] for line in rows[4][5].splitlines()] == [
        "NOTE CMA114 Old Computer",
        "NOTE CMA131 User Names",
    ]
    assert rows[11][:5] == ("Wave 01", 14, "CON-PC0009", "CON-NB0009", "invalid")
    assert rows[11][5].startswith("ERROR CMA211 User Names: ")
    fills = [results.cell(r, 5).fill.start_color.rgb for r in range(2, 14)]
    assert fills == [VALID] * 10 + [INVALID] * 2
    assert all(results.cell(1, c).font.b for c in range(1, 20))  # a bold header
    assert results.cell(5, 6).alignment.wrap_text and results.cell(5, 6).alignment.vertical == "top"
    assert results.row_dimensions[4].height == 30  # two users: two lines
    assert results.row_dimensions[2].height is None  # one line: Excel's own height
    assert results.freeze_panes == "E2"
    assert results.auto_filter.ref == "A1:S13"
    assert results.print_title_rows == "$1:$1"
    data = json.loads(out.read_text(encoding="utf-8"))
    fourth = data["rows"][3]
    assert [list(m) for m in fourth["messages"]] == [["level", "code", "column", "text"]] * 2
    assert [(m["level"], m["code"], m["column"]) for m in fourth.pop("messages")] == [
        ("note", "CMA114", "Old Computer"),
        ("note", "CMA131", "User Names"),
    ]
    assert fourth == {
        "sheet": "Wave 01",
        "row": 7,
        "source": "CON-PC0004",
        "destination": "CON-NB0004",
        "source_resource_id": None,
        "restore_resource_id": None,
        "behavior": 1,
        "users": ["CONTOSO\\dan.r"],
        "users_from": "sheet",
        "mac": None,
        "smbios_guid": None,
        "new_computer": None,
        "collections": [],
        "status": "valid",
        "site": None,
        "values": {
            "Old Computer": "con-pc0004.contoso.com",
            "New Computer": "CON-NB0004",
            "Migration Behavior": "1",
            "User Names": "dan.r@contoso.com",
            "Ticket": "INC-1004",
        },
        "readiness": [],
        "copied_collections": [],
    }
    summary = data["summary"]
    assert summary["counts"] == {"valid": 10, "invalid": 2, "unresolved": 0, "conflict": 0, "failed": 0}
    assert (summary["command"], summary["rows"], summary["run_id"], summary["exit_status"]) == (
        "validate",
        12,
        None,
        3,
    )


# The codes of the sample wave's messages, row by row: a DNS name and a user@domain noted, a
# behaviour 2 without users, an in-place pair.
SAMPLE_CODES = [[], [], [], ["CMA114", "CMA131"], [], [], [], [], [], [], ["CMA211"], ["CMA206"]]


def test_the_json_of_the_sample_is_the_json_release_0_1_0_wrote(tmp_path: Path) -> None:
    """Rows and summary keys as scripts written against the last release read them."""
    fixtures = Path(__file__).parent / "fixtures" / "release-0.1.0"
    old = json.loads((fixtures / "validate-report.json").read_text(encoding="utf-8"))
    done = invoke("validate", fixtures / "wave-01.xlsx", "--json", "-", "--report", tmp_path / "v.xlsx")
    new = json.loads(done.stdout)
    # the same rows, each message with its code beside what 0.1.0 wrote
    codes = [[m.pop("code") for m in r["messages"]] for r in new["rows"]]
    assert codes == SAMPLE_CODES
    new_row_keys = ["readiness", "copied_collections"]  # new keys last, empty for a validation
    assert [{k: v for k, v in r.items() if k not in new_row_keys} for r in new["rows"]] == old["rows"]
    assert all(list(r)[-2:] == new_row_keys and not r["readiness"] for r in new["rows"])
    added = ["rows_with_default_behavior", "inactive_days", "strict_readiness", "readiness", "site_readiness"]
    added += ["copy_collections", "skip_collections", "include_collections", "copied_collections"]
    added += ["notices", "stopped_code"]  # the notices' and the stop's codes
    added += ["progress", "progress_history"]  # issue 30: a status's pairs per state, now and over time
    assert list(new["summary"]) == [*old["summary"], *added]  # new keys last
    assert list(new) == ["summary", "rows"]


def test_text_is_written_as_text_exactly(tmp_path: Path) -> None:
    texts = [
        "=1+1",
        "00123",
        "NA",
        "TRUE",
        "1.50",
        "http://x",
        "1e5",
        "  lead",
        "trail  ",
        "a&b <c>",
        "é✓ 中文",
        "two\nlines",
        "_x0041_",  # Excel's own escape, kept as typed
        "<r><t>x</t></r>",  # XlsxWriter's constant_memory mode would write this as raw XML
        '<r><t>a</t></r></is></c><c r="B9"><f>1+1</f></c><c r="C9" t="inlineStr"><is><r><t>b</t></r>',
    ]
    csv = "Source,Destination,Behavior,Comment\n" + "".join(
        f"CON-PC{n:04d},CON-NB{n:04d},0,{_quoted(t)}\n" for n, t in enumerate(texts, 100)
    )
    report = validated(tmp_path, csv)
    comment = 17  # after the tool's 14 columns: Source, Destination, Behavior, Comment
    shown = CalamineWorkbook.from_path(str(report)).get_sheet_by_name("Results").to_python()
    assert [row[comment] for row in shown[1:]] == texts  # as Excel shows them
    results = load_workbook(report)["Results"]
    cells = [line[comment] for line in results.iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s"] * len(texts)  # text cells, not numbers or formulas
    # as stored: Excel's escape of a typed "_x0041_" (which Excel and calamine show as typed) is
    # left escaped by openpyxl
    assert [c.value for c in cells] == [t.replace("_x0041_", "_x005F_x0041_") for t in texts]
    with zipfile.ZipFile(report) as z:
        sheet = z.read("xl/worksheets/sheet3.xml").decode("utf-8")  # Summary, Needs attention, Results
        assert "<f>" not in sheet and "sharedStrings" not in " ".join(z.namelist())  # constant_memory
    assert b'numberStoredAsText="1"' in zipfile.ZipFile(report).read("xl/worksheets/sheet3.xml")
    rows = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))["rows"]
    assert [r["values"]["Comment"] for r in rows] == texts


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_a_cell_too_long_for_excel_is_cut_visibly(tmp_path: Path) -> None:
    long, wide = "x" * 40_000, "😀" * 20_000  # the second: 20,000 characters, 40,000 UTF-16 units
    csv = f"Source,Destination,Behavior,Comment\nCON-PC0001,CON-NB0001,0,{long}\nCON-PC0002,CON-NB0002,0,{wide}\n"
    report = validated(tmp_path, csv, exit_code=3)  # a cell longer than a cell can hold is an error
    [first, second] = [r[17] for r in load_workbook(report)["Results"].iter_rows(min_row=2, values_only=True)]
    marker = " [... cut: 40,000 characters in all]"
    assert first == "x" * (32_767 - len(marker)) + marker
    # cut by UTF-16 units, as Excel counts: 32,767 less the marker's 36 leave 32,731 units, which
    # hold 16,365 whole emoji (the half of one more is dropped)
    assert second == "😀" * 16_365 + " [... cut: 20,000 characters in all]"
    rows = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))["rows"]
    assert rows[0]["values"]["Comment"] == first  # the JSON cuts where Excel would


def test_control_characters_are_shown(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    write_xlsx(result, tmp_path / "report.xlsx")
    comments = [r[18] for r in load_workbook(tmp_path / "report.xlsx")["Results"].iter_rows(values_only=True)]
    assert comments[4:8] == HOSTILE[:4]
    assert comments[-1] == "bell\\x07"


def test_the_writer_writes_each_kind_of_cell(tmp_path: Path) -> None:
    """excel.Sheet.write: each kind of value, one column of each and one of them mixed."""

    class Level(IntEnum):
        LOW = 1

    when = dt.datetime(2026, 3, 1, 12, 30)
    aware = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
    columns: list[list[object]] = [
        ["plain", None, "", " both ", "a\x01b"],
        [7, 2.5, None, -3, 123456789012],
        [when, None, aware, None, None],
        [True, "text", 4, Typed("1.5", "number"), Level.LOW],
        [None] * 5,
        ["short", "a line long enough to wrap twice at width ten", None, "x\ny\nz", "y"],
    ]
    path = tmp_path / "cells.xlsx"
    with excel.Book(path) as book:
        sheet = book.sheet("Cells", widths=(10, 10, 18, 10, 10, 10), header=["a", "b", "c", "d", "e", "f"])
        sheet.write(columns, [PLAIN, BOLD, PLAIN, [PLAIN, *STATUS_FILLS][:5], PLAIN, WRAP])
    ws = load_workbook(path)["Cells"]
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_col=6)]
    local = aware.astimezone().replace(tzinfo=None)
    assert [r[0] for r in got] == ["plain", None, "", " both ", "a\\x01b"]
    assert [r[1] for r in got] == [7, 2.5, None, -3, 123456789012]
    assert [r[2] for r in got] == [when, None, local, None, None]
    assert [r[3] for r in got] == [True, "text", 4, "1.5", 1]
    assert [r[4] for r in got] == [None] * 5
    assert ws["A4"].data_type == "s" and ws["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["B2"].font.b and not ws["A2"].font.b
    assert [ws.cell(r, 4).fill.start_color.rgb for r in (3, 4)] == ["FFC6EFCE", "FFDDEBF7"]
    assert [ws.row_dimensions[r].height for r in range(2, 7)] == [None, 75, None, 45, None]
    assert ws.auto_filter.ref == "A1:F6"


def test_tall_rows_keep_their_height_and_not_their_memory(tmp_path: Path) -> None:
    """XlsxWriter would keep every row height it was given: a million tall rows, 300 MB."""
    path = tmp_path / "tall.xlsx"
    with excel.Book(path) as book:
        sheet = book.sheet("Tall", widths=(10, 10), header=["a", "b"])
        for start in range(0, 300, 100):
            sheet.write(
                [[f"row {n}\nline 2" for n in range(start, start + 100)], [n for n in range(100)]], [WRAP]
            )
            assert len(sheet.worksheet.row_info) == 1  # only the row still to be written out
    ws = load_workbook(path)["Tall"]
    assert [ws.row_dimensions[r].height for r in range(2, 302)] == [30] * 300
    assert ws["A301"].value == "row 299\nline 2"


def test_results_sheet_people_can_work_in_and_print(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    out = tmp_path / "report.xlsx"
    write_xlsx(result, out)
    book = load_workbook(out)
    results, summary_sheet = book["Results"], book["Summary"]
    assert (
        results.print_area == "'Results'!$A$1:$H$11"
    )  # sheet, row, computers, status, messages, behaviour, users
    assert results.print_title_rows == "$1:$1"
    header = [c.value for c in results[1]]
    widths = [
        results.column_dimensions[results.cell(1, i).column_letter].width for i in range(1, len(header) + 1)
    ]
    # never narrower than the header (its length + 3; a printed column's header wraps: its longest
    # word + 3), wide enough for the longest line seen (+ 2), at least 6; Messages has what the page
    # leaves beside the other printed columns (79 here, its long messages would take more);
    # XlsxWriter adds 0.71 to each
    chars = [10, 6, 12, 14, 12, 79, 12, 17, 20, 21, 13, 15, 14, 70, 20, 14, 11, 21, 20]
    assert widths == [n + 0.7109375 for n in chars]
    tall = [results.row_dimensions[r].height for r in range(1, results.max_row + 1)]
    # 15 points a line of the tallest cell; the header's "Source computer" and "Destination
    # computer" take two; the first pair's readiness warning (on screen, right) wraps to three;
    # the re-run's 'exists' note, with its code in front (NOTE CMA227 ...), takes two
    assert tall == [30, 45, 30, 30, 45, 30, 120, 120, 90, 90, 30]
    assert results["C1"].alignment.wrap_text and results["C1"].font.b
    with_messages = [c for c in results["F"][1:] if c.value]
    assert with_messages and all(c.alignment.wrap_text for c in with_messages)
    assert all(c.value for c in results["F"][1:] if c.has_style or c.value is not None)  # no empty cells
    assert [results.cell(2, c).alignment.horizontal for c in (2, 7)] == ["center", "center"]  # row, behaviour
    # Counts stand next to their labels, and times are real dates in local time.
    labels = {r[0]: r[1] for r in summary_sheet.iter_rows(values_only=True) if r and r[0]}
    assert summary_sheet.column_dimensions["B"].width == 17.7109375  # 17, and XlsxWriter's 0.71
    started = next(v for k, v in labels.items() if str(k).startswith("Started ("))
    assert isinstance(started, dt.datetime)
    assert abs(started - result.started.astimezone().replace(tzinfo=None)) < dt.timedelta(seconds=1)
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet3.xml")
    assert b'numberStoredAsText="1"' in xml  # text that looks like a number is text on purpose


def test_xlsx_report_reads_well(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    out = tmp_path / "report.xlsx"
    write_xlsx(result, out)
    results = load_workbook(out)["Results"]
    assert [c.value for c in results[1]] == [
        *RESULTS_HEADER,
        "Source",
        "Destination",
        "Behavior",
        "Users",
        "Comment",
    ]
    assert results.freeze_panes == "E2"  # the computer stays in view while scrolling right
    assert results.auto_filter.ref == f"A1:S{len(result.rows) + 1}"
    rows = list(results.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.rows) == 3 + len(HOSTILE)
    assert [(r[0], r[1], r[4]) for r in rows[:3]] == [
        ("wave.csv", 2, "created"),
        ("wave.csv", 3, "exists"),
        ("wave.csv", 4, "unresolved"),
    ]
    assert rows[0][7] == "CONTOSO\\a\nCONTOSO\\b"
    ids = {r.row: (r.source_resource_id, r.restore_resource_id) for r in result.rows}
    assert (rows[0][8], rows[0][9]) == ids[2] and isinstance(rows[0][8], int)
    for line, row in zip(results.iter_rows(min_row=2), result.rows, strict=True):
        assert row.status is not None
        assert line[4].fill.start_color.rgb == "FF" + STATUS_FILLS[row.status]
    # Every text cell is a string cell: nothing a user typed can become a formula. Numbers are
    # the row, the ResourceIDs and the behaviour; blank cells are not written.
    kinds = {
        (cell.column_letter, cell.data_type)
        for line in results.iter_rows(min_row=2)
        for cell in line
        if cell.value is not None
    }
    numbers = {"B", "G", "I", "J"}
    assert kinds == {(c, "n" if c in numbers else "s") for c in "ABCDEFGHIJKNOPQRS"}


def test_summary_sheet(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    out = tmp_path / "report.xlsx"
    write_xlsx(result, out)
    summary = load_workbook(out)["Summary"]
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0][0] == "Computer association import" and summary["A1"].font.b
    assert summary["A1"].font.sz == 14
    assert rows[1][0] == "10 rows: 1 created, 1 exists, 7 invalid, 1 unresolved"  # the outcome, first
    # 7 invalid and 1 unresolved, and the created pair's readiness warning (users never seen there)
    assert rows[2][0] == "9 rows need attention: see the Needs attention sheet"
    assert rows[4] == ("Status", "Rows", "What it means")
    assert rows[5] == ("created", 1, "created by this run")
    assert summary["A6"].fill.start_color.rgb == "FFC6EFCE"  # each status in its colour
    assert summary["B6"].alignment.horizontal == "center"
    assert rows[18][0] == "Run"  # the parameters start below the chart
    cells = {r[0]: r[1] for r in rows if r and r[0]}
    counts = result.counts()
    assert cells["created"] == counts[Status.CREATED] == 1
    assert cells["invalid"] == counts[Status.INVALID] == len(HOSTILE)
    assert cells["total"] == len(result.rows)
    assert cells["Site code"] == "DEM"
    assert cells["Dry run"] == "no"
    assert cells["Batch size"] == 200
    assert cells["Default behaviour"] == "not used: every row gives its behaviour"
    assert len(str(cells["Input SHA-256"])) == 64
    assert len(summary._charts) == 1
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert 'barDir val="bar"' in xml and "Rows by status" in xml
    assert "Summary!$A$6:$A$11" in xml and "Summary!$B$6:$B$11" in xml
    assert '<c:pt idx="0"><c:v>created</c:v></c:pt>' in xml  # the cache viewers draw from
    colours = [STATUS_FILLS[s] for s in counts]
    assert [f'<a:srgbClr val="{c}"/>' in xml for c in colours] == [True] * len(colours)


def test_input_notes_go_on_a_notes_sheet_of_their_own(tmp_path: Path) -> None:
    """The Summary stays one page: a few short notes stand on it, but when one is long it says
    how many there are and the Notes sheet holds them, each with its code, wrapped across the
    page."""
    wave = read_wave(SAMPLES / "wave-03.csv")
    long = "a note long enough to need more than one line at the width of the page: " + "word " * 60
    wave.notes.append(Notice(Code("CMA999", "a note", "for this test", "nothing"), long))
    result = validate_wave(wave, RunOptions())
    write_xlsx(result, tmp_path / "r.xlsx")
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Summary", "Needs attention", "Results", "Notes"]
    labels = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert labels["Notes about the input"] == "2: see the Notes sheet"
    assert "Input notes" not in labels and long not in [
        r[2] for r in book["Summary"].iter_rows(values_only=True)
    ]
    notes = book["Notes"]
    assert [[c.value for c in row] for row in notes.iter_rows()] == [
        ["Code", "Note"],
        ["CMA009", wave.notes[0]],  # the reader's note, with its code
        ["CMA999", long],
    ]
    assert notes.print_title_rows == "$1:$1" and notes.freeze_panes == "A2"
    assert notes["B3"].alignment.wrap_text and notes.row_dimensions[3].height == 45  # three lines
    assert notes.column_dimensions["B"].width == 157.7109375  # the page's width beside the code


def test_rows_the_later_stages_filled_in(tmp_path: Path) -> None:
    """New hardware, collections, users from the site, resource IDs and the site's user state
    as the Results sheet and the JSON show them."""
    result = validate_wave(read_wave(SAMPLES / "wave-03.csv"), RunOptions())
    result.rows = list(result.rows)  # as a run holds them: objects the stages fill in
    first, second, third = result.rows[:3]
    first.status, first.source_resource_id, first.restore_resource_id = Status.CREATED, 16777001, 16777002
    first.hardware, first.membership = Hardware.IMPORTED, ["CON00012: added", "All Laptops: already a member"]
    first.mac, first.smbios_guid = "00:11:22:33:44:55", "4C4C4544-0042-3510-8052-B3C04F4B3332"
    second.users, second.users_from = ["CONTOSO\\site user", "FABRIKAM\\b"], UsersFrom.PRIMARY
    when = dt.datetime(2026, 5, 4, 3, 2, 1)
    third.store = StoreState("in progress", "side by side", when, None, None, "\\\\srv\\store$\\x")
    write_xlsx(result, tmp_path / "r.xlsx")
    write_json(result, tmp_path / "r.json")
    rows = list(load_workbook(tmp_path / "r.xlsx")["Results"].iter_rows(min_row=2, values_only=True))
    assert rows[0][2:13] == (
        "CON-PC0033",
        "CON-NB0033",
        "created",
        None,
        2,
        "CONTOSO\\quinn.a\nCONTOSO\\rosa.b",
        16777001,
        16777002,
        "sheet",
        "imported by this run",
        "CON00012: added\nAll Laptops: already a member",
    )
    assert (rows[1][7], rows[1][10]) == ("CONTOSO\\site user\nFABRIKAM\\b", "primary user")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows"]
    assert (data[0]["new_computer"], data[0]["collections"], data[0]["mac"], data[0]["smbios_guid"]) == (
        "imported by this run",
        ["CON00012: added", "All Laptops: already a member"],
        "00:11:22:33:44:55",
        "4C4C4544-0042-3510-8052-B3C04F4B3332",
    )
    assert (data[1]["users"], data[1]["users_from"]) == (
        ["CONTOSO\\site user", "FABRIKAM\\b"],
        "primary user",
    )
    assert data[2]["site"] == {
        "migration_status": "in progress",
        "migration_type": "side by side",
        "captured": "2026-05-04T03:02:01",
        "restored": None,
        "store_deleted": None,
        "store_path": "\\\\srv\\store$\\x",
    }
    result.command = "status"
    write_xlsx(result, tmp_path / "s.xlsx")
    status = load_workbook(tmp_path / "s.xlsx")["Results"]
    header = [c.value for c in status[1]]
    assert header[:14] == [
        *RESULTS_HEADER[:6],
        "Captured",
        "Restored",
        "Migration",
        "Store deleted",
        "Store path",
        "Migration type",
        "Behaviour",
        "Users on the site",
    ]
    assert status.print_area == "'Results'!$A$1:$H$6"  # the dates are printed, the rest is on screen
    line = [c.value for c in status[4]]
    assert line[6:12] == [when, None, "in progress", None, "\\\\srv\\store$\\x", "side by side"]
    assert status["G4"].number_format == "yyyy-mm-dd hh:mm"  # a real date
    assert status.column_dimensions["G"].width == 17.7109375  # a date's 17, and XlsxWriter's 0.71


def test_users_sheet_rows_carry_their_own_cells(tmp_path: Path) -> None:
    report, out = tmp_path / "r.xlsx", tmp_path / "r.json"
    done = invoke("validate", SAMPLES / "wave-02-users-sheet.xlsx", "--report", report, "--json", out)
    assert done.exit_code == 3, done.output
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    [alone] = [r for r in rows if r["sheet"] == "Users"]
    sheet = list(load_workbook(report)["Results"].iter_rows(values_only=True))
    header, last = list(sheet[0]), sheet[-1]
    carried = {name: last[header.index(name)] for name in alone["values"]}
    assert carried == alone["values"] and alone["values"]  # the users sheet's own columns, on the same row
    assert (last[0], last[1], last[4]) == ("Users", alone["row"], "invalid")


def test_json_report(tmp_path: Path, site: DemoSite) -> None:
    result = make_result(tmp_path, site)
    out = tmp_path / "report.json"
    write_json(result, out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith('{"summary": {"tool": "cmassoc (cm-association-importer)"')
    assert text.count("\n") == len(result.rows) + 3  # the summary, "rows", one line a row, the end
    data = json.loads(text)
    assert data["summary"]["counts"]["created"] == 1
    assert data["summary"]["site_code"] == "DEM"
    first = data["rows"][0]
    assert list(first) == [
        "sheet",
        "row",
        "source",
        "destination",
        "source_resource_id",
        "restore_resource_id",
        "behavior",
        "users",
        "users_from",
        "mac",
        "smbios_guid",
        "new_computer",
        "collections",
        "status",
        "site",
        "messages",
        "values",
        "readiness",
        "copied_collections",
    ]
    assert first["status"] == "created"
    assert first["users"] == ["CONTOSO\\a", "CONTOSO\\b"]
    assert first["values"] == {
        "Source": "CON-PC0003",
        "Destination": "CON-NB0003",
        "Behavior": "2",
        "Users": "CONTOSO\\a;CONTOSO\\b",
        "Comment": "first",
    }
    assert data["rows"][2]["messages"][0]["level"] == "error"
    assert [r["values"]["Comment"] for r in data["rows"][3:]] == HOSTILE


def test_rows_past_one_sheet_continue_on_another(
    tmp_path: Path, site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full sheet of pairs plus users-sheet rows is more than one sheet holds: the rest go on
    Results (2), with the header again, and no row is lost."""
    result = make_result(tmp_path, site)
    monkeypatch.setattr(excel_report, "EXCEL_MAX_ROWS", 4)  # a header and three rows per sheet
    path = tmp_path / "split.xlsx"
    write_xlsx(result, path)
    book = load_workbook(path)
    parts = [n for n in book.sheetnames if n.startswith("Results")]
    expected = -(-len(result.rows) // 3)
    assert len(parts) == expected > 1
    assert parts[1] == "Results (2)"
    seen, lengths = [], []
    for name in parts:
        rows = list(book[name].iter_rows(values_only=True))
        lengths.append(len(rows))
        assert rows[0][:2] == ("Sheet", "Row")
        assert book[name].freeze_panes == "E2" and book[name].auto_filter.ref == f"A1:S{len(rows)}"
        seen += [(r[0], r[1]) for r in rows[1:]]
    assert seen == [(r.sheet, r.row) for r in result.rows]
    assert len(result.rows) == 10 and lengths == [4, 4, 4, 2]  # a header and 3 rows, 3, 3, then 1


def test_a_report_stopped_while_written_leaves_no_file(
    tmp_path: Path, site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or a full disk) in the middle of the rows: no report, and no half-written one."""
    result = make_result(tmp_path, site)
    monkeypatch.setattr(excel_report, "CHUNK", 2)
    real_write, calls = excel.Sheet.write, []

    def stop_on_the_second_chunk(self: excel.Sheet, *args: object, **kwargs: object) -> None:
        calls.append(self.rows)
        if self.worksheet.name == "Results" and self.rows > 1:
            raise KeyboardInterrupt
        real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(excel.Sheet, "write", stop_on_the_second_chunk)
    folder = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        write_xlsx(result, folder / "stopped.xlsx")
    assert list(folder.iterdir()) == []
