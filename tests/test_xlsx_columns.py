"""The column-wise Excel writer writes the same XML, byte for byte, as the row-at-a-time
loop it replaced (tests/rowwise_xlsx.py), for every kind of cell and mix of them."""

from __future__ import annotations

import datetime as dt
import random
import zipfile
from enum import IntEnum
from pathlib import Path

import pytest

from importer.columns import column_letter
from importer.limits import EXCEL_MAX_CELL
from importer.model import Typed
from importer.report.xlsx_writer import BOLD, PLAIN, WRAP, StreamingWorkbook, fill_style
from tests.rowwise_xlsx import row_xml


class _Level(IntEnum):
    LOW = 1


def _value(rng: random.Random, kind: str) -> object:
    if kind == "text":
        return rng.choice(
            ["OLD001", "", "a&b", "<x>", "tab\there", "line\nnext", "\x01bell", "=SUM(A1)", "é✓"]
        )
    if kind == "number":
        return rng.choice([0, 7, -3, 2.5, 1e20, 123456789012])
    if kind == "mixed":
        return _value(rng, rng.choice(["text", "number", "none", "other"]))
    if kind == "other":
        return rng.choice(
            [
                True,
                False,
                dt.datetime(2026, 3, 1, 12, 30),
                dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC),
                Typed("1.5", "number"),
                _Level.LOW,
                dt.date(2026, 1, 2),
            ]
        )
    return None


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        text = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    return text[text.index("<sheetData>") : text.index("</sheetData>")]


@pytest.mark.parametrize("seed", range(6))
def test_columns_write_what_the_row_loop_wrote(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    kinds = [rng.choice(["text", "number", "mixed", "other", "none"]) for _ in range(rng.randint(1, 30))]
    count = rng.randint(1, 300)
    columns = [[_value(rng, kind) for _ in range(count)] for kind in kinds]
    if seed == 0:  # a cell too long for Excel, in a row of short ones
        columns[0][count // 2] = "x" * (EXCEL_MAX_CELL + 5)
    fills = [fill_style(i) for i in range(3)]
    styles: list[int | list[int]] = [rng.choice([PLAIN, BOLD, WRAP]) for _ in kinds]
    styles[rng.randrange(len(kinds))] = [rng.choice(fills) for _ in range(count)]  # a Status column
    lines = [rng.choice([1, 1, 2, 5, 40]) for _ in range(count)]
    path = tmp_path / "out.xlsx"
    with StreamingWorkbook(path, fills=["FF0000", "00FF00", "0000FF"]) as book:
        book.add_sheet("Results")
        book.row(["Header"], [BOLD])
        book.rows(columns, styles, lines)
        date_style = book.date_style
        reached = book._sheets[-1].columns
        book.end_sheet()
    letters = [column_letter(i) for i in range(len(kinds))]
    expected = ['<row r="1"><c r="A1" s="1" t="inlineStr"><is><t>Header</t></is></c></row>']
    widest = 1
    for i in range(count):
        row_styles = [s if isinstance(s, int) else s[i] for s in styles]
        xml, width = row_xml(i + 2, [c[i] for c in columns], row_styles, lines[i], letters, date_style)
        expected.append(xml)
        widest = max(widest, width)
    assert _sheet_xml(path) == "<sheetData>" + "".join(expected)
    assert reached == widest


@pytest.mark.parametrize(
    "odd",
    [
        None,
        " lead",
        "trail ",
        "a&b",
        "<x>",
        "a>b",
        "tab\tin",
        "line\nnext",
        "\x7f",
        "é",
        "",
        "x" * (EXCEL_MAX_CELL + 3),
    ],
)
@pytest.mark.parametrize("at", [0, 2, 4])
def test_a_column_of_plain_text_with_one_odd_cell(tmp_path: Path, odd: str | None, at: int) -> None:
    """Plain ASCII columns are written as they are, decided over the whole column at once:
    one cell anywhere that needs more (escaping, xml:space, cutting) must still get it."""
    columns: list[list[object]] = [["OLD1", "NEW 2", "x" * EXCEL_MAX_CELL, "", "z9"] for _ in range(3)]
    columns[1][at] = odd
    columns[2] = ["y" * 20_000] * 5  # long together, short each
    path = tmp_path / "out.xlsx"
    with StreamingWorkbook(path) as book:
        book.add_sheet("Results")
        book.rows(columns, [PLAIN, WRAP, PLAIN], None)
        date_style = book.date_style
        book.end_sheet()
    letters = [column_letter(i) for i in range(3)]
    expected = [
        row_xml(i + 1, [c[i] for c in columns], [0, 2, 0], 1, letters, date_style)[0] for i in range(5)
    ]
    assert _sheet_xml(path) == "<sheetData>" + "".join(expected)
