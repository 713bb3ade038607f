"""Reading our own report back: which run it describes and where that run's journal is.

Nothing in a report is trusted: only our own formats are read (the JSON report's first
line, the Excel report's Summary sheet), sizes are bounded before anything is parsed, and
the run ID and journal path must have the shapes cmassoc writes.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree

from importer.errors import InputError
from importer.journal import RUN_ID_PATTERN
from importer.limits import MB, InputLimits
from importer.report.labels import JOURNAL, RUN_ID, SUMMARY_SHEET
from importer.xlsxscan import sheet_parts

REPORT_SUFFIXES = (".json", ".xlsx")
_SUMMARY_LIMIT = 1 * MB  # a report's summary is a few kilobytes
_NS_TAIL = re.compile(r"^\{[^}]*\}")


def run_from_report(path: Path) -> tuple[str | None, str | None]:
    """(run ID, journal path) as the report states them; either may be absent."""
    try:
        summary = _json_summary(path) if path.suffix.lower() == ".json" else _xlsx_summary(path)
    except OSError as exc:
        raise InputError(f"'{path}': cannot be read ({exc.strerror or exc}).") from exc
    run_id, journal = summary.get(RUN_ID), summary.get(JOURNAL)
    if run_id is not None and (not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id)):
        raise _not_ours(path, f"its run ID {str(run_id)[:40]!r} is not one cmassoc writes")
    if journal is not None and (not isinstance(journal, str) or not journal.strip() or len(journal) > 4096):
        raise _not_ours(path, "its journal is not a file path")
    return run_id, journal


def _not_ours(path: Path, why: str) -> InputError:
    return InputError(
        f"'{path.name}' is not a cmassoc report: {why}.", "Give the report a run wrote, or its Run ID."
    )


def _json_summary(path: Path) -> dict[str, object]:
    with path.open("rb") as fh:
        first = fh.readline(_SUMMARY_LIMIT)
    prefix = b'{"summary": '
    if not first.startswith(prefix) or not first.rstrip().endswith(b","):
        raise _not_ours(path, "it does not start as cmassoc's JSON report does")
    try:
        summary = json.loads(first[len(prefix) :].rstrip()[:-1])
    except ValueError as exc:
        raise _not_ours(path, "its summary is not JSON") from exc
    if not isinstance(summary, dict) or summary.get("tool") != "cmassoc (cm-association-importer)":
        raise _not_ours(path, "its summary is not cmassoc's")
    return {RUN_ID: summary.get("run_id"), JOURNAL: summary.get("journal")}


def _xlsx_summary(path: Path) -> dict[str, object]:
    InputLimits().check_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_parts(archive).get(SUMMARY_SHEET)
            if part is None:
                raise _not_ours(path, f"it has no {SUMMARY_SHEET} sheet")
            info = archive.getinfo(part)
            if info.file_size > _SUMMARY_LIMIT:
                raise _not_ours(path, f"its {SUMMARY_SHEET} sheet is far larger than a report's")
            data = archive.read(part)
        root = ElementTree.fromstring(data)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as exc:
        raise _not_ours(path, f"it cannot be read ({type(exc).__name__})") from exc
    cells: dict[str, object] = {}
    for row in root.iter():
        if _NS_TAIL.sub("", row.tag) != "row":
            continue
        texts = ["".join(t.text or "" for t in c.iter() if _NS_TAIL.sub("", t.tag) == "t") for c in row]
        if len(texts) > 1 and texts[0] in (RUN_ID, JOURNAL):
            cells[texts[0]] = texts[1]
    if not cells and "Computer association import" not in data.decode("utf-8", "replace")[:4096]:
        raise _not_ours(path, "its Summary sheet is not cmassoc's")
    return cells


def is_report(path: Path) -> bool:
    """Whether a file is one of cmassoc's reports (rather than a wave sheet)."""
    try:
        run_from_report(path)
    except InputError:
        return False
    return True
