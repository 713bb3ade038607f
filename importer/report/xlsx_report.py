"""The Excel report people review: a Summary sheet and a Results sheet, one row per input row.

Streamed by importer.report.xlsx_writer, so a 100k-row report takes seconds and little
memory. Every text cell is an inline string, so text starting with = + - @ can never
become a formula (OWASP CSV-injection guidance).
"""

from __future__ import annotations

from pathlib import Path

from importer.limits import EXCEL_MAX_COLUMNS
from importer.model import RowResult, Status
from importer.report.atomic import replace_atomically
from importer.report.labels import RESULTS_SHEET, SUMMARY_LABELS, SUMMARY_SHEET
from importer.report.summary import summary
from importer.report.xlsx_writer import BOLD, PLAIN, WRAP, Chart, StreamingWorkbook, fill_style
from importer.results import RunResult
from importer.status import STATUS_TABLE

STATUS_FILLS = {info.status: info.fill for info in STATUS_TABLE}
RESULT_COLUMNS = (
    "Source computer",
    "Destination computer",
    "Source ResourceID",
    "Restore ResourceID",
    "Behaviour",
    "Users sent",
    "Users from",
    "New computer",
    "Collections",
    "Status",
    "Messages",
)
STORE_COLUMNS = ("Migration", "Captured", "Restored", "Store deleted", "Store path", "Migration type")
_FILL_STYLES = {status: fill_style(index) for index, status in enumerate(STATUS_FILLS)}
MAX_ORIGINAL_COLUMNS = EXCEL_MAX_COLUMNS - 2 - len(RESULT_COLUMNS)  # Sheet and Row come first


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
        anchor=(3, 2, 10, 18),
        colors=[STATUS_FILLS[s] for s in counts],
    )
    book.add_sheet(SUMMARY_SHEET, widths=(22, 70), chart=chart if counts else None)
    book.row(
        ["Computer association status" if result.command == "status" else "Computer association import"],
        [BOLD],
    )
    book.row([])
    book.row(["Status", "Rows"], [BOLD, BOLD])
    for status, number in counts.items():
        book.row([status.value, number], [_fill(status)])
    book.row(["total", len(result.rows)], [BOLD])
    book.row([])
    book.row(["Run"], [BOLD])
    info = summary(result)
    for key, label in SUMMARY_LABELS:
        value = info.get(key)
        if value is None:
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
        for note in notes:
            book.row([None, note], [PLAIN, WRAP])
    book.end_sheet()


def _results_sheet(book: StreamingWorkbook, result: RunResult) -> None:
    if result.command == "status":
        _status_sheet(book, result)
        return
    original = report_columns(result)[:MAX_ORIGINAL_COLUMNS]
    headers = ["Sheet", "Row", *original, *RESULT_COLUMNS]
    widths = [
        12,
        6,
        *(min(max(len(h) + 2, 14), 40) for h in original),
        18,
        18,
        12,
        12,
        10,
        30,
        13,
        20,
        34,
        11,
        90,
    ]
    book.add_sheet(RESULTS_SHEET, widths=widths, freeze=(2, 1), autofilter=True)
    book.row(headers, [BOLD] * len(headers))
    styles = [PLAIN] * len(headers)
    users_at, status_at, messages_at = len(headers) - 6, len(headers) - 2, len(headers) - 1
    styles[users_at] = styles[messages_at] = styles[len(headers) - 3] = WRAP
    for row in result.rows:
        styles[status_at] = _fill(row.status)
        book.row(_result_cells(row, original), styles)
    book.end_sheet()


def _status_sheet(book: StreamingWorkbook, result: RunResult) -> None:
    """`cmassoc status`: per pair, what the site says of its association and user state."""
    original = report_columns(result)[: MAX_ORIGINAL_COLUMNS - len(STORE_COLUMNS)]
    headers = ["Sheet", "Row", *original, *RESULT_COLUMNS[:6], *STORE_COLUMNS, "Status", "Messages"]
    widths = [12, 6, *(min(max(len(h) + 2, 14), 40) for h in original), 18, 18, 12, 12, 10, 30]
    widths += [13, 17, 17, 17, 40, 14, 12, 70]
    book.add_sheet(RESULTS_SHEET, widths=widths, freeze=(2, 1), autofilter=True)
    book.row(headers, [BOLD] * len(headers))
    styles = [PLAIN] * len(headers)
    styles[len(headers) - 9] = styles[len(headers) - 1] = WRAP
    for row in result.rows:
        styles[len(headers) - 2] = _fill(row.status)
        store = row.store
        cells = _result_cells(row, original)[: 2 + len(original) + 6]
        cells += (
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
        )
        cells += [row.status.value if row.status else "", "\n".join(m.render() for m in row.messages)]
        book.row(cells, styles)
    book.end_sheet()


def report_columns(result: RunResult) -> list[str]:
    """The pairs sheets' headers, then any header only a users-sheet row has."""
    columns = list(result.wave.columns)
    seen = set(columns)
    for row in result.rows:
        for name in row.values:
            if name not in seen:
                seen.add(name)
                columns.append(name)
    return columns


def _result_cells(row: RowResult, original: list[str]) -> list[object]:
    values = row.values
    return [
        row.sheet,
        row.row,
        *(values.get(name) for name in original),
        row.source,
        row.destination,
        row.source_resource_id,
        row.restore_resource_id,
        int(row.behavior) if row.behavior is not None else None,
        "\n".join(row.users),
        row.users_from.value if row.users_from else None,
        row.hardware.value if row.hardware else None,
        "\n".join(row.membership) or None,
        row.status.value if row.status else "",
        "\n".join(m.render() for m in row.messages),
    ]
