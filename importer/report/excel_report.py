"""The Excel report people review and print: Summary, Needs attention, Results (one row per
input row) and, when the input's notes are many or long, Notes.

The Summary's one page says the outcome; Needs attention lists the rows someone must act on
(importer.report.attention); Results prints the columns a reviewer signs off (sheet, row,
the computers, status, messages, behaviour, users) and keeps the rest (ResourceIDs, where the
users came from, the input's own columns) right of its print area, for the screen. Written by
importer.report.excel a chunk of rows at a time, so a sheet of a million rows takes little
memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from pathlib import Path

from importer import messages
from importer.limits import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS
from importer.messages import CATALOG
from importer.model import RowResult, Status, carried_cells, carried_columns
from importer.model.statuses import STATUS_INFO
from importer.report import excel
from importer.report.atomic import replace_atomically
from importer.report.attention import all_well, attention_sheet, needing
from importer.report.excel import BOLD, CENTER, LEFT, PLAIN, TITLE, WRAP
from importer.report.labels import (
    ATTENTION_SHEET,
    BEHAVIOR_NUMBER,
    ENUM_TEXT,
    IMPORT_TITLE,
    NOTES_SHEET,
    RESULTS_SHEET,
    STATUS_TITLE,
    SUMMARY_LABELS,
    SUMMARY_SHEET,
)
from importer.report.pages import DEFAULT_PAPER, Pages, Paper, fill, room
from importer.report.progress_chart import progress_sheet
from importer.report.summary import summary
from importer.results import RunResult

STORE_COLUMNS = ("Migration", "Captured", "Restored", "Store deleted", "Store path", "Migration type")
MAX_ORIGINAL_COLUMNS = EXCEL_MAX_COLUMNS - 14  # Sheet, Row and the 12 columns the tool adds
FIRST_COLUMNS = ("Sheet", "Row", "Source computer", "Destination computer", "Status", "Messages")
PRINTED_COLUMNS = (*FIRST_COLUMNS, "Behaviour", "Users sent")  # the print area
DETAIL_COLUMNS = (
    "Source ResourceID",
    "Restore ResourceID",
    "Users from",
    "New computer",
    "Collections",
    "Readiness",
)
STATUS_PRINTED = (*FIRST_COLUMNS, "Captured", "Restored")
STATUS_DETAILS = (
    "Migration",
    "Store deleted",
    "Store path",
    "Migration type",
    "Behaviour",
    "Users on the site",
)
_WRAPPED = {"Messages", "Users sent", "Collections", "Users on the site", "Readiness"}
_CENTRED = {"Row", "Behaviour"}  # numbers that would otherwise touch the text beside them
# What a printed column may take; Messages has what the page leaves (within its cap).
_WIDTH_CAPS = {
    "Sheet": 20.0,
    "Source computer": 20.0,
    "Destination computer": 20.0,
    "Users sent": 30.0,
    "Messages": 90.0,
    "Readiness": 70.0,
}
CHUNK = 8192  # rows gathered into columns and written at a time
SUMMARY_WIDTHS = (30, 17, 50, 2)
CHART_ROWS = 18  # the chart stands right of the counts, down to this row; the run's parameters follow
SHORT_NOTES, SHORT_NOTE = 3, 120  # as many notes, of as many characters, stay on the Summary

_STATUS_TEXT: dict[Status | None, str] = {s: ENUM_TEXT.get(s) or "" for s in [*Status, None]}
_STATUS_STYLE: dict[Status | None, str] = {None: PLAIN, **{s: s for s in Status}}


def write_xlsx(result: RunResult, path: Path, paper: Paper = DEFAULT_PAPER) -> None:
    carried = carried_columns(result.wave, result.rows)  # the input's own columns
    notes = _notes(result, len(carried))
    title = STATUS_TITLE if result.command == "status" else IMPORT_TITLE
    pages = Pages(paper, title, result.wave.path, _which_run(result))
    with replace_atomically(path) as tmp, excel.Book(tmp, pages) as book:
        separate = len(notes) > SHORT_NOTES or any(len(note) > SHORT_NOTE for note in notes)
        _summary_sheet(book, result, title, notes, separate)
        attention_sheet(book, result)
        if result.command == "status":
            _status_sheet(book, result, carried)
        else:
            _results_sheet(book, result, carried)
        if separate:
            _notes_sheet(book, notes)
        progress_sheet(book, result)  # last: readers that take the results sheet find it where it was


def _which_run(result: RunResult) -> str:
    """The footer's centre: the run the report is of, or when it was made."""
    when = f"{result.started:%Y-%m-%d %H:%M}"
    if result.command == "undo":
        return f"Undo of run {result.run_id}" + (" (dry run)" if result.options.dry_run else "")
    if result.command == "cleanup":
        return f"Cleanup read {when}" + (" (dry run)" if result.options.dry_run else "")
    if result.command == "status":
        return f"Status of run {result.run_id}, read {when}" if result.run_id else f"Status read {when}"
    if result.run_id:
        return f"Run {result.run_id}"
    if result.command == "run":  # a dry run, or a run without a journal (a library call)
        return f"{'Dry run' if result.options.dry_run else 'Run'} {when}"
    return f"Checked {when}"


def _notes(result: RunResult, carried: int) -> list[str]:
    notes = list(result.wave.notes)
    dropped = carried - MAX_ORIGINAL_COLUMNS
    if dropped > 0:
        notes.append(
            messages.Notice(
                messages.COLUMNS_NOT_SHOWN,
                f"{dropped:,} of the input's columns are not shown on the Results sheet (Excel holds "
                f"{EXCEL_MAX_COLUMNS:,} columns); the JSON report and the input file have them",
            )
        )
    return notes


def _summary_sheet(
    book: excel.Book, result: RunResult, title: str, notes: Sequence[str], separate: bool
) -> None:
    """One page: the outcome in two lines, the counts and their chart, the run's parameters, and
    the input's notes when they are few and short (else how many the Notes sheet holds)."""
    counts = result.counts()
    sheet = book.sheet(SUMMARY_SHEET, widths=SUMMARY_WIDTHS, one_page=True)
    sheet.worksheet.set_row(0, 21)
    sheet.row([title], [TITLE])
    sheet.row([result.tally()], [BOLD])
    attention = needing(result)
    sheet.row(
        [
            f"{attention:,} {'row needs' if attention == 1 else 'rows need'} attention: "
            f"see the {ATTENTION_SHEET} sheet"
            if attention
            else all_well(result)
        ]
    )
    sheet.row([])
    sheet.row(["Status", "Rows", "What it means"], [BOLD, BOLD, BOLD])
    first = sheet.rows
    for status, number in counts.items():
        sheet.row([status.value, number, STATUS_INFO[status].label], [status, CENTER])
    sheet.row(["total", len(result.rows)], [BOLD, CENTER])
    if counts:
        sheet.chart("Rows by status", first, counts)
    while sheet.rows < CHART_ROWS:
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
        shown = ("yes" if value else "no") if isinstance(value, bool) else _listed(value)
        sheet.row([label, shown if isinstance(shown, int | float) else str(shown)], [PLAIN, LEFT])
    if separate:
        sheet.row(["Notes about the input", f"{len(notes):,}: see the {NOTES_SHEET} sheet"])
    elif notes:
        sheet.row([])
        sheet.row(["Input notes"], [BOLD])
        for note, code in zip(notes, _codes(notes), strict=True):
            sheet.row([f"{code} {note}" if code else str(note)])


def _notes_sheet(book: excel.Book, notes: Sequence[str]) -> None:
    """Notices about the whole input (sheets skipped, columns not read, rows that are no pair),
    each with its code, wrapped across the page."""
    widths = [9.0, 0.0]
    widths[1] = float(int(room(widths[:1])))
    sheet = book.sheet(NOTES_SHEET, widths, header=("Code", "Note"), freeze=(1, 0))
    sheet.write([_codes(notes), [str(note) for note in notes]], [PLAIN, WRAP])


def _codes(notes: Sequence[str]) -> list[str | None]:
    """Each note's code (a `Notice` has one), or None."""
    return [str(code) if (code := getattr(note, "code", None)) else None for note in notes]


def _listed(value: object) -> object:
    """A summary value that is a list or a table, as one cell: readiness by code, the site's."""
    if isinstance(value, dict):
        if not value:
            return "none"
        return "; ".join(
            f"{CATALOG[k].title} ({k}): {n}" if k in CATALOG else f"{k}: {n}" for k, n in value.items()
        )
    if isinstance(value, list):
        return "\n".join(f"{v['code']} {v['text']}" if isinstance(v, dict) else str(v) for v in value)
    return value


def _results_sheet(book: excel.Book, result: RunResult, carried: list[str]) -> None:
    carried = carried[:MAX_ORIGINAL_COLUMNS]
    headers = [*PRINTED_COLUMNS, *DETAIL_COLUMNS, *carried]

    def columns(rows: Sequence[RowResult]) -> list[Sequence[object]]:
        return [
            *_first_columns(rows),
            [BEHAVIOR_NUMBER.get(row.behavior) for row in rows],
            ["\n".join(row.users) or None for row in rows],
            list(map(attrgetter("source_resource_id"), rows)),
            list(map(attrgetter("restore_resource_id"), rows)),
            [ENUM_TEXT.get(row.users_from) for row in rows],
            [ENUM_TEXT.get(row.hardware) for row in rows],
            ["\n".join(row.membership) or None for row in rows],
            ["\n".join(r.render() for r in row.readiness) or None for row in rows],
            *carried_cells(result.wave, rows, carried),
        ]

    _write_rows(book, "Results", headers, columns, result.rows, len(PRINTED_COLUMNS))


def _status_sheet(book: excel.Book, result: RunResult, carried: list[str]) -> None:
    """`cmassoc status`: per pair, what the site says of its association and user state."""
    carried = carried[: MAX_ORIGINAL_COLUMNS - len(STORE_COLUMNS)]
    headers = [*STATUS_PRINTED, *STATUS_DETAILS, *carried]

    def store_cells(row: RowResult) -> list[object]:
        store = row.store
        if store is None:
            return [None] * len(STORE_COLUMNS)
        return [
            store.captured,
            store.restored,
            store.migration_status,
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
    _write_rows(book, "Status", headers, columns, result.rows, len(STATUS_PRINTED), fixed)


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
    printed: int,
    fixed_widths: Mapping[str, float] | None = None,
) -> None:
    """The Results sheet: frozen through Destination, filtered, Status coloured, wrapped cells;
    its first `printed` columns make the print area, Messages as wide as the page leaves.
    `gather` gives the cells of some rows, column by column. Rows beyond what one sheet holds
    (a full sheet of pairs plus users-sheet rows) go on "Results (2)" and so on, each with
    its header."""
    styles: list[str | list[str]] = [
        WRAP if h in _WRAPPED else CENTER if h in _CENTRED else PLAIN for h in headers
    ]
    status_at = headers.index("Status")
    first = gather(rows[:CHUNK])  # its first 2,000 rows set the widths; it is written first
    sample = [column[:2000] for column in first]
    widths = excel.widths(headers, sample, _WIDTH_CAPS, narrow=headers[:printed])
    for name, width in (fixed_widths or {}).items():
        widths[headers.index(name)] = width
    messages = headers.index("Messages")
    page = widths[:printed]
    fill(page, [messages], [widths[messages]])
    widths[messages] = page[messages]
    sheet, sheets, start = None, 0, 0
    while start < len(rows) or sheet is None:
        if sheet is None or sheet.rows >= EXCEL_MAX_ROWS:
            sheets += 1
            name = RESULTS_SHEET if sheets == 1 else f"{RESULTS_SHEET} ({sheets})"
            sheet = book.sheet(
                name, widths, title=title, header=headers, freeze=(1, 4), print_columns=printed
            )
        end = min(start + CHUNK, start + EXCEL_MAX_ROWS - sheet.rows, len(rows))
        chunk = rows[start:end]
        columns = first if start == 0 and end == len(first[0]) else gather(chunk)
        styles[status_at] = [_STATUS_STYLE[row.status] for row in chunk]
        sheet.write(columns, styles)
        start = end
