"""The JSON report for scripts: {"summary": {...}, "rows": [...]}, one row per input row."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from itertools import repeat
from json.encoder import encode_basestring
from operator import attrgetter
from pathlib import Path
from typing import Any, TextIO

from importer.limits import EXCEL_MAX_CELL, cut_cell
from importer.model import (
    DESTINATION_FIELD,
    SOURCE_FIELD,
    RowResult,
    StoreState,
    cell_runs,
    names_of,
    users_text,
)
from importer.report.atomic import replace_atomically
from importer.report.labels import BEHAVIOR_NUMBER, ENUM_TEXT
from importer.report.summary import summary
from importer.results import RunResult


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _site(store: StoreState | None) -> dict[str, object] | None:
    if store is None:
        return None
    return {
        "migration_status": store.migration_status,
        "migration_type": store.migration_type,
        "captured": _when(store.captured),
        "restored": _when(store.restored),
        "store_deleted": _when(store.deleted),
        "store_path": store.store_path or None,
    }


def _cut(values: dict[str, str]) -> dict[str, str]:
    if sum(map(len, values.values())) <= EXCEL_MAX_CELL:  # no cell can be too long: the usual row
        return values
    return {k: cut_cell(v) if len(v) > EXCEL_MAX_CELL else v for k, v in values.items()}


def _cut_cells(cells: list[str | None]) -> list[str | None]:
    if max(map(len, filter(None, cells)), default=0) <= EXCEL_MAX_CELL:
        return cells
    return [cut_cell(c) if c is not None and len(c) > EXCEL_MAX_CELL else c for c in cells]


def write_json(result: RunResult, path: Path) -> None:
    with replace_atomically(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        write_json_to(result, fh)


def write_json_to(result: RunResult, fh: TextIO) -> None:
    """One row per line: readable and diffable. Each row is what json's encoder writes for the
    row's dict (", " and ": " between items), but put together from a template and the rows'
    values encoded column by column, the loops in C (tests/test_report_columns.py holds it
    to the bytes of the row-at-a-time encoder it replaced, tests/rowwise_json.py)."""
    fh.write('{"summary": ' + json.dumps(summary(result), ensure_ascii=False) + ',\n"rows": [')
    rows = result.rows
    for start in range(0, len(rows), CHUNK):
        fh.write(("\n" if start == 0 else ",\n") + ",\n".join(_row_texts(rows[start : start + CHUNK])))
    fh.write("\n]}\n")


CHUNK = 4096
_encode = json.JSONEncoder(ensure_ascii=False).encode
_KEYS = (
    "sheet",
    "row",
    "source",
    "destination",
    "source_resource_id",
    "restore_resource_id",
    "behavior",
    "users",
    "users_from",
    "mac",
    "smbios_guid",
    "new_computer",
    "collections",
    "status",
    "site",
    "messages",
    "values",
)


def _template(keys: Sequence[str]) -> list[str | int]:
    """A JSON object's text with key i's value left out as i."""
    pieces: list[str | int] = []
    for index, key in enumerate(keys):
        pieces += [("{" if index == 0 else ", ") + encode_basestring(key) + ": ", index]
    pieces.append("}" if keys else "{}")
    return pieces


def _fill(pieces: list[str | int], columns: Sequence[Sequence[str | None]]) -> list[str]:
    """Each row's text: the template's pieces with the columns' texts between them."""
    return list(
        map("".join, zip(*[repeat(p) if isinstance(p, str) else columns[p] for p in pieces], strict=False))
    )


_ROW = _template(_KEYS)


def _strings(values: Sequence[str | None]) -> list[str]:
    if None not in values:
        return list(map(encode_basestring, values))  # type: ignore[arg-type]
    return [encode_basestring(v) if v is not None else "null" for v in values]


def _numbers(values: Sequence[int | None]) -> list[str]:
    return [str(v) if v is not None else "null" for v in values]


def _plain_users(lines: str) -> str:
    """A plain users cell's accounts (one per line: letters, digits, . _ - and one
    backslash each) as a JSON list, without the encoder."""
    return '["' + lines.replace("\\", "\\\\").replace("\n", '", "') + '"]'


def _row_texts(rows: Sequence[RowResult]) -> list[str]:
    count = len(rows)
    extras = list(map(attrgetter("extras"), rows))  # empty on most rows
    rare = any(extras)
    nulls = ["null"] * count

    def extra(name: str, text: Callable[[Any], str]) -> list[str]:
        return [text(m.get(name)) for m in extras] if rare else nulls

    columns: list[Sequence[str | None]] = [
        _strings(list(map(attrgetter("sheet"), rows))),
        list(map(str, map(attrgetter("row"), rows))),
        _strings(names_of(rows, SOURCE_FIELD)),
        _strings(names_of(rows, DESTINATION_FIELD)),
        _numbers(list(map(attrgetter("source_resource_id"), rows))),
        _numbers(list(map(attrgetter("restore_resource_id"), rows))),
        _numbers(list(map(BEHAVIOR_NUMBER.get, map(attrgetter("behavior"), rows)))),
        users_text(rows, own=lambda users: _encode(list(users)), plain=_plain_users),
        _strings(list(map(ENUM_TEXT.get, map(attrgetter("users_from"), rows)))),
        extra("mac", _encode),
        extra("smbios_guid", _encode),
        extra("hardware", lambda hardware: _encode(ENUM_TEXT.get(hardware))),
        [_encode(list(m.get("membership", ()))) for m in extras] if rare else ["[]"] * count,
        _strings(list(map(ENUM_TEXT.get, map(attrgetter("status"), rows)))),
        extra("store", lambda store: _encode(_site(store))),
        [_encode([m.as_dict() for m in ms]) if ms else "[]" for ms in map(attrgetter("messages"), rows)],
        _values(rows),
    ]
    return _fill(_ROW, columns)


def _values(rows: Sequence[RowResult]) -> list[str]:
    """Every row's cells as a JSON object, a run of rows of one sheet at a time."""
    out = [""] * len(rows)
    for start, end, block in cell_runs(rows):
        if block is None:
            out[start] = _encode(_cut(rows[start].values))
            continue
        names = block.names
        columns = block.pick_rows(list(map(attrgetter("row"), rows[start:end])), names)
        texts = [_strings(_cut_cells(column)) for column in columns]
        out[start:end] = _fill(_template(names), texts) if names else ["{}"] * (end - start)
    return out
