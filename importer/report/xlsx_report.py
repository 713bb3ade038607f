"""The Excel report people review: a Summary sheet and a Results sheet, one row per input row.

Streamed by importer.report.xlsx_writer, so a 100k-row report takes seconds and little
memory. Every text cell is an inline string, so text starting with = + - @ can never
become a formula (OWASP CSV-injection guidance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from operator import attrgetter
from pathlib import Path

from importer.limits import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS
from importer.model import DESTINATION_FIELD, SOURCE_FIELD, RowResult, Status, cells_of, names_of, users_text
from importer.report.atomic import replace_atomically
from importer.report.labels import BEHAVIOR_NUMBER, ENUM_TEXT, RESULTS_SHEET, SUMMARY_LABELS, SUMMARY_SHEET
from importer.report.summary import summary
from importer.report.xlsx_writer import BOLD, PLAIN, WRAP, Chart, StreamingWorkbook, fill_style
from importer.results import RunResult
from importer.status import STATUS_INFO, STATUS_TABLE

STATUS_FILLS = {info.status: info.fill for info in STATUS_TABLE}
STORE_COLUMNS = ("Migration", "Captured", "Restored", "Store deleted", "Store path", "Migration type")
MAX_ORIGINAL_COLUMNS = EXCEL_MAX_COLUMNS - 13  # Sheet, Row and the 11 columns the tool adds


_STATUS_TEXT: dict[Status | None, str] = {s: ENUM_TEXT.get(s) or "" for s in [*Status, None]}
_FILLS: dict[Status | None, int] = {None: PLAIN}  # a status's style: its fill, top-aligned
_FILLS.update((status, fill_style(index)) for index, status in enumerate(STATUS_FILLS))


HELPED_FROM = 20_000  # rows; below this a forked helper costs more than it saves


def write_xlsx(result: RunResult, path: Path, helped: bool = False) -> None:
    """The report. `helped` (a command, not a library or the web server: it forks) lets a
    child process write half the rows of a large sheet on the other core."""
    with replace_atomically(path) as tmp, StreamingWorkbook(tmp, fills=list(STATUS_FILLS.values())) as book:
        _summary_sheet(book, result)
        _results_sheet(book, result, helped)


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
        book.row([status.value, number, STATUS_INFO[status].label], [_FILLS[status]])
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
            book.row([None, None, note], [PLAIN, PLAIN, WRAP], lines=_lines([[note]], [0], [50.0])[0])
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


CHUNK = 8192  # rows gathered into columns and written at a time


def _results_sheet(book: StreamingWorkbook, result: RunResult, helped: bool) -> None:
    if result.command == "status":
        _status_sheet(book, result, helped)
        return
    original = report_columns(result)[:MAX_ORIGINAL_COLUMNS]
    headers = [*FIRST_COLUMNS, *DETAIL_COLUMNS, *original]
    gather = lambda rows: _result_columns(rows, original)  # noqa: E731
    _write_rows(book, "Results", headers, gather, result.rows, helped=helped)


def _write_rows(
    book: StreamingWorkbook,
    title: str,
    headers: list[str],
    gather: Callable[[Sequence[RowResult]], list[Sequence[object]]],
    rows: list[RowResult],
    fixed_widths: Mapping[str, float] | None = None,
    helped: bool = False,
) -> None:
    """The Results sheet: frozen through Destination, filtered, Status coloured, wrapped cells.
    `gather` gives the cells of some rows, column by column. Rows beyond what one sheet holds
    (a full sheet of pairs plus users-sheet rows) go on "Results (2)" and so on, each with
    its header. `helped`: a forked helper writes the second half of a large sheet's rows."""
    wrapped = [i for i, h in enumerate(headers) if h in _WRAPPED]
    styles: list[int | Sequence[int]] = [WRAP if h in _WRAPPED else PLAIN for h in headers]
    status_at = headers.index("Status")
    first = gather(rows[:CHUNK])  # its first 2,000 rows set the widths; it is written first
    widths = _widths(headers, [column[:2000] for column in first])
    for name, width in (fixed_widths or {}).items():
        widths[headers.index(name)] = width

    def put(start: int, end: int) -> None:
        """rows[start:end] on the sheet being written, a chunk at a time."""
        while start < end:
            stop = min(start + CHUNK, end)
            chunk = rows[start:stop]
            columns = first if start == 0 and stop == len(first[0]) else gather(chunk)
            styles[status_at] = [_FILLS[s] for s in map(attrgetter("status"), chunk)]
            book.rows(columns, styles, _lines(columns, wrapped, widths))
            start = stop

    upto, helper = len(rows), None
    if helped and HELPED_FROM <= len(rows) < EXCEL_MAX_ROWS:  # one sheet: the second half forked
        half = len(rows) // 2
        helper = book.fork_rows(1 + half, lambda: put(half, len(rows)))
        upto = half if helper.started else len(rows)
    try:
        sheets, start = 0, 0
        while start < len(rows) or not sheets:
            if not sheets or book.rows_written >= EXCEL_MAX_ROWS:
                if sheets:
                    book.end_sheet()
                sheets += 1
                name = RESULTS_SHEET if sheets == 1 else f"{RESULTS_SHEET} ({sheets})"
                book.add_sheet(
                    name, widths=widths, freeze=(4, 1), autofilter=True, title=title, repeat_header=True
                )
                book.row(headers, [BOLD] * len(headers))
            end = min(start + CHUNK, upto, start + EXCEL_MAX_ROWS - book.rows_written)
            put(start, end)
            start = end
            if start == upto < len(rows) and helper is not None:
                if book.splice(helper):  # else the helper failed: its rows are written here
                    start = len(rows)
                upto = len(rows)
    finally:
        if helper is not None:
            helper.close()
    book.end_sheet()


def _result_columns(rows: Sequence[RowResult], original: list[str]) -> list[Sequence[object]]:
    """The cells of the Results sheet for these rows, column by column."""
    extras = list(map(attrgetter("extras"), rows))  # empty on most rows
    rare = any(extras)
    return [
        *_first_columns(rows),
        list(map(attrgetter("source_resource_id"), rows)),
        list(map(attrgetter("restore_resource_id"), rows)),
        list(map(BEHAVIOR_NUMBER.get, map(attrgetter("behavior"), rows))),
        users_text(rows, own=_lines_of),
        list(map(ENUM_TEXT.get, map(attrgetter("users_from"), rows))),
        [ENUM_TEXT.get(m.get("hardware")) for m in extras] if rare else [None] * len(rows),
        ["\n".join(m.get("membership", ())) or None for m in extras] if rare else [None] * len(rows),
        *cells_of(rows, original),
    ]


def _first_columns(rows: Sequence[RowResult]) -> list[Sequence[object]]:
    """The cells under FIRST_COLUMNS, the same on every sheet of rows."""
    return [
        list(map(attrgetter("sheet"), rows)),
        list(map(attrgetter("row"), rows)),
        names_of(rows, SOURCE_FIELD),
        names_of(rows, DESTINATION_FIELD),
        list(map(_STATUS_TEXT.__getitem__, map(attrgetter("status"), rows))),
        ["\n".join(m.render() for m in ms) if ms else None for ms in map(attrgetter("messages"), rows)],
    ]


def _lines_of(users: Sequence[str]) -> str | None:
    """A row's accounts one per line; no cell at all when it has none."""
    return "\n".join(users) or None


def _widths(headers: list[str], sample: list[Sequence[object]]) -> list[float]:
    """Never narrower than the header, wide enough for the data seen, within a cap."""
    widths = []
    for header, column in zip(headers, sample, strict=True):
        seen = "\n".join([str(v) for v in column if v is not None])
        longest = max(map(len, seen.split("\n")))
        cap = _WIDTH_CAPS.get(header, 50)
        widths.append(float(min(max(len(header) + 3, longest + 2, 6), max(cap, len(header) + 3))))
    return widths


def _lines(columns: Sequence[Sequence[object]], wrapped: list[int], widths: list[float]) -> list[int]:
    """Per row, how many lines of text its tallest wrapped cell needs at its column's width."""
    tallest = [1] * len(columns[0])
    for index in wrapped:
        column = columns[index]
        if not any(column):
            continue
        width = max(int(widths[index]) - 1, 1)
        texts: Sequence[str] = (
            column if set(map(type, column)) == {str} else [t if isinstance(t, str) else "" for t in column]  # type: ignore[assignment]
        )
        lines = list(map((1).__add__, map(str.count, texts, repeat("\n"))))
        if max(map(len, "\n".join(texts).split("\n"))) > width:  # some line wraps: count those
            for i, text in enumerate(texts):
                if len(text) > width:
                    lines[i] = sum(-(-max(len(line), 1) // width) for line in text.split("\n"))
        tallest = list(map(max, tallest, lines))
    return list(map(min, tallest, repeat(27)))


def _status_sheet(book: StreamingWorkbook, result: RunResult, helped: bool = False) -> None:
    """`cmassoc status`: per pair, what the site says of its association and user state."""
    original = report_columns(result)[: MAX_ORIGINAL_COLUMNS - len(STORE_COLUMNS)]
    headers = [*FIRST_COLUMNS, *STORE_COLUMNS, "Behaviour", "Users on the site", *original]

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
        stores = [list(c) for c in zip(*map(store_cells, rows), strict=True)] or [[] for _ in STORE_COLUMNS]
        return [
            *_first_columns(rows),
            *stores,
            [int(b) if b is not None else None for b in map(attrgetter("behavior"), rows)],
            users_text(rows, own=_lines_of),
            *cells_of(rows, original),
        ]

    fixed = dict.fromkeys(("Captured", "Restored", "Store deleted"), 17.0)
    _write_rows(book, "Status", headers, columns, result.rows, fixed, helped)


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
