"""Reading our own report back: which run it describes and where that run's journal is."""

from __future__ import annotations

import json
from pathlib import Path

from importer.errors import InputError
from importer.report.labels import JOURNAL, RUN_ID, SUMMARY_SHEET

REPORT_SUFFIXES = (".json", ".xlsx")


def run_from_report(path: Path) -> tuple[str | None, str | None]:
    """(run ID, journal path) as the report states them; either may be absent."""
    if path.suffix.lower() == ".json":
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))["summary"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"'{path.name}' is not a cmassoc JSON report.") from exc
        return summary.get("run_id"), summary.get("journal")
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True)[SUMMARY_SHEET]
    except Exception as exc:
        raise InputError(f"'{path.name}' is not a cmassoc report.") from exc
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and len(row) > 1}
    run_id, journal = cells.get(RUN_ID), cells.get(JOURNAL)
    return (str(run_id) if run_id else None), (str(journal) if journal else None)
