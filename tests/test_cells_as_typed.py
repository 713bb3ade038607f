"""Cells stay the text the user typed (or Excel showed) through `cmassoc validate` and both of its
reports: leading zeros, NA, TRUE, dates, numbers. The JSON report's `values` and the Excel
report's Results sheet carry each input cell as text, a text cell in Excel (data type 's')."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from importer import messages as M
from importer.cli import cli

HEADER = ["Source", "Destination", "Behavior", "Notes"]
ALL_DIGITS = M.NAME_ALL_DIGITS.code
NUMBER_NAME = M.CELL_TYPED_VALUE.code


@dataclass
class Reports:
    rows: list[dict[str, Any]]  # the JSON report's rows
    results: list[dict[str, tuple[object, str]]]  # the Results sheet: header -> (value, data type)


def validate(sheet: Path, exit_code: int = 0) -> Reports:
    """`cmassoc validate SHEET --json ... --report ...`, and both reports read back; it exits
    `exit_code` (3 when a row is invalid)."""
    out, report = sheet.parent / "answer.json", sheet.parent / "report.xlsx"
    done = CliRunner().invoke(
        cli, ["validate", str(sheet), "--json", str(out), "--report", str(report)], catch_exceptions=False
    )
    assert done.exit_code == exit_code, done.output
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    book = openpyxl.load_workbook(report)
    cells = [list(r) for r in book["Results"].iter_rows()]
    at = next(i for i, r in enumerate(cells) if r[0].value == "Sheet")  # the header row
    headers = [c.value for c in cells[at]]
    results = [{h: (c.value, c.data_type) for h, c in zip(headers, r, strict=True)} for r in cells[at + 1 :]]
    return Reports(rows, results)


def xlsx_wave(tmp_path: Path, *rows: list[object]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Wave"
    for row in [HEADER, *rows]:
        sheet.append(row)
    path = tmp_path / "wave.xlsx"
    book.save(path)
    return path


def csv_wave(tmp_path: Path, *rows: list[str]) -> Path:
    path = tmp_path / "wave.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def said(row: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(m["level"], m["column"], m["code"]) for m in row["messages"]]


def quoted(row: dict[str, Any]) -> list[str]:
    """The cells the row's messages quote, as the message shows them."""
    return [q for m in row["messages"] for q in re.findall(r"'([^']*)'", m["text"])]


# A carried column (one the import does not read) ----------------------------------------------


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("00123", "00123"),
        ("NA", "NA"),
        ("N/A", "N/A"),
        ("TRUE", "TRUE"),  # typed as text
        (True, "TRUE"),  # a real TRUE/FALSE cell
        (False, "FALSE"),
        (dt.date(2026, 12, 7), "2026-12-07"),  # a real date cell
        (dt.datetime(2026, 12, 7), "2026-12-07"),
        (dt.datetime(2026, 12, 7, 14, 30, 5), "2026-12-07 14:30:05"),
        (dt.time(8, 30), "08:30:00"),
        (12.5, "12.5"),  # a number cell with a fraction
        (42, "42"),  # a whole number cell
        (42.0, "42"),
        (-3, "-3"),
        ("1.50", "1.50"),  # typed as text: its trailing zero stays
        ("12.5", "12.5"),
        ("  padded  ", "  padded  "),
    ],
)
def test_xlsx_cells_in_a_carried_column_read_as_typed(tmp_path: Path, cell: object, text: str) -> None:
    got = validate(xlsx_wave(tmp_path, ["PC1", "NB1", 0, cell]))
    [row], [result] = got.rows, got.results
    assert (row["status"], said(row)) == ("valid", [])
    assert row["values"] == {"Source": "PC1", "Destination": "NB1", "Behavior": "0", "Notes": text}
    assert result["Notes"] == (text, "s")


@pytest.mark.parametrize(
    "text",
    [
        "00123",
        "NA",
        "N/A",
        "TRUE",
        "2026-12-07",
        "07/12/2026",
        "12.5",
        "42",
        "1.50",
        "  padded  ",
        "=1+1",
        "#N/A",
    ],
)
def test_csv_cells_in_a_carried_column_read_as_typed(tmp_path: Path, text: str) -> None:
    got = validate(csv_wave(tmp_path, ["PC1", "NB1", "0", text]))
    [row], [result] = got.rows, got.results
    assert (row["status"], said(row)) == ("valid", [])
    assert row["values"] == {"Source": "PC1", "Destination": "NB1", "Behavior": "0", "Notes": text}
    assert result["Notes"] == (text, "s")


def test_xlsx_cells_of_every_kind_side_by_side(tmp_path: Path) -> None:
    """The same cells on the rows of one sheet: each reads as typed, whatever its neighbours are."""
    cells: list[object] = ["00123", "NA", "N/A", "TRUE", True, dt.date(2026, 12, 7), 12.5, 42, "1.50"]
    texts = ["00123", "NA", "N/A", "TRUE", "TRUE", "2026-12-07", "12.5", "42", "1.50"]
    got = validate(xlsx_wave(tmp_path, *([f"PC{i}", f"NB{i}", 0, c] for i, c in enumerate(cells))))
    assert [r["values"]["Notes"] for r in got.rows] == texts
    assert [r["Notes"] for r in got.results] == [(t, "s") for t in texts]


# A computer name column -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_leading_zeros_in_a_computer_name_stay(tmp_path: Path, kind: str) -> None:
    """An all-digit name is no computer's (Windows refuses them), but the cell stays as typed."""
    if kind == "xlsx":
        sheet = xlsx_wave(tmp_path, ["00123", "NB1", 0, "x"])
    else:
        sheet = csv_wave(tmp_path, ["00123", "NB1", "0", "x"])
    got = validate(sheet, exit_code=3)
    [row], [result] = got.rows, got.results
    assert (row["status"], row["source"], said(row)) == (
        "invalid",
        None,
        [("error", "Source", ALL_DIGITS)],
    )
    assert quoted(row) == ["00123"]  # the cell as typed, leading zeros and all
    assert row["values"]["Source"] == "00123"
    assert result["Source computer"] == (None, "n")  # no name was read
    assert result["Source"] == ("00123", "s")
    assert result["Messages"] == (f"ERROR {ALL_DIGITS} Source: " + row["messages"][0]["text"], "s")


def test_a_number_with_a_fraction_in_a_name_column_is_said_to_be_a_number(tmp_path: Path) -> None:
    got = validate(xlsx_wave(tmp_path, [12.5, "NB1", 0, 12.5]), exit_code=3)
    [row], [result] = got.rows, got.results
    assert (row["status"], row["source"], said(row)) == ("invalid", None, [("error", "Source", NUMBER_NAME)])
    assert quoted(row) == ["12.5"]
    assert row["values"] == {"Source": "12.5", "Destination": "NB1", "Behavior": "0", "Notes": "12.5"}
    assert result["Source computer"] == (None, "n")  # no name was read
    assert result["Source"] == ("12.5", "s")
    assert result["Notes"] == ("12.5", "s")
    assert result["Messages"] == (f"ERROR {NUMBER_NAME} Source: " + row["messages"][0]["text"], "s")


def test_a_whole_number_cell_as_a_computer_name_reads_as_its_digits(tmp_path: Path) -> None:
    got = validate(xlsx_wave(tmp_path, [42, "NB1", 0, None]), exit_code=3)
    [row], [result] = got.rows, got.results
    assert (row["status"], row["source"], said(row)) == (
        "invalid",
        None,
        [("error", "Source", ALL_DIGITS)],
    )
    assert quoted(row) == ["42"]
    assert row["values"]["Source"] == "42"
    assert result["Source"] == ("42", "s")


# Text no spreadsheet shows as it is -----------------------------------------------------------


def test_awkward_text_comes_back_as_it_was(tmp_path: Path) -> None:
    cells = ["line\nbreak", "ü\u200b", "tab\tinside", "\u00a0non-breaking\u00a0", "z" * 32_767]
    got = validate(csv_wave(tmp_path, *([f"PC{i}", f"NB{i}", "0", c] for i, c in enumerate(cells))))
    assert [(r["status"], said(r)) for r in got.rows] == [("valid", [])] * len(cells)
    assert [r["values"]["Notes"] for r in got.rows] == cells
    assert [r["Notes"] for r in got.results] == [(c, "s") for c in cells]


def test_a_control_character_is_shown_escaped_in_the_excel_report(tmp_path: Path) -> None:
    """A workbook cannot hold NUL: the Excel report shows it as \\x00; the JSON holds it as it is."""
    got = validate(csv_wave(tmp_path, ["PC1", "NB1", "0", "\x00inside"]))
    assert got.rows[0]["values"]["Notes"] == "\x00inside"
    assert got.results[0]["Notes"] == ("\\x00inside", "s")


def test_a_cell_longer_than_excel_allows_is_cut_visibly_in_both_reports(tmp_path: Path) -> None:
    got = validate(csv_wave(tmp_path, ["PC1", "NB1", "0", "x" * 70_000]), exit_code=3)
    marker = " [... cut: 70,000 characters in all]"
    cut = "x" * (32_767 - len(marker)) + marker
    assert said(got.rows[0]) == [("error", "Notes", M.CELL_TOO_LONG.code)]
    assert got.rows[0]["messages"][0]["text"].startswith("70,000 characters")  # how long it was
    assert got.rows[0]["values"]["Notes"] == cut
    assert got.results[0]["Notes"] == (cut, "s")
