"""Rows that are not pairs are never read as pairs, and a row that might be a pair is never
skipped (issue 26, point 2): totals, counts and group headings of one cell or several, an Excel
table's totals row, notes under the table; each named in one notice, none needing attention."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.worksheet.table import Table

from importer import messages
from importer.read.wave import read_wave
from importer.read.xlsxscan import TABLE_BOUND, table_totals
from tests.support.helpers import invoke, sheet

NOT_PAIRS = messages.ROWS_NOT_PAIRS


def counts(status: str, count: int) -> dict[str, int]:
    """The JSON summary's counts when every row ended `status`: no row needs attention."""
    return {status: count, "invalid": 0, "unresolved": 0, "conflict": 0, "failed": 0}


Outcome = tuple[int, dict[str, Any], list[dict[str, Any]], str]


def checked(path: Path, *command: str | Path) -> Outcome:
    """`cmassoc validate PATH` (or `cmassoc COMMAND... PATH`): exit status, the JSON summary and
    rows, and what the console said."""
    out = path.parent / f"{path.stem}.json"
    words = command or ("validate",)
    result = invoke(words[0], path, *words[1:], "--json", out, "--report", path.parent / "r.xlsx")
    data = json.loads(out.read_text(encoding="utf-8"))
    return result.exit_code, data["summary"], data["rows"], result.output


def run_demo(path: Path, site: Path) -> Outcome:
    return checked(path, "run", "--demo", site)


def placed(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(r["row"], r["status"]) for r in rows]


def skipped_notes(path: Path) -> list[tuple[messages.Code, str]]:
    """The notices of rows skipped the library gives, with their codes."""
    notes = read_wave(path).notes
    return [(n.code, str(n)) for n in notes if isinstance(n, messages.Notice) and n.code is NOT_PAIRS]


def test_totals_and_headings_of_one_two_and_three_cells_in_a_csv(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        "Finance - 2 machines,,,\n"  # 2: a group heading, one cell
        "CON-PC0003,CON-NB0003,0,\n"
        "CON-PC0004,CON-NB0004,0,\n"
        "IT Services (1),,,\n"  # 5: a group heading with its count in brackets
        "CON-PC0005,CON-NB0005,0,\n"
        "Subtotal,3,,\n"  # 7: a label and a count
        "Total,3,=SUM(C3:C6),\n"  # 8: a label, a count and a formula
        "Grand total,3 machines,,\n"  # 9: two labels
        "3 computers,,,\n",  # 10: a count alone
    )
    code, summary, rows, output = checked(path)
    assert code == 0, output  # all well: no skipped row needs attention
    assert placed(rows) == [(3, "valid"), (4, "valid"), (6, "valid")]
    assert (summary["rows"], summary["counts"], summary["exit_status"]) == (3, counts("valid", 3), 0)
    text = (
        "Skipped 6 rows that are not pairs: 'wave.csv' row 2 'Finance - 2 machines', "
        "row 5 'IT Services (1)', rows 7-10 (totals or headings)"
    )
    assert summary["notes"][1:] == [text]
    assert f"cmassoc: CMA330 {text}" in output.splitlines()
    assert skipped_notes(path) == [(NOT_PAIRS, text)]


def test_totals_and_headings_in_an_xlsx_with_numbers_and_formulas(tmp_path: Path, site_path: Path) -> None:
    book = openpyxl.Workbook()
    wave = book.active
    wave.title = "Wave"
    for row in (
        ["Wave 12 of the refresh"],
        ["Source", "Destination", "Behavior", "Users", "Notes"],
        [None, None, "Finance - 2 machines"],  # 3: a heading in the third column
        ["CON-PC0003", "CON-NB0003", 0],
        ["CON-PC0004", "CON-NB0004", 0],
        ["IT Services (1)"],  # 6
        ["CON-PC0005", "CON-NB0005", 0],
        ["Subtotal", 3],  # 8: a number
        ["Total", 3, "=SUM(C4:C7)"],  # 9: a formula never calculated
        ["Count", None, None, None, 12.5],  # 10: a number with a fraction
        [None, "Grand total", 3],  # 11: the label in the second column
    ):
        wave.append(row)
    path = tmp_path / "wave.xlsx"
    book.save(path)
    code, summary, rows, output = run_demo(path, site_path)
    assert code == 0, output
    assert placed(rows) == [(4, "created"), (5, "created"), (7, "created")]
    assert (summary["rows"], summary["counts"]) == (3, counts("created", 3))
    text = (
        "Skipped 6 rows that are not pairs: 'wave.xlsx' sheet 'Wave' row 3 'Finance - 2 machines', "
        "row 6 'IT Services (1)', rows 8-11 (totals or headings)"
    )
    assert summary["notes"] == [text]
    report = openpyxl.load_workbook(tmp_path / "r.xlsx")
    notes = [list(row) for row in report["Notes"].iter_rows(values_only=True)]  # a long note: its own sheet
    assert notes == [["Code", "Note"], ["CMA330", text]]


def test_headings_between_groups_are_skipped_and_listed_by_number(tmp_path: Path) -> None:
    lines = ["Source,Destination,Behavior"]
    for group in range(20):  # rows 2, 5, 8...: a heading, then its two pairs
        lines += [f"Group {group} (2)", f"PC{group}A,NB{group}A,0", f"PC{group}B,NB{group}B,0"]
    path = sheet(tmp_path, "\n".join(lines) + "\n")
    code, summary, rows, output = checked(path)
    assert code == 0, output
    assert [r["row"] for r in rows] == [n for n in range(2, 62) if (n - 2) % 3]
    numbers = ", ".join(str(n) for n in range(2, 62, 3))
    assert summary["notes"][1:] == [f"Skipped 20 rows that are not pairs: 'wave.csv' rows {numbers}"]


def test_a_long_list_of_rows_skipped_is_cut_short(tmp_path: Path) -> None:
    lines = ["Source,Destination,Behavior"]
    for group in range(320):
        lines += [f"Building {group} - 1 machine", f"PC{group},NB{group},0"]
    [(_, text)] = skipped_notes(sheet(tmp_path, "\n".join(lines) + "\n"))
    numbers = ", ".join(str(n) for n in range(2, 602, 2))
    assert text == f"Skipped 320 rows that are not pairs: 'wave.csv' rows {numbers}, and 20 more rows"


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_an_excel_tables_totals_row_is_skipped(tmp_path: Path, site_path: Path, writer: str) -> None:
    path = tmp_path / "wave.xlsx"
    pairs = [["CON-PC0003", "CON-NB0003", 0], ["CON-PC0004", "CON-NB0004", 0]]
    if writer == "openpyxl":
        book = openpyxl.Workbook()
        wave = book.active
        wave.title = "Wave"
        for row in (
            ["Source", "Destination", "Behavior"],
            *pairs,
            ["Gesamt", "=SUBTOTAL(103,Wave1[Destination])"],
        ):
            wave.append(row)
        wave.add_table(Table(displayName="Wave1", ref="A1:C4", totalsRowCount=1))
        book.save(path)
    else:
        workbook = xlsxwriter.Workbook(path)
        wave = workbook.add_worksheet("Wave")
        columns = [
            {"header": "Source", "total_string": "Gesamt"},  # no English label: the table says it
            {"header": "Destination", "total_function": "count"},
            {"header": "Behavior"},
        ]
        wave.add_table("A1:C4", {"data": pairs, "total_row": True, "columns": columns})
        workbook.close()
    assert table_totals(path) == {"Wave": frozenset({3})}
    code, summary, rows, output = run_demo(path, site_path)
    assert code == 0, output  # a clean wave with a totals row: all well
    assert placed(rows) == [(2, "created"), (3, "created")]
    assert (summary["rows"], summary["counts"]) == (2, counts("created", 2))
    text = "Skipped 1 row that is not a pair: 'wave.xlsx' sheet 'Wave' row 4 (an Excel table's totals row)"
    assert summary["notes"] == [text]
    assert f"cmassoc: CMA330 {text}" in output.splitlines()


def test_a_totals_row_with_two_computer_names_is_a_pair(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for index, (title, last) in enumerate((("North", ["Gesamt", 1]), ("South", ["PC9", "NB9", 0]))):
        wave = book.active if index == 0 else book.create_sheet()
        wave.title = title
        for row in (["Source", "Destination", "Behavior"], [f"PC{index}", f"NB{index}", 0], last):
            wave.append(row)
        wave.add_table(Table(displayName=title, ref="A1:C3", totalsRowCount=1))
    path = tmp_path / "wave.xlsx"
    book.save(path)
    code, summary, rows, output = checked(path)
    assert code == 0, output
    assert [(r["sheet"], r["row"], r["status"]) for r in rows] == [
        ("North", 2, "valid"),
        ("South", 2, "valid"),
        ("South", 3, "valid"),  # the totals row, but two computer names: a pair
    ]
    assert summary["notes"] == [
        "Skipped 1 row that is not a pair: 'wave.xlsx' sheet 'North' row 3 (an Excel table's totals row)"
    ]


def test_notes_under_the_table_after_a_blank_row(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior\n"
        "CON-PC0003,CON-NB0003,0\n"
        ",,\n"
        "CON-PC0004,CON-NB0004,0\n"  # 4: pairs after a blank row are read
        ",,\n"
        "Notes:,,\n"  # 6
        "This list was checked by the service desk on 3 May,,\n"  # 7
        ",,\n"
        "----------,,\n"  # 9: a line drawn
        "2,2,\n"  # 10: numbers, no computer's name
        "Call the desk before moving any computer,,\n",  # 11
    )
    code, summary, rows, output = checked(path)
    assert code == 0, output
    assert placed(rows) == [(2, "valid"), (4, "valid")]
    assert (summary["rows"], summary["counts"]) == (2, counts("valid", 2))
    assert summary["notes"][1:] == [
        "Skipped 5 rows that are not pairs: 'wave.csv' rows 6-7 (notes under the table), "
        "rows 9-11 (notes under the table)"
    ]


def test_a_row_that_might_be_a_pair_is_never_skipped(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior\n"
        "TOTAL-PC01,CON-NB0005,0\n"  # 2: two computer names: a pair
        "PC-TOTAL01,PC-NEW01,0\n"  # 3
        "Total: 3,PC-NEW01,0\n"  # 4: a label beside a computer name: read, and wrong
        "Finance,12,\n"  # 5: a heading that could be a computer's name
        "Total,5,\n"  # 6: a total
        ",,\n"
        "CON-PC0042 moves to CON-NB0042 later,,\n"  # 8: free text naming computers
        "Approved,,\n",  # 9: one word, a computer name as far as anyone can tell
    )
    code, summary, rows, output = checked(path)
    assert code == 3, output
    assert placed(rows) == [
        (2, "valid"),
        (3, "valid"),
        (4, "invalid"),
        (5, "invalid"),
        (8, "invalid"),
        (9, "invalid"),
    ]
    assert summary["notes"][1:] == ["Skipped 1 row that is not a pair: 'wave.csv' row 6 'Total'"]


def test_one_notice_names_the_rows_of_every_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "North"
    for row in (["Source", "Destination"], ["PC1", "NB1"], ["Total", 1]):
        first.append(row)
    second = book.create_sheet("South")
    for row in (["Source", "Destination"], ["Sales (1)"], ["PC2", "NB2"], ["Total", 1]):
        second.append(row)
    path = tmp_path / "wave.xlsx"
    book.save(path)
    assert skipped_notes(path) == [
        (
            NOT_PAIRS,
            "Skipped 3 rows that are not pairs: 'wave.xlsx' sheet 'North' row 3 'Total'; "
            "'wave.xlsx' sheet 'South' row 2 'Sales (1)', row 4 'Total'",
        )
    ]


def test_the_templates_example_row_notice_has_its_code(tmp_path: Path) -> None:
    template = tmp_path / "t.xlsx"
    assert invoke("template", template).exit_code == 0
    example = [n for n in read_wave(template).notes if "example row" in n]
    assert [(getattr(n, "code", None), str(n)) for n in example] == [
        (
            messages.EXAMPLE_ROW_IGNORED,
            "'t.xlsx' sheet 'Associations': the template's example row was left as it is: ignored",
        )
    ]
    assert messages.EXAMPLE_ROW_IGNORED.code == "CMA331" and NOT_PAIRS.code == "CMA330"


def _with_table_part(path: Path, part: bytes) -> Path:
    """`path` again, its table part replaced by `part`."""
    out = path.with_name("hostile.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = part if item.filename == "xl/tables/table1.xml" else src.read(item.filename)
            dst.writestr(item.filename, data)
    return out


def test_a_hostile_or_oversized_table_part_is_not_read(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    wave = book.active
    for row in (["Source", "Destination", "Behavior"], ["PC1", "NB1", 0], ["Gesamt", 1]):
        wave.append(row)
    wave.add_table(Table(displayName="Wave1", ref="A1:C3", totalsRowCount=1))
    path = tmp_path / "wave.xlsx"
    book.save(path)
    assert table_totals(path) == {"Sheet": frozenset({2})}
    code, summary, rows, output = checked(path)
    assert (code, placed(rows), summary["rows"]) == (0, [(2, "valid")], 1), output
    table = (
        b'<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ref="A1:C3" '
        b'totalsRowCount="1" name="&b;"/>'
    )
    laughs = b'<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' + table
    entities = _with_table_part(path, laughs)
    assert table_totals(entities) == {}  # defusedxml refuses entities: no totals row known
    code, summary, rows, output = checked(entities)
    assert (code, placed(rows), summary["notes"]) == (3, [(2, "valid"), (3, "invalid")], []), output
    plain = table.replace(b' name="&b;"', b"")
    assert table_totals(_with_table_part(path, plain)) == {"Sheet": frozenset({2})}
    large = _with_table_part(path, b"<!--" + b" " * TABLE_BOUND + b"-->" + plain)
    assert table_totals(large) == {}  # read up to its bound, and no further
