"""The JSON report for scripts: {"summary": {...}, "rows": [...]}, one row per input row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TextIO

from importer.limits import EXCEL_MAX_CELL, cut_cell
from importer.model import RowResult
from importer.report.atomic import replace_atomically
from importer.report.summary import summary
from importer.results import RunResult


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def row_dict(row: RowResult) -> dict[str, object]:
    store = row.store
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
    return {
        "sheet": row.sheet,
        "row": row.row,
        "source": row.source,
        "destination": row.destination,
        "source_resource_id": row.source_resource_id,
        "restore_resource_id": row.restore_resource_id,
        "behavior": int(row.behavior) if row.behavior is not None else None,
        "users": list(row.users),
        "users_from": row.users_from.value if row.users_from else None,
        "mac": row.mac,
        "smbios_guid": row.smbios_guid,
        "new_computer": row.hardware.value if row.hardware else None,
        "collections": list(row.membership),
        "status": row.status.value if row.status else None,
        "site": site,
        "messages": [m.as_dict() for m in row.messages],
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
