"""A wave sheet read into the wave's frame: every pairs sheet's data rows, and the users rows.

Every cell is read as text as the user sees it: leading zeros, "NA" and dates stay
as they are. python-calamine is read directly rather than through pandas so that
row positions stay exact and a date cell reads as a date, not a timestamp.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from importer import messages as M
from importer.errors import InputError
from importer.limits import InputLimits
from importer.model import Cell, Part, UserRow, WaveInput
from importer.model import fields as C
from importer.read.files import file_sha256, read_sheets
from importer.read.header import (
    HEADER_SEARCH_ROWS,
    Header,
    check_mapping,
    classify,
    data_rows,
    find_header,
    first_texts,
    unused_user_columns,
)
from importer.read.rows import drop_example, drop_footer
from importer.read.sheet import Sheet


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
                    M.Notice(
                        M.READ_AS_IMPORT_FILE,
                        f"{sheet.where} has no header row: read as the console's Import Computer "
                        "Information file (Name = the new computer, SMBIOS GUID, MAC Address, "
                        "Source Computer)",
                    )
                )
            check_mapping(sheet, header, mapping)
            _collect_pairs(sheet, header, wave, pieces)
            unused_user_columns(sheet, header, wave)
        elif kind == "users" and header is not None:
            wave.user_rows.extend(_user_rows(sheet, header))
        elif not sheet.is_blank():
            wave.notes.append(
                M.Notice(
                    M.SHEET_SKIPPED,
                    f"sheet '{sheet.name}' skipped: no header with source and destination "
                    "(or, on a users sheet, source and users) columns",
                )
            )
    if pairs_found:
        wave.frame = pieces[0] if len(pieces) == 1 else pd.concat(pieces, sort=False)
        wave.columns = list(wave.frame.columns)
    if not pairs_found:
        where = f"'{path.name}'" if len(sheets) == 1 else f"any sheet of '{path.name}'"
        seen = first_texts(sheets)
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
            code=M.NO_PAIRS_HEADER,
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
                code=M.USERS_FILE_NO_HEADER,
            )
    return wave


def _collect_pairs(sheet: Sheet, header: Header, wave: WaveInput, pieces: list[pd.DataFrame]) -> None:
    """The sheet's data rows join the wave's frame, their sheet and row number as its index."""
    rows = drop_example(sheet, header, drop_footer(sheet, sheet.filled_rows(header.row), wave), wave)
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


def _user_rows(sheet: Sheet, header: Header) -> list[UserRow]:
    out: list[UserRow] = []
    src, usr = header.fields[C.SOURCE], header.fields[C.USERS]
    dst = header.fields.get(C.DESTINATION)

    def cell(col: int, cells: list[str], row: int) -> Cell:
        return Cell(sheet.name, row, header.names[col], cells[col] if col < len(cells) else "")

    for row_number, cells in data_rows(sheet, header):
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
