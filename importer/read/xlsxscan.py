"""What python-calamine does not say about an .xlsx: error cells (#N/A...) and formulas that
were never calculated (files written by scripts), found in the sheet XML; and which rows are
an Excel table's totals row (`totalsRowCount`), found in the table parts.

Only sheets that hold a formula or an error are scanned, so a plain wave costs one search.
Every part is read up to a bound and parsed with defusedxml: the tables are read after the file
passed the zip limits, in cmassoc's own process, so no part may cost more than its bound.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from defusedxml import ElementTree

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/)?>(?(2)|(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_RANGE = re.compile(r"\$?[A-Z]{1,3}\$?([0-9]{1,7}):\$?[A-Z]{1,3}\$?([0-9]{1,7})")
INDEX_BOUND = 16 << 20  # workbook.xml and a relationships part: a few KB in any real workbook
TABLE_BOUND = 1 << 20  # a table part: a few hundred bytes per column
MAX_TABLES = 1000
MAX_TOTALS_ROWS = 16  # Excel writes one; a part saying millions costs no more than this


def unvalued_cells(path: Path) -> dict[str, dict[tuple[int, int], tuple[str, str]]]:
    """{sheet name: {(row index, column index): (kind, text)}}, both indexes from 0."""
    found: dict[str, dict[tuple[int, int], tuple[str, str]]] = {}
    with zipfile.ZipFile(path) as archive:
        for name, part in sheet_parts(archive).items():
            try:
                data = archive.read(part)
            except KeyError:
                continue
            if b"<f" not in data and b'"e"' not in data:
                continue
            cells = _scan(data)
            if cells:
                found[name] = cells
    return found


def _scan(data: bytes) -> dict[tuple[int, int], tuple[str, str]]:
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    for match in _CELL.finditer(data):
        attributes, body = match.group(1), match.group(3) or b""
        ref = _REF.search(attributes)
        if ref is None:
            continue
        value = _VALUE.search(body)
        if _ERROR_TYPE.search(attributes):
            kind, text = "error", (value.group(1).decode("utf-8", "replace") if value else "#ERROR")
        elif b"<f" in body and (value is None or not value.group(1)):
            kind, text = "formula", "(formula without a value)"
        else:
            continue
        cells[(int(ref.group(2)) - 1, _column(ref.group(1)))] = (kind, text)
    return cells


def _column(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip part that holds it, from workbook.xml and its relationships."""
    workbook = _parsed(archive, "xl/workbook.xml", INDEX_BOUND)
    rels = _parsed(archive, "xl/_rels/workbook.xml.rels", INDEX_BOUND)
    if workbook is None or rels is None:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for sheet in workbook.iter():
        if sheet.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        target = targets.get(sheet.get(_REL))
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        parts[str(sheet.get("name"))] = part
    return parts


def table_totals(path: Path) -> dict[str, frozenset[int]]:
    """{sheet name: the row indexes (from 0) of its Excel tables' totals rows}; {} for a file
    whose parts cannot be read (the sheet is then read without)."""
    found: dict[str, set[int]] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for count, (sheet, table) in enumerate(_tables(archive)):
                if count >= MAX_TABLES:
                    break
                root = _parsed(archive, table, TABLE_BOUND) if table in names else None
                if root is not None:
                    found.setdefault(sheet, set()).update(_totals_rows(root))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zlib.error):
        # no zip at all (a file named .xlsx is read as what it is), an encrypted or damaged
        # part, or one defusedxml refuses (a ValueError)
        return {}
    return {sheet: frozenset(rows) for sheet, rows in found.items() if rows}


def _tables(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(sheet name, table part) for every table a sheet's relationships name."""
    for sheet, part in sheet_parts(archive).items():
        folder, base = posixpath.split(part)
        rels = _parsed(archive, f"{folder}/_rels/{base}.rels", INDEX_BOUND)
        for rel in [] if rels is None else rels:
            target = rel.get("Target", "")
            if rel.get("Type", "").endswith("/table") and target:
                if target.startswith("/"):
                    yield sheet, target.lstrip("/")
                else:
                    yield sheet, posixpath.normpath(posixpath.join(folder, target))


def _totals_rows(table: Element) -> range:
    """The rows (from 0) a table's totals take: its last `totalsRowCount` rows."""
    span = _RANGE.fullmatch(table.get("ref", ""))
    try:
        count = int(table.get("totalsRowCount", "0"))
    except ValueError:
        return range(0)
    if span is None or count <= 0:
        return range(0)
    first, last = int(span.group(1)), int(span.group(2))
    count = min(count, last - first + 1, MAX_TOTALS_ROWS)
    return range(last - count, last)  # rows last-count+1..last, from 1


def _parsed(archive: zipfile.ZipFile, name: str, bound: int) -> Element | None:
    """A part parsed, or None when it is missing, larger than `bound` or not well-formed."""
    try:
        with archive.open(name) as fh:
            data = fh.read(bound + 1)
    except KeyError:
        return None
    if len(data) > bound:
        return None
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
