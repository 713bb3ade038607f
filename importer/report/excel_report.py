"""The Excel report people review: a Summary sheet and a Results sheet, one row per input row.

Written by importer.report.excel a chunk of rows at a time, so a sheet of a million rows
takes little memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from pathlib import Path

from importer import messages as M
from importer.limits import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS
from importer.messages import notice_line
from importer.model import RowResult, Status, carried_cells, carried_columns
from importer.model.statuses import STATUS_INFO
from importer.report import excel
from importer.report.atomic import replace_atomically
from importer.report.excel import BOLD, PLAIN, WRAP
from importer.report.labels import (
    BEHAVIOR_NUMBER,
    ENUM_TEXT,
    IMPORT_TITLE,
    RESULTS_SHEET,
    STATUS_TITLE,
    SUMMARY_LABELS,
    SUMMARY_SHEET,
)
from importer.report.summary import summary
from importer.results import RunResult

STORE_COLUMNS = ("Migration", "Captured", "Restored", "Store deleted", "Store path", "Migration type")
MAX_ORIGINAL_COLUMNS = EXCEL_MAX_COLUMNS - 13  # Sheet, Row and the 11 columns the tool adds
FIRST_COLUMNS = ("Sheet", "Row", "Source computer", "Destination computer", "Status", "Messages")
DETAIL_COLUMNS = (
    "Source ResourceID",
    "Restore ResourceID",
    "Behaviour",
    "Users sent",
    "Users from",
    "New computer",
    "Collections",
)
_WRAPPED = {"Messages", "Users sent", "Collections", "Users on the site"}
_WIDTH_CAPS = {"Messages": 70.0}
CHUNK = 8192  # rows gathered into columns and written at a time

_STATUS_TEXT: dict[Status | None, str] = {s: ENUM_TEXT.get(s) or "" for s in [*Status, None]}
_STATUS_STYLE: dict[Status | None, str] = {None: PLAIN, **{s: s for s in Status}}


def write_xlsx(result: RunResult, path: Path) -> None:
    carried = carried_columns(result.wave, result.rows)  # the input's own columns
    with replace_atomically(path) as tmp, excel.Book(tmp) as book:
        _summary_sheet(book, result, len(carried))
        if result.command == "status":
            _status_sheet(book, result, carried)
        else:
            _results_sheet(book, result, carried)


def _summary_sheet(book: excel.Book, result: RunResult, carried: int) -> None:
    counts = result.counts()
    title = STATUS_TITLE if result.command == "status" else IMPORT_TITLE
    sheet = book.sheet(SUMMARY_SHEET, widths=(30, 17, 50, 2), title=title)
    sheet.row([title], [BOLD])
    sheet.row([])
    sheet.row(["Status", "Rows", "What it means"], [BOLD, BOLD, BOLD])
    for status, number in counts.items():
        sheet.row([status.value, number, STATUS_INFO[status].label], [status])
    sheet.row(["total", len(result.rows)], [BOLD])
    if counts:
        sheet.chart("Rows by status", 3, counts)
    while sheet.rows < 18:  # the parameters start below the chart
        sheet.row([])
    sheet.row(["Run"], [BOLD])
    info = summary(result)
    zone = result.started.strftime("%Z") or result.started.strftime("UTC%z")
    for key, label in SUMMARY_LABELS:
        value = info.get(key)
        if value is None:
            continue
        if key in ("started", "finished", "read_at"):
            when = result.started if key == "started" else result.finished
            sheet.row([f"{label} ({zone})", when])
            continue
        shown = ("yes" if value else "no") if isinstance(value, bool) else value
        sheet.row([label, shown if isinstance(shown, int | float) else str(shown)])
    notes = list(result.wave.notes)
    dropped = carried - MAX_ORIGINAL_COLUMNS
    if dropped > 0:
        notes.append(
            M.Notice(
                M.COLUMNS_NOT_SHOWN,
                f"{dropped:,} of the input's columns are not shown on the Results sheet (Excel holds "
                f"{EXCEL_MAX_COLUMNS:,} columns); the JSON report and the input file have them",
            )
        )
    if notes:
        sheet.row([])
        sheet.row(["Input notes"], [BOLD])
        for note in notes:  # in the wide column, wrapped, as tall as it needs
            sheet.row([None, None, notice_line(note)], [PLAIN, PLAIN, WRAP])


def _results_sheet(book: excel.Book, result: RunResult, carried: list[str]) -> None:
    carried = carried[:MAX_ORIGINAL_COLUMNS]
    headers = [*FIRST_COLUMNS, *DETAIL_COLUMNS, *carried]

    def columns(rows: Sequence[RowResult]) -> list[Sequence[object]]:
        return [
            *_first_columns(rows),
            list(map(attrgetter("source_resource_id"), rows)),
            list(map(attrgetter("restore_resource_id"), rows)),
            [BEHAVIOR_NUMBER.get(row.behavior) for row in rows],
            ["\n".join(row.users) or None for row in rows],
            [ENUM_TEXT.get(row.users_from) for row in rows],
            [ENUM_TEXT.get(row.hardware) for row in rows],
            ["\n".join(row.membership) or None for row in rows],
            *carried_cells(result.wave, rows, carried),
        ]

    _write_rows(book, "Results", headers, columns, result.rows)


def _status_sheet(book: excel.Book, result: RunResult, carried: list[str]) -> None:
    """`cmassoc status`: per pair, what the site says of its association and user state."""
    carried = carried[: MAX_ORIGINAL_COLUMNS - len(STORE_COLUMNS)]
    headers = [*FIRST_COLUMNS, *STORE_COLUMNS, "Behaviour", "Users on the site", *carried]

    def store_cells(row: RowResult) -> list[object]:
        store = row.store
        if store is None:
            return [None] * len(STORE_COLUMNS)
        return [
            store.migration_status,
            store.captured,
            store.restored,
            store.deleted,
            store.store_path or None,
            store.migration_type,
        ]

    def columns(rows: Sequence[RowResult]) -> list[Sequence[object]]:
        return [
            *_first_columns(rows),
            *(list(zip(*map(store_cells, rows), strict=True)) or [()] * len(STORE_COLUMNS)),
            [int(row.behavior) if row.behavior is not None else None for row in rows],
            ["\n".join(row.users) or None for row in rows],
            *carried_cells(result.wave, rows, carried),
        ]

    fixed = dict.fromkeys(("Captured", "Restored", "Store deleted"), 17.0)
    _write_rows(book, "Status", headers, columns, result.rows, fixed)


def _first_columns(rows: Sequence[RowResult]) -> list[Sequence[object]]:
    """The cells under FIRST_COLUMNS, the same on every sheet of rows."""
    return [
        list(map(attrgetter("sheet"), rows)),
        list(map(attrgetter("row"), rows)),
        list(map(attrgetter("source"), rows)),
        list(map(attrgetter("destination"), rows)),
        [_STATUS_TEXT[row.status] for row in rows],
        ["\n".join(m.render() for m in ms) if ms else None for ms in map(attrgetter("messages"), rows)],
    ]


def _write_rows(
    book: excel.Book,
    title: str,
    headers: list[str],
    gather: Callable[[Sequence[RowResult]], list[Sequence[object]]],
    rows: Sequence[RowResult],
    fixed_widths: Mapping[str, float] | None = None,
) -> None:
    """The Results sheet: frozen through Destination, filtered, Status coloured, wrapped cells.
    `gather` gives the cells of some rows, column by column. Rows beyond what one sheet holds
    (a full sheet of pairs plus users-sheet rows) go on "Results (2)" and so on, each with
    its header."""
    styles: list[str | list[str]] = [WRAP if h in _WRAPPED else PLAIN for h in headers]
    status_at = headers.index("Status")
    first = gather(rows[:CHUNK])  # its first 2,000 rows set the widths; it is written first
    widths = excel.widths(headers, [column[:2000] for column in first], _WIDTH_CAPS)
    for name, width in (fixed_widths or {}).items():
        widths[headers.index(name)] = width
    sheet, sheets, start = None, 0, 0
    while start < len(rows) or sheet is None:
        if sheet is None or sheet.rows >= EXCEL_MAX_ROWS:
            sheets += 1
            name = RESULTS_SHEET if sheets == 1 else f"{RESULTS_SHEET} ({sheets})"
            sheet = book.sheet(name, widths, title=title, header=headers, freeze=(1, 4))
        end = min(start + CHUNK, start + EXCEL_MAX_ROWS - sheet.rows, len(rows))
        chunk = rows[start:end]
        columns = first if start == 0 and end == len(first[0]) else gather(chunk)
        styles[status_at] = [_STATUS_STYLE[row.status] for row in chunk]
        sheet.write(columns, styles)
        start = end
