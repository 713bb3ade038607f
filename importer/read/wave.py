"""Read a wave sheet (xlsx family or csv) into text rows that remember sheet and row number.

Every cell is read as text as the user sees it: leading zeros, "NA" and dates stay
as they are. python-calamine is read directly rather than through pandas so that
row positions stay exact and a date cell reads as a date, not a timestamp.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from importer.check.names import PLAIN_NAME, parse_mac, parse_smbios_guid
from importer.errors import InputError
from importer.limits import CSV_FIELD_LIMIT, EXCEL_MAX_COLUMNS, MAX_SHEET_CELLS, InputLimits
from importer.model import Cell, Part, UserRow, WaveInput
from importer.model import fields as C
from importer.model.fields import column_letter
from importer.read import aliases
from importer.read.guard import parse_workbook
from importer.read.sheet import CHUNK_ROWS, Sheet, SheetBuilder

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class Header:
    row: int  # 1-based
    names: list[str]  # as written, made unique
    fields: dict[str, int]  # canonical field -> column index


def read_wave(
    path: Path,
    users_path: Path | None = None,
    limits: InputLimits | None = None,
    mapping: Mapping[str, str] | None = None,
) -> WaveInput:
    """The wave's rows. `mapping` (field -> header, from --map) names columns the aliases miss."""
    mapping = dict(mapping or {})
    sheets, notes = read_sheets(path, limits)
    wave = WaveInput(str(path), file_sha256(path), frame=None, user_rows=[], columns=[], notes=notes)
    pieces: list[pd.DataFrame] = []
    pairs_found = False
    for sheet in sheets:
        kind, header = classify(sheet, mapping)
        if kind == "pairs" and header is not None:
            pairs_found = True
            if header.row == 0:
                wave.notes.append(
                    f"{sheet.where} has no header row: read as the console's Import Computer "
                    "Information file (Name = the new computer, SMBIOS GUID, MAC Address, Source Computer)"
                )
            _check_mapping(sheet, header, mapping)
            _collect_pairs(sheet, header, wave, pieces)
            _unused_user_columns(sheet, header, wave)
        elif kind == "users" and header is not None:
            wave.user_rows.extend(_user_rows(sheet, header))
        elif not sheet.is_blank():
            wave.notes.append(
                f"sheet '{sheet.name}' skipped: no header with source and destination "
                "(or, on a users sheet, source and users) columns"
            )
    if pairs_found:
        wave.frame = pieces[0] if len(pieces) == 1 else pd.concat(pieces, sort=False)
        wave.columns = list(wave.frame.columns)
    if not pairs_found:
        where = f"'{path.name}'" if len(sheets) == 1 else f"any sheet of '{path.name}'"
        seen = _first_texts(sheets)
        shown = ", ".join(f"'{t}'" for t in seen) if seen else "nothing"
        example = (
            f' --map Source="{seen[0]}" --map Destination="{seen[1]}"'
            if len(seen) > 1
            else ' --map Source="..."'
        )
        raise InputError(
            f"{where}: no header row with a source and a destination column in the first "
            f"{HEADER_SEARCH_ROWS} rows (the first rows hold {shown}).",
            f"Name the columns Source and Destination, or say which they are:{example}.",
        )
    if users_path is not None:
        users_sheets, users_notes = read_sheets(users_path, limits)
        wave.notes.extend(users_notes)
        found = False
        for sheet in users_sheets:
            header = find_header(sheet, (C.SOURCE, C.USERS))
            if header is not None:
                found = True
                wave.user_rows.extend(_user_rows(sheet, header))
        if not found:
            raise InputError(
                f"'{users_path.name}': no header row with a source computer and a user column.",
                "Name the columns Source and User.",
            )
    return wave


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"'{path}': cannot be read ({exc.strerror or exc}).") from exc
    return digest.hexdigest()


def read_sheets(path: Path, limits: InputLimits | None = None) -> tuple[list[Sheet], list[str]]:
    limits = limits or InputLimits()
    if not path.exists():
        raise InputError(f"'{path}': no such file.")
    if not path.is_file():
        raise InputError(f"'{path}': not a file.", "Give the path of an .xlsx or .csv file.")
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES | CSV_SUFFIXES:
        raise InputError(
            f"'{path.name}': unknown file type '{suffix}'.",
            "Save the sheet as .xlsx or .csv.",
        )
    limits.check_file(path)
    try:
        if suffix in EXCEL_SUFFIXES:
            return parse_workbook(path, limits), []
        return _read_csv(path)
    except OSError as exc:
        raise InputError(f"'{path}': cannot be read ({exc.strerror or exc}).") from exc


def _read_csv(path: Path) -> tuple[list[Sheet], list[str]]:
    """Streamed: the file is decoded strictly as it is parsed, never held whole in memory."""
    with path.open("rb") as raw:
        head = raw.read(64 * 1024)
    codec, label = sniff_encoding(head)
    delimiter = detect_delimiter(codecs.getincrementaldecoder(codec)(errors="ignore").decode(head))
    builder = SheetBuilder()
    records: list[list[str]] = []  # a chunk at a time
    count = width = 0
    previous = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        with path.open("r", encoding=codec, errors="strict", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                for record in reader:
                    count += 1
                    if len(record) > EXCEL_MAX_COLUMNS:
                        raise InputError(
                            f"'{path.name}' row {count}: {len(record):,} columns, more than "
                            f"a sheet can have ({EXCEL_MAX_COLUMNS:,}).",
                            "Check the separator and the quotes on that row.",
                        )
                    if len(record) > width:
                        width = len(record)
                    if width * count > MAX_SHEET_CELLS:
                        # Held column by column, every row has every column: one wide row
                        # in a long file would cost width x rows cells.
                        raise InputError(
                            f"'{path.name}': {count:,} rows by {width:,} columns "
                            f"({width * count:,} cells, more than {MAX_SHEET_CELLS:,}) by row {count}.",
                            "Check the separator and the quotes (a wave has a few columns), "
                            "or split the file.",
                        )
                    records.append(record)
                    if len(records) == CHUNK_ROWS:
                        builder.add(records)
                        records = []
                builder.add(records)
            except csv.Error as exc:
                raise InputError(
                    f"'{path.name}' row {count + 1}: {exc} (a cell longer than "
                    f"{CSV_FIELD_LIMIT:,} characters, or an unclosed quote).",
                    "Check the quotes on that row; a wave cell is a name, a number or a list of users.",
                ) from exc
            except UnicodeDecodeError as exc:
                line, bad = _first_undecodable(path, codec)
                raise InputError(
                    f"'{path.name}' row {line}: bytes that are not {label} ({bad!r}).",
                    "Save the file again as CSV UTF-8 (Excel: Save As > CSV UTF-8).",
                ) from exc
    finally:
        csv.field_size_limit(previous)
    notes = [
        f"'{path.name}' read as {label}, columns separated by "
        f"{ {',': 'commas', ';': 'semicolons', chr(9): 'tabs'}[delimiter] }"
    ]
    return [builder.sheet(path.name, path.name)], notes


def _first_undecodable(path: Path, codec: str) -> tuple[int, bytes]:
    """The line of the first byte `codec` cannot decode, and the bytes there (a cold path: the
    text reader decodes ahead of the rows, so its own position says nothing)."""
    skip = 3 if codec == "utf-8-sig" else 0
    decoder = codecs.getincrementaldecoder("utf-8" if skip else codec)()
    lines = 0
    with path.open("rb") as fh:
        fh.read(skip)
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            pending = getattr(decoder, "buffer", b"")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                lines += data[: exc.start].count(b"\n") - pending.count(b"\n")
                return lines + 1, data[exc.start : exc.start + 4]
            lines += chunk.count(b"\n")
    pending = getattr(decoder, "buffer", b"")
    return lines + 1 - pending.count(b"\n"), pending[:4]  # cut short at the end of the file


def sniff_encoding(head: bytes) -> tuple[str, str]:
    """Excel and PowerShell write UTF-8 with or without BOM, UTF-16 with BOM, or ANSI.
    A file is then decoded strictly: a byte that is not of its encoding is an error."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 (with BOM)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16 (Unicode text)"
    sample = head[:200]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le", "UTF-16 LE without BOM"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", "UTF-8"
    except UnicodeDecodeError:
        return "cp1252", "Windows-1252 (ANSI)"


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """All of `data` as text, decoded as sniff_encoding says (strictly)."""
    codec, label = sniff_encoding(data[: 64 * 1024])
    return data.decode(codec), label


def detect_delimiter(text: str) -> str:
    """The delimiter that makes an early line a recognisable header, else the most regular."""
    lines = [ln for ln in text.splitlines()[:HEADER_SEARCH_ROWS] if not ln.startswith("#TYPE")]
    sample = "\n".join(lines)
    best: tuple[int, int, str] | None = None
    for delimiter in (",", ";", "\t"):
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        recognised = max((len(_header_fields(r)) for r in rows), default=0)
        widths = [len(r) for r in rows if len(r) > 1]
        regular = max((widths.count(w) for w in set(widths)), default=0)
        score = (recognised, regular, delimiter)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best else ","


def _column_fields(cells: Sequence[str], mapping: Mapping[str, str] | None = None) -> list[str | None]:
    """The field each header cell names: --map first, then the aliases. "Name" is the new
    computer in the console's Import Computer Information file (a Source Computer and a MAC or
    GUID column, no destination)."""
    mapped = {header.strip().casefold(): fld for fld, header in (mapping or {}).items()}
    fields = [
        mapped.get(cell.strip().casefold()) or (aliases.field_for(cell) if cell else None) for cell in cells
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


def _header_fields(cells: Sequence[str], mapping: Mapping[str, str] | None = None) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, fld in enumerate(_column_fields(cells, mapping)):
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
    sheet: Sheet, required: Iterable[str], mapping: Mapping[str, str] | None = None
) -> Header | None:
    needed = set(required)
    for index, cells in enumerate(sheet.head(HEADER_SEARCH_ROWS)):
        fields = _header_fields(cells, mapping)
        if needed <= fields.keys():
            return _make_header(sheet, index, cells, mapping)
    return None


def _make_header(
    sheet: Sheet, index: int, cells: list[str], mapping: Mapping[str, str] | None = None
) -> Header:
    width = max(sheet.width, len(cells))
    names: list[str] = []
    taken: set[str] = set()
    repeats: dict[str, int] = {}
    fields: dict[str, int] = {}
    kinds = _column_fields([c.strip() for c in cells], mapping)
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
                "Delete or rename one of them.",
            )
        fields[fld] = col
    return Header(index + 1, names, fields)


def classify(sheet: Sheet, mapping: Mapping[str, str] | None = None) -> tuple[str, Header | None]:
    if aliases.is_users_sheet_name(sheet.name):
        header = find_header(sheet, (C.SOURCE, C.USERS))
        if header is not None:
            return "users", header
    header = find_header(sheet, (C.SOURCE, C.DESTINATION), mapping) or _wizard_header(sheet)
    return ("pairs", header) if header is not None else ("other", None)


def _data_rows(sheet: Sheet, header: Header) -> Iterable[tuple[int, list[str]]]:
    for index in sheet.filled_rows(header.row).tolist():
        yield index + 1, sheet.row(index)


def _first_texts(sheets: Sequence[Sheet], limit: int = 12) -> list[str]:
    """The first non-empty cells of the first sheets, as a person would see them."""
    seen: list[str] = []
    for sheet in sheets:
        for cells in sheet.head(HEADER_SEARCH_ROWS):
            for cell in cells:
                text = cell.strip()
                if text and text not in seen and len(text) <= 60:
                    seen.append(text)
                if len(seen) >= limit:
                    return seen
    return seen


def _check_mapping(sheet: Sheet, header: Header, mapping: Mapping[str, str]) -> None:
    for fld, wanted in mapping.items():
        if fld not in header.fields and fld not in (C.SOURCE, C.DESTINATION):
            names = ", ".join(f"'{n}'" for n in header.names[:12])
            raise InputError(
                f'{sheet.where}: --map {C.FIELD_TITLES[fld]}="{wanted}" names no column of the header '
                f"(row {header.row}: {names}).",
                "Give the header exactly as it is written in the sheet.",
            )


def _unused_user_columns(sheet: Sheet, header: Header, wave: WaveInput) -> None:
    """A column that looks like users but is not read deserves a word: users may be missing."""
    used = set(header.fields.values())
    for index, name in enumerate(header.names):
        key = aliases.squash(name)
        if index not in used and ("user" in key or "account" in key):
            wave.notes.append(
                f"WARNING: {sheet.where} column '{name}' looks like users but is not read: name it "
                f'Users, or use --map Users="{name}"'
            )


def _collect_pairs(sheet: Sheet, header: Header, wave: WaveInput, pieces: list[pd.DataFrame]) -> None:
    """The sheet's data rows join the wave's frame, their sheet and row number as its index."""
    rows = _drop_example(sheet, header, _drop_footer(sheet, sheet.filled_rows(header.row), wave), wave)
    names = header.names
    width = min(len(names), sheet.width)
    if len(rows) and int(rows[-1]) - int(rows[0]) + 1 == len(rows):  # the usual block: not copied
        piece = sheet.frame.iloc[int(rows[0]) : int(rows[-1]) + 1, :width]
    else:
        piece = sheet.frame.iloc[rows, :width]
    piece.columns = pd.Index(names[: piece.shape[1]])
    for name in names[piece.shape[1] :]:  # a header wider than the sheet's cells
        piece[name] = pd.Series([""] * len(piece), dtype="string[pyarrow]", index=piece.index)
    piece.index = pd.MultiIndex.from_arrays(
        [pd.Categorical([sheet.name] * len(rows)), rows + 1], names=["sheet", "row"]
    )
    start = sum(len(p) for p in pieces)
    if sheet.typed:
        where = {int(r): i for i, r in enumerate(rows.tolist())}
        for (r, col), typed in sheet.typed.items():
            if r in where and col < len(names):
                wave.typed[(start + where[r], names[col])] = typed
    fields = {fld: names[col] for fld, col in header.fields.items()}
    wave.parts.append(Part(sheet.name, start, start + len(rows), fields, list(names)))
    pieces.append(piece)


def _drop_example(
    sheet: Sheet, header: Header, rows: npt.NDArray[np.int64], wave: WaveInput
) -> npt.NDArray[np.int64]:
    """The template's example row, left as it is, is not a pair."""
    if C.SOURCE not in header.fields or C.DESTINATION not in header.fields or not len(rows):
        return rows
    sources = sheet.frame[header.fields[C.SOURCE]].iloc[rows].str.strip().str.upper()
    destinations = sheet.frame[header.fields[C.DESTINATION]].iloc[rows].str.strip().str.upper()
    same = (sources == aliases.EXAMPLE_ROW[0]) & (destinations == aliases.EXAMPLE_ROW[1])
    example = same.fillna(False).to_numpy(dtype=bool)
    if not example.any():
        return rows
    wave.notes.append(f"{sheet.where}: the template's example row was left as it is: ignored")
    return rows[~example]


def _drop_footer(sheet: Sheet, rows: npt.NDArray[np.int64], wave: WaveInput) -> npt.NDArray[np.int64]:
    """A last row with one filled cell that is no computer name ("Total: 10 machines") is a
    footer, not a pair: skipped, with a note."""
    while len(rows):
        last = int(rows[-1])
        filled = [v.strip() for v in sheet.row(last) if v.strip()]
        if len(filled) != 1 or PLAIN_NAME.fullmatch(filled[0]):
            return rows
        rows = rows[:-1]
        wave.notes.append(
            f"{sheet.where} row {last + 1} ('{filled[0][:60]}') read as a footer, not a pair: skipped"
        )
    return rows


def _user_rows(sheet: Sheet, header: Header) -> list[UserRow]:
    out: list[UserRow] = []
    src, usr = header.fields[C.SOURCE], header.fields[C.USERS]
    dst = header.fields.get(C.DESTINATION)

    def cell(col: int, cells: list[str], row: int) -> Cell:
        return Cell(sheet.name, row, header.names[col], cells[col] if col < len(cells) else "")

    for row_number, cells in _data_rows(sheet, header):
        out.append(
            UserRow(
                sheet.name,
                row_number,
                cell(src, cells, row_number),
                cell(usr, cells, row_number),
                cell(dst, cells, row_number) if dst is not None else None,
                dict(zip(header.names, cells + [""] * (len(header.names) - len(cells)), strict=False)),
            )
        )
    return out
