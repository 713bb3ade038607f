"""Acceptance: every example row ends with the status its Expected column names."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from importer.read.files import decode_csv_bytes, detect_delimiter
from tests.support.helpers import EXAMPLES, association_keys, invoke

SHEETS = sorted(p for p in EXAMPLES.glob("*.csv") if not p.name.endswith(".users.csv"))


def _rows(path: Path) -> list[list[str]]:
    """The example's rows from its header on (a PowerShell export's #TYPE line is skipped, as
    the reader skips it)."""
    text, _ = decode_csv_bytes(path.read_bytes())
    if text.startswith("#TYPE"):
        text = text.split("\n", 1)[1]
    return list(csv.reader(text.splitlines(keepends=True), delimiter=detect_delimiter(text)))


def as_input(sheet: Path, folder: Path) -> Path:
    """The sheet as the tool is to read it: the Expected and Why cells of rows that are not
    pairs cleared (they are the example's words, not the sheet's); the file itself when none."""
    header, *lines = _rows(sheet)
    expected = header.index("Expected")
    if not any(len(line) > expected and line[expected] == "skipped" for line in lines):
        return sheet
    blank = {expected, header.index("Why")}
    cleared = [
        ["" if line[expected] == "skipped" and i in blank else c for i, c in enumerate(line)]
        if len(line) > expected
        else line
        for line in lines
    ]
    folder.mkdir()
    out = folder / sheet.name
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *cleared])
    return out


def named_rows(notice: str) -> list[int]:
    """The row numbers a notice of rows skipped names ("row 5 'Total', rows 7-9 (...)")."""
    listed = re.sub(r"'[^']*'|\([^)]*\)", "", notice.split(":", 1)[1])
    numbers: list[int] = []
    for first, last in re.findall(r"(\d+)(?:-(\d+))?", listed):
        numbers += range(int(first), int(last or first) + 1)
    return numbers


def as_workbook(sheet: Path, users: Path | None, out: Path) -> Path:
    """The same example as an .xlsx: pairs on one sheet, users (if any) on a Users sheet."""
    book = Workbook()
    book.remove(book.active)
    for title, source in (("Wave", sheet), ("Users", users)):
        if source is None:
            continue
        target = book.create_sheet(title)
        for row in _rows(source):
            target.append(row)
        for line in target.iter_rows():
            for cell in line:
                cell.data_type = "s"
    book.save(out)
    return out


@pytest.mark.parametrize("form", ["csv", "xlsx"])
@pytest.mark.parametrize("sheet", SHEETS, ids=[p.stem for p in SHEETS])
def test_example(tmp_path: Path, site_path: Path, sheet: Path, form: str) -> None:
    users = sheet.with_name(sheet.stem + ".users.csv")
    users_file = users if users.exists() else None
    given = as_input(sheet, tmp_path / "in")
    args: list[str | Path]
    if form == "csv":
        args = [given]
        if users_file is not None:
            args += ["--users", users_file]
    else:
        args = [as_workbook(given, users_file, tmp_path / f"{sheet.stem}.xlsx")]
    before = len(association_keys(site_path))
    out = tmp_path / "result.json"
    result = invoke("run", *args, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx")
    header, *lines = _rows(sheet)
    column = header.index("Expected")
    skipped = [n for n, line in enumerate(lines, 2) if len(line) > column and line[column] == "skipped"]
    expected = [line[column] for line in lines if any(c.strip() for c in line) and line[column] != "skipped"]
    # exit 0 when every row is to end created or exists, else 3 (rows need attention)
    assert result.exit_code == (0 if set(expected) <= {"created", "exists"} else 3), result.output
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    expected_rows = len(expected)
    assert len([r for r in rows if r["sheet"] in (sheet.name, "Wave")]) == expected_rows
    checked = [r for r in rows if r["values"].get("Expected")]
    assert len(checked) == expected_rows  # every pair row says what it expects; users rows do not
    mismatches = [
        (
            r["sheet"],
            r["row"],
            r["values"].get("Why", ""),
            r["values"]["Expected"],
            r["status"],
            [m["text"] for m in r["messages"]],
        )
        for r in checked
        if r["values"]["Expected"] != r["status"]
    ]
    assert mismatches == []
    created = sum(r["status"] == "created" for r in rows)
    assert len(association_keys(site_path)) == before + created
    assert [r["status"] for r in checked] == expected
    notices = [n for n in json.loads(out.read_text(encoding="utf-8"))["summary"]["notes"] if "not pair" in n]
    assert [named_rows(n) for n in notices] == ([skipped] if skipped else [])
