"""Finding the header row of a sheet, and what each of its columns means.

The header may sit under a title; it is the first of the first rows that names a source and
a destination (through the aliases or --map), or the console's Import Computer Information
file without one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from importer import messages
from importer.check.values import parse_mac, parse_smbios_guid
from importer.errors import InputError
from importer.model import fields as C
from importer.model.fields import column_letter
from importer.model.text import quoted
from importer.read import aliases
from importer.read.sheet import Sheet

HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class Header:
    row: int  # 1-based
    names: list[str]  # as written, made unique
    fields: dict[str, int]  # canonical field -> column index
    ignored: frozenset[int] = frozenset()  # columns --ignore-column leaves unread


def _column_fields(
    cells: Sequence[str], mapping: Mapping[str, str] | None = None, ignore: Collection[str] = ()
) -> list[str | None]:
    """The field each header cell names: --map first, then the aliases; --ignore-column (headers
    casefolded) leaves a column unread. "Name" is the new computer in the console's Import
    Computer Information file (a Source Computer and a MAC or GUID column, no destination)."""
    mapped = {header.strip().casefold(): fld for fld, header in (mapping or {}).items()}
    fields = [
        None
        if cell.strip().casefold() in ignore
        else mapped.get(cell.strip().casefold()) or (aliases.field_for(cell) if cell else None)
        for cell in cells
    ]
    if mapped:  # a mapped field is that column only, even where an alias would name another
        taken = set(mapped.values())
        fields = [
            f if f not in taken or cells[i].strip().casefold() in mapped else None
            for i, f in enumerate(fields)
        ]
    if C.DESTINATION not in fields and C.SOURCE in fields and (C.MAC in fields or C.SMBIOS_GUID in fields):
        for index, cell in enumerate(cells):
            if fields[index] is None and aliases.squash(cell) in ("name", "computername", "netbiosname"):
                fields[index] = C.DESTINATION
                break
    return fields


def header_fields(
    cells: Sequence[str], mapping: Mapping[str, str] | None = None, ignore: Collection[str] = ()
) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, fld in enumerate(_column_fields(cells, mapping, ignore)):
        if fld is not None and fld not in found:
            found[fld] = index
    return found


def _wizard_header(sheet: Sheet) -> Header | None:
    """The console's Import Computer Information file without its header: Name, SMBIOS GUID,
    MAC Address, Source Computer, recognised by a MAC or GUID in the first data row."""
    first = next((r for r in sheet.head(HEADER_SEARCH_ROWS) if any(c.strip() for c in r)), None)
    if first is None:
        return None
    cells = [c.strip() for c in first]
    while cells and not cells[-1]:
        cells.pop()
    if not 3 <= len(cells) <= 4 or not cells[0]:
        return None
    looks_mac = bool(cells[2]) and parse_mac(cells[2], "").value is not None
    looks_guid = bool(cells[1]) and parse_smbios_guid(cells[1], "").value is not None
    if not (looks_mac or looks_guid):
        return None
    return Header(0, list(aliases.WIZARD_HEADER), {C.DESTINATION: 0, C.SMBIOS_GUID: 1, C.MAC: 2, C.SOURCE: 3})


def find_header(
    sheet: Sheet,
    required: Iterable[str],
    mapping: Mapping[str, str] | None = None,
    ignore: Collection[str] = (),
) -> Header | None:
    needed = set(required)
    for index, cells in enumerate(sheet.head(HEADER_SEARCH_ROWS)):
        fields = header_fields(cells, mapping, ignore)
        if needed <= fields.keys():
            return _make_header(sheet, index, cells, mapping, ignore)
    return None


def _make_header(
    sheet: Sheet,
    index: int,
    cells: list[str],
    mapping: Mapping[str, str] | None = None,
    ignore: Collection[str] = (),
) -> Header:
    width = max(sheet.width, len(cells))
    names: list[str] = []
    taken: set[str] = set()
    repeats: dict[str, int] = {}
    fields: dict[str, int] = {}
    kinds = _column_fields([c.strip() for c in cells], mapping, ignore)
    ignored = frozenset(i for i, c in enumerate(cells) if c.strip() and c.strip().casefold() in ignore)
    for col in range(width):
        raw = cells[col].strip() if col < len(cells) else ""
        base = name = raw or f"Column {column_letter(col)}"
        number = repeats.get(base, 1)
        while name in taken:  # amortised linear: each base name remembers its last number
            number += 1
            name = f"{base} ({number})"
        repeats[base] = number
        names.append(name)
        taken.add(name)
        fld = kinds[col] if col < len(kinds) else None
        if fld is None:
            continue
        if fld in fields:
            raise InputError(
                f"{sheet.where} row {index + 1}: columns "
                f"{column_letter(fields[fld])} ('{names[fields[fld]]}') and "
                f"{column_letter(col)} ('{name}') both mean {C.FIELD_TITLES[fld]}.",
                f'Delete or rename one of them, or leave one out: --ignore-column "{name}".',
                code=messages.HEADER_SAME_FIELD,
            )
        fields[fld] = col
    return Header(index + 1, names, fields, ignored)


def classify(
    sheet: Sheet, mapping: Mapping[str, str] | None = None, ignore: Collection[str] = ()
) -> tuple[str, Header | None]:
    if aliases.is_users_sheet_name(sheet.name):
        header = find_header(sheet, (C.SOURCE, C.USERS))
        if header is not None:
            return "users", header
    header = find_header(sheet, (C.SOURCE, C.DESTINATION), mapping, ignore) or _wizard_header(sheet)
    return ("pairs", header) if header is not None else ("other", None)


def data_rows(sheet: Sheet, header: Header) -> Iterable[tuple[int, list[str]]]:
    for index in sheet.filled_rows(header.row).tolist():
        yield index + 1, sheet.row(index)


def first_texts(sheets: Sequence[Sheet], limit: int = 12) -> list[str]:
    """The first non-empty cells of the first sheets, as a person would see them."""
    seen: list[str] = []
    for sheet in sheets:
        for cells in sheet.head(HEADER_SEARCH_ROWS):
            for cell in cells:
                text = quoted(cell.strip())  # one line, however long or odd the cell
                if text and text not in seen:
                    seen.append(text)
                if len(seen) >= limit:
                    return seen
    return seen


def check_mapping(sheet: Sheet, header: Header, mapping: Mapping[str, str]) -> None:
    for fld, wanted in mapping.items():
        if fld not in header.fields and fld not in (C.SOURCE, C.DESTINATION):
            names = ", ".join(f"'{n}'" for n in header.names[:12])
            raise InputError(
                f'{sheet.where}: --map {C.FIELD_TITLES[fld]}="{wanted}" names no column of the header '
                f"(row {header.row}: {names}).",
                "Give the header exactly as it is written in the sheet.",
                code=messages.MAP_NO_COLUMN,
            )
