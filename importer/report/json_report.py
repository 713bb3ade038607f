"""The JSON report for scripts: {"summary": {...}, "rows": [...]}, one row per input row."""

from __future__ import annotations

import json
from pathlib import Path

from importer.model import RowResult
from importer.pipeline import RunResult
from importer.report.atomic import replace_atomically
from importer.report.summary import summary


def row_dict(row: RowResult) -> dict[str, object]:
    return {
        "sheet": row.sheet,
        "row": row.row,
        "source": row.source,
        "destination": row.destination,
        "source_resource_id": row.source_resource_id,
        "restore_resource_id": row.restore_resource_id,
        "behavior": int(row.behavior) if row.behavior is not None else None,
        "users": list(row.users),
        "status": row.status.value if row.status else None,
        "messages": [m.as_dict() for m in row.messages],
        "values": dict(row.values),
    }


def report_dict(result: RunResult) -> dict[str, object]:
    return {"summary": summary(result), "rows": [row_dict(r) for r in result.rows]}


def write_json(result: RunResult, path: Path) -> None:
    with replace_atomically(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        json.dump(report_dict(result), fh, ensure_ascii=False, indent=1)
        fh.write("\n")
