"""What python-calamine reads as empty but is not: error cells (#N/A...) and formulas that
were never calculated (files written by scripts), found in the sheet XML of an .xlsx.

Only sheets that hold a formula or an error are scanned, so a plain wave costs one search.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from defusedxml import ElementTree

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/)?>(?(2)|(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_ERROR_TYPE = re.compile(rb'\bt="e"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


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
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
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
