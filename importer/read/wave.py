"""A wave sheet read into the wave's frame: every pairs sheet's data rows, and the users rows.

Every cell is read as text as the user sees it: leading zeros, "NA" and dates stay
as they are. python-calamine is read directly rather than through pandas so that
row positions stay exact and a date cell reads as a date, not a timestamp.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from importer import messages
from importer.errors import InputError
from importer.limits import InputLimits
from importer.messages import Notice
from importer.model import Cell, Part, UserRow, WaveInput
from importer.model import fields as C
from importer.read.columns import Column, is_listed, judge, notice_text, refuse, survey
from importer.read.files import file_sha256, read_sheets
from importer.read.header import (
    HEADER_SEARCH_ROWS,
    Header,
    check_mapping,
    classify,
    data_rows,
    find_header,
    first_texts,
)
from importer.read.rows import Skipped, drop_example, not_pairs, skipped_notice
from importer.read.sheet import Sheet
from importer.read.xlsxscan import table_totals


def read_wave(
    path: Path,
    users_path: Path | None = None,
    limits: InputLimits | None = None,
    mapping: Mapping[str, str] | None = None,
    ignore: Collection[str] = (),
    stop_unread: bool = True,
) -> WaveInput:
    """The wave's rows. `mapping` (field -> header, from --map) names columns the aliases miss;
    `ignore` (--ignore-column) names columns to leave unread. A column not read that looks like
    behaviours or users stops the wave (InputError) unless `stop_unread` is false (a status,
    which creates nothing): then it is only named, as every other unread column is."""
    mapping = dict(mapping or {})
    ignored = {h.strip().casefold(): h.strip() for h in ignore}
    unread: list[tuple[list[Column], Header]] = []
    headers_seen: dict[str, str] = {}
    sheets, notes = read_sheets(path, limits)
    wave = WaveInput(str(path), file_sha256(path), frame=None, user_rows=[], columns=[], notes=notes)
    pieces: list[pd.DataFrame] = []
    pairs_found = False
    totals = table_totals(path) if path.suffix.lower() in (".xlsx", ".xlsm") else {}
    skipped: list[tuple[str, list[Skipped]]] = []
    for sheet in sheets:
        kind, header = classify(sheet, mapping, ignored.keys())
        if kind == "pairs" and header is not None:
            pairs_found = True
            if header.row == 0:
                wave.notes.append(
                    f"{sheet.where} has no header row: read as the console's Import Computer "
                    "Information file (Name = the new computer, SMBIOS GUID, MAC Address, Source Computer)"
                )
            check_mapping(sheet, header, mapping)
            rows, not_pair = not_pairs(
                sheet, header, sheet.filled_rows(header.row), totals.get(sheet.name, frozenset())
            )
            skipped.append((sheet.where, not_pair))
            _collect_pairs(sheet, header, drop_example(sheet, header, rows, wave), wave, pieces)
            headers_seen.update((n.casefold(), n) for n in header.names)
            read = set(header.fields.values())
            others = [i for i in range(len(header.names)) if i not in read]
            unread.append((survey(sheet.where, header.names, others, pieces[-1]), header))
        elif kind == "users" and header is not None:
            wave.user_rows.extend(_user_rows(sheet, header))
        elif not sheet.is_blank():
            wave.notes.append(
                f"sheet '{sheet.name}' skipped: no header with source and destination "
                "(or, on a users sheet, source and users) columns"
            )
    notice = skipped_notice(skipped)
    if notice is not None:
        wave.notes.append(notice)
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
    unknown = [given for key, given in ignored.items() if key not in headers_seen]
    if unknown:
        shown = ", ".join(f"'{h[:60]}'" for h in list(headers_seen.values())[:12])
        raise InputError(
            f"--ignore-column {', '.join(repr(h) for h in unknown)}: no pairs sheet has such a column "
            f"(the headers are {shown}).",
            "Give the header as it is written in the sheet (any case), or leave the option out.",
            code=messages.IGNORE_NO_COLUMN,
        )
    _judge_unread(wave, unread, stop_unread, users_path is not None)
    return wave


def _judge_unread(
    wave: WaveInput,
    unread: list[tuple[list[Column], Header]],
    stop: bool,
    users_file: bool,
) -> None:
    """Stop on a meaningful column not read; name every other unread column with values."""
    other_users = users_file or bool(wave.user_rows)  # a users sheet or file gives the users
    stops, listed = [], []
    for columns, header in unread:
        reads_behavior, reads_users = C.BEHAVIOR in header.fields, C.USERS in header.fields or other_users
        for column in columns:
            if column.index in header.ignored:
                listed.append((column, True))
                continue
            verdict = judge(column, reads_behavior, reads_users)
            if verdict is not None and stop:
                stops.append((column, *verdict))
            elif verdict is not None or is_listed(column):
                listed.append((column, False))
    if stops:
        raise refuse(stops)
    if listed:
        wave.notes.append(Notice(messages.UNREAD_COLUMNS, notice_text(listed)))


def _collect_pairs(
    sheet: Sheet, header: Header, rows: npt.NDArray[np.int64], wave: WaveInput, pieces: list[pd.DataFrame]
) -> None:
    """The sheet's data `rows` (indexes) join the wave's frame, their sheet and row number as its
    index."""
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
