"""The JSON report for scripts: {"summary": {...}, "rows": [...]}, one row per input row.

The summary comes first and each row is one line: readable, diffable, and a script (or
`cmassoc undo`) finds the summary without reading the rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from importer.limits import cut_cell
from importer.model import RowResult, StoreState, carried_cells, carried_columns
from importer.report.atomic import replace_atomically
from importer.report.labels import BEHAVIOR_NUMBER, ENUM_TEXT
from importer.report.summary import summary
from importer.results import RunResult

CHUNK = 4096  # rows whose own cells are taken from the input at a time
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # rows hold no cycles


def write_json(result: RunResult, path: Path) -> None:
    with replace_atomically(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        write_json_to(result, fh)


def write_json_to(result: RunResult, fh: TextIO) -> None:
    fh.write('{"summary": ' + _encode(summary(result)) + ',\n"rows": [')
    rows, names = result.rows, carried_columns(result.wave, result.rows)
    separator = "\n"
    retention = result.command in ("status", "cleanup")  # what only a reading of the site knows
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        columns = carried_cells(result.wave, chunk, names)
        cells = list(zip(*columns, strict=True)) if names else [()] * len(chunk)
        for row, own in zip(chunk, cells, strict=True):
            fh.write(separator + _encode(row_dict(row, names, own, retention)))
            separator = ",\n"
    fh.write("\n]}\n")


def row_dict(
    row: RowResult, names: Sequence[str], cells: Sequence[str | None], retention: bool = False
) -> dict[str, object]:
    """One row of the report; `cells` its own cells under `names` (None: not in its sheet);
    with `retention` (a status or cleanup), when its store goes and whether it is at risk."""
    found: dict[str, object] = {
        "sheet": row.sheet,
        "row": row.row,
        "source": row.source,
        "destination": row.destination,
        "source_resource_id": row.source_resource_id,
        "restore_resource_id": row.restore_resource_id,
        "behavior": BEHAVIOR_NUMBER.get(row.behavior),
        "users": row.users,
        "users_from": ENUM_TEXT.get(row.users_from),
        "mac": row.mac,
        "smbios_guid": row.smbios_guid,
        "new_computer": ENUM_TEXT.get(row.hardware),
        "collections": list(row.membership),
        "status": ENUM_TEXT.get(row.status),
        "site": _site(row.store),
        "messages": [m.as_dict() for m in row.messages],
        "values": {name: cut_cell(cell) for name, cell in zip(names, cells, strict=True) if cell is not None},
        # keys after here are new since 0.1.0
        "readiness": [item.as_dict() for item in row.readiness],
        "copied_collections": row.copied,
    }
    if retention:
        store = row.store
        found["store_deletion"] = _when(store.store_deletion) if store is not None else None
        found["at_risk"] = store is not None and store.at_risk
        found["risk"] = store.risk if store is not None and store.risk else None
    return found


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


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None
