"""Reading our own reports back: which run a report describes and where that run's journal
is, and the rows of a JSON report for the web pages to show.

Nothing in a report given on the command line is trusted: sizes are bounded before anything
is parsed, only the JSON's "summary" member (found in the file's first megabyte) or the Excel
report's Summary sheet (its first rows) is read, and the run ID and journal path must have the
shapes cmassoc writes. Reports written by every release read alike: the JSON's summary may
stand anywhere in that megabyte, and openpyxl reads the Summary sheet whether its text is
inline or shared. The rows the web pages show come from reports `cmassoc serve` wrote itself,
and only from one small enough to hold in memory.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from importer import messages as M
from importer.errors import InputError
from importer.journal.records import RUN_ID_PATTERN
from importer.limits import MB, InputLimits
from importer.report.labels import IMPORT_TITLE, JOURNAL, RUN_ID, STATUS_TITLE, SUMMARY_SHEET, TOOL

REPORT_SUFFIXES = (".json", ".xlsx")
_SUMMARY_LIMIT = 1 * MB  # a report's summary is a few kilobytes
_SUMMARY_ROWS = 200  # a Summary sheet holds about 40 rows
_SPACE = re.compile(r"[ \t\n\r]*")  # what JSON allows between tokens
SHOWN_REPORT_LIMIT = 64 * MB  # a larger report (about 150,000 rows) is downloaded, not shown
_ROWS_CACHE: dict[Path, tuple[float, list[dict[str, Any]], list[str], dict[str, Any]]] = {}


def run_from_report(path: Path) -> tuple[str | None, str | None]:
    """(run ID, journal path) as the report states them; either may be absent."""
    try:
        summary = _json_summary(path) if path.suffix.lower() == ".json" else _xlsx_summary(path)
    except OSError as exc:
        raise InputError(
            f"'{path}': cannot be read ({exc.strerror or exc}).", code=M.REPORT_UNREADABLE
        ) from exc
    run_id, journal = summary.get(RUN_ID), summary.get(JOURNAL)
    if run_id is not None and (not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id)):
        raise _not_ours(path, f"its run ID {str(run_id)[:40]!r} is not one cmassoc writes")
    if journal is not None and (not isinstance(journal, str) or not journal.strip() or len(journal) > 4096):
        raise _not_ours(path, "its journal is not a file path")
    return run_id, journal


def is_report(path: Path) -> bool:
    """Whether a file is one of cmassoc's reports (rather than a wave sheet)."""
    try:
        run_from_report(path)
    except InputError:
        return False
    return True


def _not_ours(path: Path, why: str) -> InputError:
    return InputError(
        f"'{path.name}' is not a cmassoc report: {why}.",
        "Give the report a run wrote, or its Run ID.",
        code=M.NOT_A_REPORT,
    )


def _json_summary(path: Path) -> dict[str, object]:
    """The top-level "summary" member, looked for in the file's first megabyte only."""
    with path.open("rb") as fh:
        head = fh.read(_SUMMARY_LIMIT).decode("utf-8", "replace").removeprefix("\ufeff")
    decode = json.JSONDecoder().raw_decode
    try:
        at = _skip(head, 0)
        if head[at : at + 1] != "{":
            raise ValueError("not an object")
        while True:  # each member in turn, until the summary
            key, at = decode(head, _skip(head, at + 1))
            at = _skip(head, at)
            if head[at : at + 1] != ":":
                raise ValueError("no ':' after a key")
            value, at = decode(head, _skip(head, at + 1))
            if key == "summary":
                break
            at = _skip(head, at)
            if head[at : at + 1] != ",":
                raise ValueError("no summary")
    except (ValueError, RecursionError) as exc:  # json's errors too; a member cut off at the megabyte
        raise _not_ours(path, "it does not hold cmassoc's summary where its report does") from exc
    if not isinstance(value, dict) or value.get("tool") != TOOL:
        raise _not_ours(path, "its summary is not cmassoc's")
    return {RUN_ID: value.get("run_id"), JOURNAL: value.get("journal")}


def _skip(text: str, at: int) -> int:
    """Where the next token starts: JSON's whitespace skipped."""
    return _SPACE.match(text, at).end()  # type: ignore[union-attr]  # it matches, at least ""


def _xlsx_summary(path: Path) -> dict[str, object]:
    """The labels and values of the Summary sheet's first rows, read by openpyxl."""
    import openpyxl

    InputLimits().check_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
        # What openpyxl reads whole on opening (shared strings, styles...) is small in a report;
        # a wave sheet's shared strings are not read to learn that it is no report.
        for name, size in sizes.items():
            if size > _SUMMARY_LIMIT and not name.startswith("xl/worksheets/"):
                raise _not_ours(path, f"its part '{name[:80]}' is far larger than a report's")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            if SUMMARY_SHEET not in book.sheetnames:
                raise _not_ours(path, f"it has no {SUMMARY_SHEET} sheet")
            sheet = book[SUMMARY_SHEET]
            if sizes.get(sheet._worksheet_path, 0) > _SUMMARY_LIMIT:  # openpyxl names its part
                raise _not_ours(path, f"its {SUMMARY_SHEET} sheet is far larger than a report's")
            rows = list(sheet.iter_rows(max_row=_SUMMARY_ROWS + 1, max_col=2, values_only=True))
        finally:
            book.close()
    except InputError:
        raise
    except Exception as exc:  # whatever a parser meets in a file nobody vouches for
        raise _not_ours(path, f"it cannot be read ({type(exc).__name__})") from exc
    if len(rows) > _SUMMARY_ROWS:
        raise _not_ours(path, f"its {SUMMARY_SHEET} sheet is far larger than a report's")
    if not rows or rows[0][0] not in (IMPORT_TITLE, STATUS_TITLE):
        raise _not_ours(path, f"its {SUMMARY_SHEET} sheet is not cmassoc's")
    return {label: value for label, value in rows if label in (RUN_ID, JOURNAL)}


def report_rows(path: Path | None, shown: str) -> tuple[list[dict[str, Any]], dict[str, int], bool]:
    """The rows of a JSON report (parsed once per file), filtered by status; a report too
    large to hold in the server's memory for a page is not read at all."""
    if path is None or not path.is_file():
        return [], {}, False
    if path.stat().st_size > SHOWN_REPORT_LIMIT:
        return [], {}, True
    rows = _parsed(path)[0]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"] or ""] = counts.get(row["status"] or "", 0) + 1
    if shown:
        rows = [r for r in rows if r["status"] == shown]
    # A status's pairs at risk come first (issue 30); the sort is stable, so the rest keep their order.
    return sorted(rows, key=lambda r: r.get("at_risk") is not True), counts, False


def report_notes(path: Path | None) -> list[str]:
    """The notices of a JSON report (sheets and rows skipped, columns not read...)."""
    if path is None or not path.is_file() or path.stat().st_size > SHOWN_REPORT_LIMIT:
        return []
    return _parsed(path)[1]


def report_progress(path: Path | None) -> tuple[dict[str, int] | None, list[dict[str, Any]]]:
    """A status report's pairs per state and the wave's progress history (issue 30); (None, [])
    for any other report."""
    if path is None or not path.is_file() or path.stat().st_size > SHOWN_REPORT_LIMIT:
        return None, []
    progress = _parsed(path)[2]
    counts, history = progress.get("progress"), progress.get("progress_history")
    return (
        {str(k): int(v) for k, v in counts.items()} if isinstance(counts, dict) else None,
        [h for h in history if isinstance(h, dict)] if isinstance(history, list) else [],
    )


def _parsed(path: Path) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    stamp = path.stat().st_mtime
    cached = _ROWS_CACHE.get(path)
    if cached is None or cached[0] != stamp:
        data = json.loads(path.read_text(encoding="utf-8"))
        summary = data.get("summary", {})
        notices = summary.get("notices")  # since codes; a report of 0.1.0 has the notes' words only
        notes = [_notice(n) for n in notices] if isinstance(notices, list) else summary.get("notes") or []
        notes = [str(n) for n in notes]
        if len(_ROWS_CACHE) > 8:
            _ROWS_CACHE.clear()
        progress = {k: summary.get(k) for k in ("progress", "progress_history")}
        _ROWS_CACHE[path] = cached = (stamp, data["rows"], notes, progress)
    return cached[1], cached[2], cached[3]


def _notice(said: Any) -> str:
    """A notice of the JSON's summary as the console shows it: "CMA330 ..."."""
    if not isinstance(said, dict):
        return str(said)
    text = f"WARNING: {said.get('text')}" if said.get("level") == "warning" else str(said.get("text"))
    return f"{said['code']} {text}" if said.get("code") else text
