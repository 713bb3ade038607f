"""Reports read back: the run they name, from reports release 0.1.0 wrote and from today's, and
files that only look like reports refused in one line."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from openpyxl import Workbook

from importer.errors import InputError
from importer.report.readback import is_report, run_from_report
from tests.support.helpers import SAMPLES, invoke

FIXTURES = Path(__file__).parent / "fixtures" / "release-0.1.0"
OLD_RUN = "20261207-054048-b541"
OLD_JOURNAL = "/tmp/fx/cmassoc-journal.db"  # where the fixtures were made


@pytest.mark.parametrize("suffix", [".xlsx", ".json"])
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("run-report", (OLD_RUN, OLD_JOURNAL)),
        ("status-report", (OLD_RUN, None)),
        ("undo-report", (OLD_RUN, OLD_JOURNAL)),
        ("validate-report", (None, None)),
    ],
)
def test_reports_of_release_0_1_0(name: str, expected: tuple[str | None, str | None], suffix: str) -> None:
    assert run_from_report(FIXTURES / f"{name}{suffix}") == expected


def test_files_of_release_0_1_0_that_are_no_report() -> None:
    assert not is_report(FIXTURES / "export.xlsx")
    assert not is_report(FIXTURES / "wave-01.xlsx")


@pytest.mark.parametrize("report", ["run-report.xlsx", "run-report.json", "status-report.xlsx"])
def test_undo_and_status_find_the_run_of_an_old_report(tmp_path: Path, report: str) -> None:
    for name in ("cmassoc-journal.db", "demo-site.db", report):
        shutil.copy(FIXTURES / name, tmp_path / name)
    site, journal = tmp_path / "demo-site.db", tmp_path / "cmassoc-journal.db"
    out = tmp_path / "undo.json"
    undo = invoke("undo", tmp_path / report, "--demo", site, "--journal", journal, "--dry-run", "--json", out)
    assert undo.exit_code == 0, undo.output
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    assert summary["run_id"] == OLD_RUN and summary["counts"]["planned"] == 6
    status = invoke("status", tmp_path / report, "--demo", site, "--journal", journal, "--json", out)
    assert status.exit_code == 0, status.output
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["rows"] == 12


def test_reports_written_today(tmp_path: Path, site_path: Path) -> None:
    run, status, undo, check = (tmp_path / n for n in ("run", "status", "undo", "validate"))
    wave = SAMPLES / "wave-01.xlsx"
    assert (
        invoke("run", wave, "--demo", site_path, "--report", f"{run}.xlsx", "--json", f"{run}.json").exit_code
        == 3
    )
    run_id = json.loads(Path(f"{run}.json").read_text(encoding="utf-8"))["summary"]["run_id"]
    journal = str(tmp_path / "journal.db")  # conftest's CMASSOC_JOURNAL
    made = invoke(
        "status", f"{run}.xlsx", "--demo", site_path, "--report", f"{status}.xlsx", "--json", f"{status}.json"
    )
    assert made.exit_code == 0, made.output
    made = invoke(
        "undo",
        f"{run}.json",
        "--demo",
        site_path,
        "--dry-run",
        "--report",
        f"{undo}.xlsx",
        "--json",
        f"{undo}.json",
    )
    assert made.exit_code == 0, made.output
    assert invoke("validate", wave, "--report", f"{check}.xlsx", "--json", f"{check}.json").exit_code == 3
    for suffix in (".xlsx", ".json"):
        assert run_from_report(Path(f"{run}{suffix}")) == (run_id, journal)
        assert run_from_report(Path(f"{status}{suffix}"))[0] == run_id
        assert run_from_report(Path(f"{undo}{suffix}")) == (run_id, journal)
        assert run_from_report(Path(f"{check}{suffix}")) == (None, None)


def test_the_json_summary_is_found_wherever_it_stands(tmp_path: Path) -> None:
    summary = {
        "tool": "cmassoc (cm-association-importer)",
        "run_id": "20261123-101010-abcd",
        "journal": "j.db",
    }
    laid_out = [
        json.dumps({"summary": summary, "rows": []}, indent=2),  # a script pretty-printed it
        "\ufeff \n" + json.dumps({"rows": [{"row": 2}], "summary": summary}),  # BOM, blanks, rows first
        json.dumps({"summary": summary, "rows": [{"values": {"x": "y" * 2_000_000}}]}),  # large after it
    ]
    for number, text in enumerate(laid_out):
        path = tmp_path / f"r{number}.json"
        path.write_text(text, encoding="utf-8")
        assert run_from_report(path) == ("20261123-101010-abcd", "j.db"), text[:80]


def _refused(path: Path, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        run_from_report(path)
    said = str(caught.value)
    assert fragment in said and "\n" not in said and len(said) < 400, said
    assert not is_report(path)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[1, 2, 3]", "is not a cmassoc report"),
        (
            '{"summary": {"tool": "another tool", "run_id": "20261123-101010-abcd"}, "rows": []}',
            "not cmassoc's",
        ),
        ('{"summary": "20261123-101010-abcd"}', "not cmassoc's"),
        ('{"rows": [' + '{"row": 1}, ' * 200_000 + '{"row": 2}], "summary": {}}', "is not a cmassoc report"),
        ('{"summary": {"x": "' + "y" * 2_000_000 + '"},\n', "is not a cmassoc report"),
        ('{"summary": {"tool": "cmassoc (cm-association-importer)", "run_id": "../../etc"}}', "run ID"),
        ("", "is not a cmassoc report"),
        ('{"rows": ' + "[" * 100_000, "is not a cmassoc report"),
        ("{}", "is not a cmassoc report"),
    ],
    ids=[
        "a-list",
        "another-tool",
        "not-an-object",
        "summary-past-a-megabyte",
        "huge-summary",
        "run-id",
        "empty",
        "deeply-nested",
        "empty-object",
    ],
)
def test_json_that_is_no_report_of_ours(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "forged.json"
    path.write_text(text, encoding="utf-8")
    _refused(path, fragment)


def _summary_book(path: Path, rows: int, width: int = 1, title: str = "Computer association import") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Summary"
    sheet.append([title])
    for n in range(rows):
        sheet.append([f"label {n}", *range(width)])
    sheet.append(["Run ID", "20261123-101010-abcd"])
    book.save(path)
    return path


def test_excel_that_is_no_report_of_ours(tmp_path: Path) -> None:
    (tmp_path / "text.xlsx").write_text("not a zip at all", encoding="utf-8")
    _refused(tmp_path / "text.xlsx", "cannot be read as a spreadsheet")
    _refused(_summary_book(tmp_path / "long.xlsx", 5_000), "Summary sheet is far larger than a report's")
    _refused(
        _summary_book(tmp_path / "wide.xlsx", 100, width=1000), "Summary sheet is far larger than a report's"
    )
    _refused(_summary_book(tmp_path / "other.xlsx", 3, title="Budget 2026"), "Summary sheet is not cmassoc's")
    book = Workbook()
    book.active.title = "Wave"
    book.save(tmp_path / "wave.xlsx")
    _refused(tmp_path / "wave.xlsx", "it has no Summary sheet")
    assert run_from_report(_summary_book(tmp_path / "ours.xlsx", 3)) == ("20261123-101010-abcd", None)


def test_a_workbook_whose_shared_strings_are_large_is_not_read_whole(tmp_path: Path) -> None:
    """A wave sheet saved by Excel keeps its text in one shared part: telling it is no report
    must not read that part (status takes a wave or a report)."""
    book = xlsxwriter.Workbook(tmp_path / "big.xlsx")  # shared strings, as Excel saves them
    sheet = book.add_worksheet("Summary")
    sheet.write_string(0, 0, "Computer association import")
    for n in range(1, 40_000):
        sheet.write_string(n, 0, f"CON-PC{n:06d}-{'x' * 30}")
    book.close()
    _refused(tmp_path / "big.xlsx", "its part 'xl/sharedStrings.xml' is far larger than a report's")


@pytest.mark.parametrize(
    ("part", "becomes"),
    [
        ("xl/workbook.xml", b"<workbook"),
        ("xl/worksheets/sheet1.xml", b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c'),
        ("xl/styles.xml", b"<styleSheet"),
        ("xl/workbook.xml", None),
        ("[Content_Types].xml", None),
    ],
    ids=["workbook-cut", "summary-cut", "styles-cut", "no-workbook", "no-content-types"],
)
def test_a_broken_report_is_refused_in_one_line(tmp_path: Path, part: str, becomes: bytes | None) -> None:
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(FIXTURES / "run-report.xlsx") as old, zipfile.ZipFile(broken, "w") as new:
        for name in old.namelist():
            if name != part:
                new.writestr(name, old.read(name))
            elif becomes is not None:
                new.writestr(name, becomes)
    _refused(broken, "broken.xlsx' is not a cmassoc report: it cannot be read (")
