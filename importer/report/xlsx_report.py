"""The Excel report people review: a Summary sheet and a Results sheet, one row per input row.

Streamed by importer.report.xlsx_writer, so a 100k-row report takes seconds and little
memory. Every text cell is an inline string, so text starting with = + - @ can never
become a formula (OWASP CSV-injection guidance).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from importer.limits import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS
from importer.model import RowResult, Status
from importer.report.atomic import replace_atomically
from importer.report.labels import BEHAVIOR_NUMBER, ENUM_TEXT, RESULTS_SHEET, SUMMARY_LABELS, SUMMARY_SHEET
from importer.report.summary import summary
from importer.report.xlsx_writer import BOLD, PLAIN, WRAP, Chart, StreamingWorkbook, fill_style
from importer.results import RunResult
from importer.status import STATUS_INFO, STATUS_TABLE

STATUS_FILLS = {info.status: info.fill for info in STATUS_TABLE}
STORE_COLUMNS = ("Migration", "Captured", "Restored", "Store deleted", "Store path", "Migration type")
_FILL_STYLES = {status: fill_style(index) for index, status in enumerate(STATUS_FILLS)}
MAX_ORIGINAL_COLUMNS = EXCEL_MAX_COLUMNS - 13  # Sheet, Row and the 11 columns the tool adds


def _fill(status: Status | None) -> int:
    return _FILL_STYLES[status] if status is not None else PLAIN


def write_xlsx(result: RunResult, path: Path) -> None:
    with replace_atomically(path) as tmp, StreamingWorkbook(tmp, fills=list(STATUS_FILLS.values())) as book:
        _summary_sheet(book, result)
        _results_sheet(book, result)


def _summary_sheet(book: StreamingWorkbook, result: RunResult) -> None:
    counts = result.counts()
    first = 3  # 0-based row of the first status
    chart = Chart(
        title="Rows by status",
        labels=(0, first, first + len(counts) - 1),
        values=(1, first, first + len(counts) - 1),
        label_cache=[s.value for s in counts],
        value_cache=[float(n) for n in counts.values()],
        anchor=(4, 1, 11, 17),
        colors=[STATUS_FILLS[s] for s in counts],
    )
    title = "Computer association status" if result.command == "status" else "Computer association import"
    book.add_sheet(SUMMARY_SHEET, widths=(30, 17, 50, 2), chart=chart if counts else None, title=title)
    book.row([title], [BOLD])
    book.row([])
    book.row(["Status", "Rows", "What it means"], [BOLD, BOLD, BOLD])
    for status, number in counts.items():
        book.row([status.value, number, STATUS_INFO[status].label], [_fill(status)])
    book.row(["total", len(result.rows)], [BOLD])
    while book.rows_written < 18:  # the parameters start below the chart
        book.row([])
    book.row(["Run"], [BOLD])
    info = summary(result)
    zone = result.started.strftime("%Z") or result.started.strftime("UTC%z")
    for key, label in SUMMARY_LABELS:
        value = info.get(key)
        if value is None:
            continue
        if key in ("started", "finished", "read_at"):
            when = result.started if key == "started" else result.finished
            book.row([f"{label} ({zone})", when])
            continue
        shown = ("yes" if value else "no") if isinstance(value, bool) else value
        book.row([label, shown if isinstance(shown, int | float) else str(shown)])
    notes = list(result.wave.notes)
    dropped = len(report_columns(result)) - MAX_ORIGINAL_COLUMNS
    if dropped > 0:
        notes.append(
            f"{dropped:,} of the input's columns are not shown on the Results sheet (Excel holds "
            f"{EXCEL_MAX_COLUMNS:,} columns); the JSON report and the input file have them"
        )
    if notes:
        book.row([])
        book.row(["Input notes"], [BOLD])
        for note in notes:  # in the wide column, wrapped, as tall as it needs
            book.row([None, None, note], [PLAIN, PLAIN, WRAP], lines=_lines([note], [0], [50.0]))
    book.end_sheet()


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
RESULT_COLUMNS = FIRST_COLUMNS[2:] + DETAIL_COLUMNS  # what the tool adds beside the user's columns
_WRAPPED = {"Messages", "Users sent", "Collections", "Users on the site"}
_WIDTH_CAPS = {"Messages": 70}


def _results_sheet(book: StreamingWorkbook, result: RunResult) -> None:
    if result.command == "status":
        _status_sheet(book, result)
        return
    original = report_columns(result)[:MAX_ORIGINAL_COLUMNS]
    headers = [*FIRST_COLUMNS, *DETAIL_COLUMNS, *original]
    cells = (_row_cells(row, original) for row in result.rows)
    sample = [_row_cells(row, original) for row in result.rows[:2000]]
    widths = _widths(headers, sample)
    _write_rows(book, "Results", headers, cells, widths, result.rows)


def _write_rows(
    book: StreamingWorkbook,
    title: str,
    headers: list[str],
    cells: Iterable[list[object]],
    widths: list[float],
    rows: list[RowResult],
) -> None:
    """The Results sheet: frozen through Destination, filtered, Status coloured, wrapped cells.
    Rows beyond what one sheet holds (a full sheet of pairs plus users-sheet rows) go on
    "Results (2)" and so on, each with its header."""
    wrapped = [i for i, h in enumerate(headers) if h in _WRAPPED]
    styles = [PLAIN] * len(headers)
    for index in wrapped:
        styles[index] = WRAP
    status_at = headers.index("Status")
    sheets = 0
    for row, values in zip(rows, cells, strict=True):
        if not sheets or book.rows_written >= EXCEL_MAX_ROWS:
            if sheets:
                book.end_sheet()
            sheets += 1
            name = RESULTS_SHEET if sheets == 1 else f"{RESULTS_SHEET} ({sheets})"
            book.add_sheet(
                name, widths=widths, freeze=(4, 1), autofilter=True, title=title, repeat_header=True
            )
            book.row(headers, [BOLD] * len(headers))
        styles[status_at] = _fill(row.status)
        book.row(values, styles, lines=_lines(values, wrapped, widths))
    if not sheets:
        book.add_sheet(
            RESULTS_SHEET, widths=widths, freeze=(4, 1), autofilter=True, title=title, repeat_header=True
        )
        book.row(headers, [BOLD] * len(headers))
    book.end_sheet()


def _row_cells(row: RowResult, original: list[str]) -> list[object]:
    more = row.extras  # empty on most rows: one lookup instead of one per attribute
    return [
        *_first_cells(row),
        row.source_resource_id,
        row.restore_resource_id,
        BEHAVIOR_NUMBER.get(row.behavior),
        "\n".join(row.users),
        ENUM_TEXT.get(row.users_from),
        ENUM_TEXT.get(more.get("hardware")),
        "\n".join(more.get("membership", ())) or None,
        *row.cells(original),
    ]


def _first_cells(row: RowResult) -> list[object]:
    """The cells under FIRST_COLUMNS, the same on every sheet of rows."""
    messages = row.messages
    return [
        row.sheet,
        row.row,
        row.source,
        row.destination,
        ENUM_TEXT.get(row.status) or "",
        "\n".join(m.render() for m in messages) if messages else "",
    ]


def _widths(headers: list[str], sample: list[list[object]]) -> list[float]:
    """Never narrower than the header, wide enough for the data seen, within a cap."""
    widths = []
    for index, header in enumerate(headers):
        longest = max(
            (max(len(line) for line in str(r[index]).split("\n")) for r in sample if r[index] is not None),
            default=0,
        )
        cap = _WIDTH_CAPS.get(header, 50)
        widths.append(float(min(max(len(header) + 3, longest + 2, 6), max(cap, len(header) + 3))))
    return widths


def _lines(values: list[object], wrapped: list[int], widths: list[float]) -> int:
    """How many lines of text the tallest wrapped cell needs at its column's width."""
    tallest = 1
    for index in wrapped:
        text = values[index]
        if isinstance(text, str) and text:
            width = max(int(widths[index]) - 1, 1)
            tallest = max(tallest, sum(-(-max(len(line), 1) // width) for line in text.split("\n")))
    return min(tallest, 27)


def _status_sheet(book: StreamingWorkbook, result: RunResult) -> None:
    """`cmassoc status`: per pair, what the site says of its association and user state."""
    original = report_columns(result)[: MAX_ORIGINAL_COLUMNS - len(STORE_COLUMNS)]
    headers = [*FIRST_COLUMNS, *STORE_COLUMNS, "Behaviour", "Users on the site", *original]

    def cells_of(row: RowResult) -> list[object]:
        store = row.store
        return [
            *_first_cells(row),
            *(
                [
                    store.migration_status,
                    store.captured,
                    store.restored,
                    store.deleted,
                    store.store_path or None,
                    store.migration_type,
                ]
                if store is not None
                else [None] * len(STORE_COLUMNS)
            ),
            int(row.behavior) if row.behavior is not None else None,
            "\n".join(row.users),
            *row.cells(original),
        ]

    rows = (cells_of(row) for row in result.rows)
    widths = _widths(headers, [cells_of(row) for row in result.rows[:2000]])
    for name in ("Captured", "Restored", "Store deleted"):
        widths[headers.index(name)] = 17.0
    _write_rows(book, "Status", headers, rows, widths, result.rows)


def report_columns(result: RunResult) -> list[str]:
    """The pairs sheets' headers, then any header only a users-sheet row has."""
    columns = list(result.wave.columns)
    seen = set(columns)
    for row in result.rows:
        if row.block is not None:
            continue  # a pairs sheet's own columns: in wave.columns already
        for name in row.values:
            if name not in seen:
                seen.add(name)
                columns.append(name)
    return columns
