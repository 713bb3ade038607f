"""The JSON report's rows as they were built before issue 14: a dict per row, given to
json's encoder. Kept as the reference the column-wise writer must match byte for byte."""

from __future__ import annotations

import datetime as dt

from importer.limits import EXCEL_MAX_CELL, cut_cell
from importer.model import RowResult
from importer.report.labels import BEHAVIOR_NUMBER, ENUM_TEXT


def row_dict(row: RowResult) -> dict[str, object]:
    """One row of the report, as the JSON holds it."""
    more = row.extras
    store = more.get("store")
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
        "new_computer": ENUM_TEXT.get(more.get("hardware")),
        "collections": list(more.get("membership", ())),
        "status": ENUM_TEXT.get(row.status),
        "site": (
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
        ),
        "messages": [m.as_dict() for m in messages] if messages else [],
        "values": {k: cut_cell(v) if len(v) > EXCEL_MAX_CELL else v for k, v in row.values.items()},
    }


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None
