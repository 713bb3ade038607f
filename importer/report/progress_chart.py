"""The Progress sheet of a status report (issue 30 point 3): the wave's pairs per state at every
`status` call so far (kept in the index of runs), drawn as lines over time."""

from __future__ import annotations

from importer.model.progress import PROGRESS_STATES
from importer.report import excel
from importer.report.excel import BOLD
from importer.results import RunResult

PROGRESS_SHEET = "Progress"


def progress_sheet(book: excel.Book, result: RunResult) -> None:
    """A table (one line per status call) and a line per state, from the second call on."""
    history = result.progress_history
    if not history or len(history) < 2:  # one point draws no progress
        return
    sheet = book.sheet(PROGRESS_SHEET, widths=[20.0] + [11.0] * len(PROGRESS_STATES), one_page=True)
    sheet.row(["Read at", *PROGRESS_STATES], [BOLD] * (len(PROGRESS_STATES) + 1))
    first = sheet.rows
    for read_at, counts in history:
        sheet.row([read_at, *(counts.get(state, 0) for state in PROGRESS_STATES)])
    last = first + len(history) - 1
    name = sheet.worksheet.name
    chart = sheet.book.add_chart({"type": "line"})
    for column, state in enumerate(PROGRESS_STATES, start=1):
        chart.add_series(
            {
                "name": state,
                "categories": [name, first, 0, last, 0],
                "values": [name, first, column, last, column],
                # cached values: constant_memory keeps no cells for viewers to take them from
                "categories_data": [when for when, _ in history],
                "values_data": [counts.get(state, 0) for _, counts in history],
                "marker": {"type": "circle"},
            }
        )
    chart.set_title({"name": "The wave's progress"})
    chart.set_size({"width": 9 * 64, "height": 16 * 20})
    sheet.worksheet.insert_chart(last + 2, 0, chart)
