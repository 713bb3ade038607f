"""The JSON report for scripts: {"summary": {...}, "rows": [...]}, one row per input row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TextIO

from importer.limits import EXCEL_MAX_CELL, cut_cell
from importer.model import RowResult
from importer.report.atomic import replace_atomically
from importer.report.labels import BEHAVIOR_NUMBER, ENUM_TEXT
from importer.report.summary import summary
from importer.results import RunResult


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def row_dict(row: RowResult) -> dict[str, object]:
    more = row.extras  # empty on most rows: one lookup instead of one per attribute
    store = more.get("store")
    site = (
        {
            "migration_status": store.migration_status,
            "migration_type": store.migration_type,
            "captured": _when(store.captured),
            "restored": _when(store.restored),
            "store_deleted": _when(store.deleted),
            "store_path": store.store_path or None,
        }
        if store is not None
        else None
    )
    hardware = more.get("hardware")
    messages = row.messages
    return {
        "sheet": row.sheet,
        "row": row.row,
        "source": row.source,
        "destination": row.destination,
        "source_resource_id": row.source_resource_id,
        "restore_resource_id": row.restore_resource_id,
        "behavior": BEHAVIOR_NUMBER.get(row.behavior),
        "users": row.users,
        "users_from": ENUM_TEXT.get(row.users_from),
        "mac": more.get("mac"),
        "smbios_guid": more.get("smbios_guid"),
        "new_computer": ENUM_TEXT.get(hardware),
        "collections": list(more.get("membership", ())),
        "status": ENUM_TEXT.get(row.status),
        "site": site,
        "messages": [m.as_dict() for m in messages] if messages else [],
        "values": _cut(row.values),
    }


def _cut(values: dict[str, str]) -> dict[str, str]:
    if sum(map(len, values.values())) <= EXCEL_MAX_CELL:  # no cell can be too long: the usual row
        return values
    return {k: cut_cell(v) if len(v) > EXCEL_MAX_CELL else v for k, v in values.items()}


def write_json(result: RunResult, path: Path) -> None:
    with replace_atomically(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        write_json_to(result, fh)


def write_json_to(result: RunResult, fh: TextIO) -> None:
    """One row per line: readable, diffable, and written by json's C encoder (indent= would
    switch to the pure-Python one, ten times slower on 100k rows)."""
    fh.write('{"summary": ' + json.dumps(summary(result), ensure_ascii=False) + ',\n"rows": [')
    encode = json.JSONEncoder(ensure_ascii=False).encode
    rows = result.rows
    for start in range(0, len(rows), 1024):  # written a thousand rows at a time
        lines = [encode(row_dict(row)) for row in rows[start : start + 1024]]
        fh.write(("\n" if start == 0 else ",\n") + ",\n".join(lines))
    fh.write("\n]}\n")
