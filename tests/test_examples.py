"""Acceptance: every example row ends with the status its Expected column names."""

from __future__ import annotations

import csv
import json
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
    args: list[str | Path]
    if form == "csv":
        args = [sheet]
        if users_file is not None:
            args += ["--users", users_file]
    else:
        args = [as_workbook(sheet, users_file, tmp_path / f"{sheet.stem}.xlsx")]
    before = len(association_keys(site_path))
    out = tmp_path / "result.json"
    result = invoke("run", *args, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx")
    header, *lines = _rows(sheet)
    expected = [line[header.index("Expected")] for line in lines if any(c.strip() for c in line)]
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
