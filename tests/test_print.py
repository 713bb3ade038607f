"""Reports on paper: every report's page setup read back with openpyxl, the Needs attention sheet
line by line, and (where LibreOffice is installed) the printed pages measured."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from importer import messages
from importer.check import checked
from importer.config import load_config
from importer.environment import Environment
from importer.errors import InputError
from importer.messages import Code
from importer.model import Level, Message, RowResult, Status
from importer.pipeline import validate_wave
from importer.read.wave import read_wave
from importer.report.attention import lines
from importer.report.readback import run_from_report
from importer.results import RunOptions
from tests.support.helpers import SAMPLES, invoke, sheet

A4, LETTER = 9, 1  # Excel's paper size codes
RESULTS_PRINTED = "$A$1:$H$"  # sheet, row, source, destination, status, messages, behaviour, users
FOOTER_RIGHT = "Page &P of &N"


def run_id_of(json_report: Path) -> str:
    run_id: str = json.loads(json_report.read_text(encoding="utf-8"))["summary"]["run_id"]
    return run_id


def column_widths(ws: Worksheet) -> list[float]:
    """Each column's width as given (XlsxWriter adds 0.71; equal neighbours share one entry)."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        for column in range(dim.min, dim.max + 1):
            out[column] = dim.width - 0.7109375
    return [out[c] for c in sorted(out)]


def assert_printed(
    ws: Worksheet, paper: int, footer: tuple[str, str], table: bool, one_page: bool = False
) -> None:
    """Landscape on `paper`, fitted one page wide (one page in all for the Summary), the footer's
    left and centre as given and the page numbers on its right; a table's header row on every
    page and its gridlines printed."""
    setup = ws.page_setup
    assert (setup.orientation, int(setup.paperSize)) == ("landscape", paper), ws.title
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert setup.fitToWidth is None  # absent: one page wide
    assert setup.fitToHeight == (None if one_page else 0), ws.title  # absent: one page tall
    assert (ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text) == (
        *footer,
        FOOTER_RIGHT,
    )
    assert ws.page_margins.left == ws.page_margins.right == 0.3
    assert ws.print_title_rows == ("$1:$1" if table else None), ws.title
    assert ws.print_options.gridLines is (True if table else None), ws.title


def test_a_run_report_prints_landscape_on_a4_with_the_wave_and_the_run_on_every_page(
    tmp_path: Path, site_path: Path
) -> None:
    report, out = tmp_path / "run.xlsx", tmp_path / "run.json"
    made = invoke("run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--report", report, "--json", out)
    assert made.exit_code == 3, made.output
    book = load_workbook(report)
    assert book.sheetnames == ["Summary", "Needs attention", "Results"]  # the sample has no notes
    footer = ("wave-01.xlsx", f"Run {run_id_of(out)}")
    assert_printed(book["Summary"], A4, footer, table=False, one_page=True)
    assert_printed(book["Needs attention"], A4, footer, table=True)
    assert_printed(book["Results"], A4, footer, table=True)
    results = book["Results"]
    assert results.print_area == f"'Results'!{RESULTS_PRINTED}13"
    assert [c.value for c in results[1]][:8] == [
        "Sheet",
        "Row",
        "Source computer",
        "Destination computer",
        "Status",
        "Messages",
        "Behaviour",
        "Users sent",
    ]
    assert results.oddHeader.left.text == "Computer association import"
    assert results.oddHeader.right.text == "Results"
    assert not book["Needs attention"].print_area  # all of it: it is what gets sent back
    assert not book["Summary"].print_area
    # On screen: the header and the computers stay in view, the filter is on.
    assert (results.freeze_panes, results.auto_filter.ref) == ("E2", "A1:S13")
    assert (book["Needs attention"].freeze_panes, book["Needs attention"].auto_filter.ref) == ("A2", "A1:H8")
    # The readback finds the run in the report as before, new sheets or not.
    assert run_from_report(report) == (run_id_of(out), str(site_path.parent / "journal.db"))


def test_validate_undo_and_status_reports_print_alike_with_their_own_footer(
    tmp_path: Path, site_path: Path
) -> None:
    wave = SAMPLES / "wave-03.csv"
    made = invoke(
        "run", wave, "--demo", site_path, "--report", tmp_path / "r.xlsx", "--json", tmp_path / "r.json"
    )
    assert made.exit_code == 0, made.output
    run_id = run_id_of(tmp_path / "r.json")
    moved = invoke("demo-site", "migrate", site_path, "CON-PC0033", "CON-NB0033", "--captured")
    assert moved.exit_code == 0, moved.output
    with sqlite3.connect(site_path) as db:  # a pair someone removed in the console
        db.execute(
            "DELETE FROM associations WHERE RestoreClientResourceID = "
            "(SELECT ResourceID FROM computers WHERE Name = 'CON-NB0035')"
        )
    checked = invoke("validate", wave, "--report", tmp_path / "v.xlsx", "--paper", "letter")
    status = invoke("status", run_id, "--demo", site_path, "--report", tmp_path / "s.xlsx")
    undone = invoke("undo", run_id, "--demo", site_path, "--report", tmp_path / "u.xlsx")
    assert (checked.exit_code, status.exit_code, undone.exit_code) == (0, 0, 3), undone.output

    validated = load_workbook(tmp_path / "v.xlsx")
    assert validated.sheetnames == ["Summary", "Needs attention", "Results"]
    summary = [r[0] for r in validated["Summary"].iter_rows(values_only=True)]
    assert summary[-2:] == [
        "Input notes",
        "CMA009 'wave-03.csv' read as UTF-8 (with BOM), columns separated by semicolons",
    ]  # a few short notes stay on the Summary
    when = validated["Results"].oddFooter.center.text
    assert when.startswith("Checked 20") and len(when) == len("Checked 2026-01-01 12:00")
    for ws in validated:
        table = ws.title != "Summary" and ws.title != "Needs attention"  # nothing needs attention
        assert_printed(ws, LETTER, ("wave-03.csv", when), table, one_page=ws.title == "Summary")
    assert validated["Needs attention"]["A1"].value == (
        "Nothing needs attention: no row is invalid, unresolved, conflict, failed, unknown or not sent."
    )

    read = load_workbook(tmp_path / "s.xlsx")
    assert read.sheetnames == ["Summary", "Needs attention", "Results"]
    center = read["Results"].oddFooter.center.text
    assert center.startswith(f"Status of run {run_id}, read 20")
    for ws in read:
        assert_printed(ws, A4, ("wave-03.csv", center), ws.title != "Summary", one_page=ws.title == "Summary")
    assert (
        read["Results"].print_area == f"'Results'!{RESULTS_PRINTED}6"
    )  # ... status, messages, captured, restored
    assert [c.value for c in read["Results"][1]][6:8] == ["Captured", "Restored"]
    attention = [r[:6] for r in read["Needs attention"].iter_rows(min_row=2, values_only=True)]
    assert attention == [("wave-03.csv", 4, "CON-PC0035", "CON-NB0035", "missing", None)]

    undo = load_workbook(tmp_path / "u.xlsx")
    footer = ("wave-03.csv", f"Undo of run {run_id}")
    for ws in undo:
        assert_printed(ws, A4, footer, ws.title != "Summary", one_page=ws.title == "Summary")
    attention = [r[:5] for r in undo["Needs attention"].iter_rows(min_row=2, values_only=True)]
    assert attention == [("wave-03.csv", 2, "CON-PC0033", "CON-NB0033", "kept")]


def test_the_export_prints_alike_and_stays_one_wave_sheet(tmp_path: Path, site_path: Path) -> None:
    out = tmp_path / "export.xlsx"
    done = invoke("export", out, "--demo", site_path, "--paper", "letter")
    assert done.exit_code == 0, done.output
    book = load_workbook(out)
    assert book.sheetnames == ["Associations"]  # no other sheet: `run` takes it as it is
    ws = book["Associations"]
    center = ws.oddFooter.center.text
    assert center.startswith("Exported 20")
    assert_printed(ws, LETTER, ("&F", center), table=True)
    assert ws.print_area == "'Associations'!$A$1:$G$5"  # the ResourceIDs are for the screen
    assert ws.freeze_panes == "B2"


def test_the_paper_comes_from_the_config_file_and_an_unknown_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cmassoc.toml").write_text('paper = "Letter"\n', encoding="utf-8")
    done = invoke("validate", SAMPLES / "wave-01.xlsx", "--report", "v.xlsx")
    assert done.exit_code == 3, done.output
    assert {int(ws.page_setup.paperSize) for ws in load_workbook("v.xlsx")} == {LETTER}
    done = invoke(
        "validate", SAMPLES / "wave-01.xlsx", "--report", "a.xlsx", "--paper", "a4"
    )  # the option wins
    assert {int(ws.page_setup.paperSize) for ws in load_workbook("a.xlsx")} == {A4}
    Path("cmassoc.toml").write_text('paper = "A5"\n', encoding="utf-8")
    with pytest.raises(InputError) as refused:
        load_config(None, Environment.from_os())
    assert refused.value.code is messages.PAPER_UNKNOWN
    bad = invoke("validate", SAMPLES / "wave-01.xlsx", "--report", "b.xlsx")
    assert bad.exit_code == 2
    assert bad.output.count("\n") == 1 and "paper = 'A5'" in bad.output
    assert not Path("b.xlsx").exists()


def test_needs_attention_has_a_line_per_problem_with_its_code_and_what_to_do(
    tmp_path: Path, site_path: Path
) -> None:
    report = tmp_path / "run.xlsx"
    made = invoke("run", SAMPLES / "wave-01.xlsx", "--demo", site_path, "--report", report)
    assert made.exit_code == 3, made.output
    ws = load_workbook(report)["Needs attention"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Sheet", "Row", "Source", "Destination", "Status", "Code", "Message", "What to do")
    assert [r[:6] for r in rows[1:4]] == [  # created, but a readiness warning needs someone
        ("Wave 01", 6, "CON-PC0003", "CON-NB0003", "created", "CMA503"),
        ("Wave 01", 8, "CON-PC0005", "CON-NB0005", "created", "CMA501"),
        ("Wave 01", 11, "CON-PC0008", "CON-NB0008", "created", "CMA502"),
    ]
    assert [r[:5] for r in rows[4:]] == [
        ("Wave 01", 12, "CON-PC0013", "CON-NB0013", "unresolved"),
        ("Wave 01", 13, "CON-PC0077", "CON-NB0014", "unresolved"),
        ("Wave 01", 14, "CON-PC0009", "CON-NB0009", "invalid"),
        ("Wave 01", 15, "CON-PC0010", "CON-PC0010", "invalid"),
    ]
    line = rows[6]
    assert line[6].startswith(
        "User Names: behaviour 2 (capture and restore specified user accounts) needs at least"
    )
    # Until its message has a code, the message says what to do.
    assert (line[5], line[7]) == (None, line[6].removeprefix("User Names: "))
    assert [ws.cell(r, 5).fill.start_color.rgb for r in (5, 7)] == ["FFF8CBAD", "FFFFC7CE"]  # their colours
    assert ws["G2"].alignment.wrap_text and ws["H2"].alignment.wrap_text
    # The message and what to do share the page: all columns fit its planned width.
    assert column_widths(ws) == [9, 6, 12, 14, 12, 8, 50, 50]
    summary = [r[0] for r in load_workbook(report)["Summary"].iter_rows(max_row=3, values_only=True)]
    assert summary[2] == "7 rows need attention: see the Needs attention sheet"


def test_lines_sort_by_sheet_as_the_input_has_them_then_row_and_give_the_catalog_advice() -> None:
    code = Code("CMA998", "a title", "what it means", "what to do about it")
    rows = [
        RowResult(
            "Wave B",
            9,
            source="B9",
            status=Status.FAILED,
            messages=[Message(Level.ERROR, "refused", code=code)],
        ),
        RowResult(
            "Wave A",
            3,
            source="A3",
            status=Status.INVALID,
            messages=[
                Message(Level.NOTE, "a note, not a problem", "Users"),
                Message(Level.WARNING, "odd", "Source"),
                Message(Level.ERROR, "wrong", "Destination"),
            ],
        ),
        RowResult(
            "Wave B",
            2,
            source="B2",
            status=Status.NOT_SENT,
            messages=[Message(Level.NOTE, "not sent (stopped)")],
        ),
        RowResult("Wave B", 4, source="B4", status=Status.UNKNOWN),
    ]
    assert lines(rows) == [
        ("Wave B", 2, "B2", None, "not sent", None, "Note: not sent (stopped)", "not sent (stopped)"),
        ("Wave B", 4, "B4", None, "unknown", None, "in flight when the run stopped: run the sheet again", ""),
        ("Wave B", 9, "B9", None, "failed", "CMA998", "refused", "what to do about it"),
        ("Wave A", 3, "A3", None, "invalid", None, "Warning: Source: odd", "odd"),
        ("Wave A", 3, "A3", None, "invalid", None, "Destination: wrong", "wrong"),
    ]


def test_validation_finds_its_invalid_rows_without_making_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked.rows_with: the invalid rows of a wave, dense or sparse, in order, and nothing
    else; the Needs attention sheet of a validation lists exactly those."""
    monkeypatch.setattr(checked, "CHUNK", 16)  # sparse chunks (every 7th row) and dense ones
    text = "Source,Destination,Behavior,Users\n" + "".join(
        f"PC{n:05d},{'PC' if n % 7 == 3 or 200 <= n < 260 else 'NB'}{n:05d},0,\n" for n in range(400)
    )
    result = validate_wave(read_wave(sheet(tmp_path, text)), RunOptions())
    invalid = [n + 2 for n in range(400) if n % 7 == 3 or 200 <= n < 260]  # source = destination
    found = list(result.rows.rows_with((Status.INVALID,)))  # type: ignore[attr-defined]
    assert [r.row for r in found] == invalid and {r.status for r in found} == {Status.INVALID}
    assert [r.row for r in result.rows.rows_with((Status.VALID,))] == [  # type: ignore[attr-defined]
        n for n in range(2, 402) if n not in invalid
    ]
    report = tmp_path / "v.xlsx"
    from importer.report.excel_report import write_xlsx

    write_xlsx(result, report)
    listed = [r[1] for r in load_workbook(report)["Needs attention"].iter_rows(min_row=2, values_only=True)]
    assert listed == invalid


def test_a_long_wave_name_with_ampersands_stays_within_excels_header_limit(tmp_path: Path) -> None:
    result = validate_wave(
        read_wave(sheet(tmp_path, "Source,Destination,Behavior\nPC1,NB1,0\n")), RunOptions()
    )
    result.wave.path = "C:\\Waves\\R&D " + "&" * 100 + ".xlsx"
    report = tmp_path / "r.xlsx"
    from importer.report.excel_report import write_xlsx

    write_xlsx(result, report)
    with zipfile.ZipFile(report) as z:
        footer = re.search(r"<oddFooter>(.*?)</oddFooter>", z.read("xl/worksheets/sheet3.xml").decode())
    assert footer is not None and len(html.unescape(footer[1])) <= 255  # Excel's limit
    book = load_workbook(report)
    assert book["Needs attention"]["A1"].value == (  # one row, and still "no row"
        "Nothing needs attention: no row is invalid, unresolved, conflict, failed, unknown or not sent."
    )
    left = book["Results"].oddFooter.left.text
    assert left.startswith("R&&D &&&&") and left.endswith("...") and len(left) <= 80  # & written as &&
