"""Every Excel report is written here: our sheets, columns and styles, on XlsxWriter.

Every sheet: cells aligned to the top, wrapped columns whose rows are as tall as their text,
each status its colour, widths that follow the headers and the data, and pages set up as
importer.report.pages says (paper, landscape, header and footer). A sheet of rows also has a
bold header row, filtered and printed on every page, and frozen panes; its print area may be
its first columns only. Text is always text, exactly as given (never a formula, a number or a
link); a cell longer than Excel holds is cut visibly, and control characters Excel cannot
hold are shown as \\xNN. XlsxWriter's constant_memory mode writes each row out when the next
begins, so rows go in order and a million of them take little memory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from types import NoneType
from typing import Any

import xlsxwriter

from importer.limits import EXCEL_MAX_CELL, cut_marker
from importer.model.statuses import STATUS_TABLE, Status
from importer.report.pages import Pages

PLAIN, BOLD, WRAP, DATE, TITLE = "plain", "bold", "wrap", "date", "title"  # styles; a Status is its fill
HEAD = "head"  # a header cell: bold, wrapped where its column is narrower than its words
LEFT, CENTER = "left", "center"  # a number aligned as text is, or centred under its header
STATUS_FILLS = {info.status: info.fill for info in STATUS_TABLE}
_STYLES: dict[str, dict[str, object]] = {
    PLAIN: {},
    BOLD: {"bold": True},
    TITLE: {"bold": True, "font_size": 14},
    HEAD: {"bold": True, "text_wrap": True},
    LEFT: {"align": "left"},
    CENTER: {"align": "center"},
    WRAP: {"text_wrap": True},
    DATE: {"num_format": "yyyy-mm-dd hh:mm", "align": "left"},
    **{status: {"pattern": 1, "bg_color": f"#{fill}"} for status, fill in STATUS_FILLS.items()},
}
_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "use_zip64": True,  # used only by a part past 4 GB
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what an Excel cell cannot hold
MAX_LINES = 27  # a row is never made taller than this many lines of text (Excel's 409 points)


def cell_text(text: str) -> str:
    """Text as a cell holds it: control characters shown as \\xNN, cut visibly to fit."""
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(text) > EXCEL_MAX_CELL // 2:  # Excel counts UTF-16 units: a character past U+FFFF is two
        units = text.encode("utf-16-le")
        if len(units) > 2 * EXCEL_MAX_CELL:  # cut as limits.cut_cell cuts, by units
            marker = cut_marker(len(text))
            text = units[: 2 * (EXCEL_MAX_CELL - len(marker))].decode("utf-16-le", "ignore") + marker
    return text


def widths(
    headers: Sequence[str],
    sample: Sequence[Sequence[object]],
    caps: Mapping[str, float] | None = None,
    narrow: Collection[str] = (),
) -> list[float]:
    """Never narrower than the header (and its filter button), wide enough for the data seen,
    within a cap (50). A `narrow` column's header may wrap: its longest word is what counts (a
    printed page's width goes to the data, not to a long header over short names)."""
    out = []
    for header, column in zip(headers, sample, strict=True):
        seen = "\n".join([str(v) for v in column if v is not None])
        longest = max(map(len, seen.split("\n")))
        cap = (caps or {}).get(header, 50)
        least = max(map(len, header.split())) if header in narrow else len(header)
        out.append(float(min(max(least + 3, longest + 2, 6), max(cap, least + 3))))
    return out


class Book:
    """A workbook written a sheet at a time, each sheet a row at a time (in order)."""

    def __init__(self, path: Path, pages: Pages | None = None) -> None:
        self.pages = pages or Pages()
        self._book = xlsxwriter.Workbook(str(path), _OPTIONS)
        self._book.set_properties({"author": "cmassoc"})
        self._formats = {key: self._book.add_format({"valign": "top", **s}) for key, s in _STYLES.items()}
        self._sheets: list[Sheet] = []

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:  # else nothing is kept: the caller's temporary file goes
            for sheet in self._sheets:
                sheet.finish()
            self._book.close()

    def sheet(
        self,
        name: str,
        widths: Sequence[float],
        title: str = "",
        header: Sequence[str] = (),
        freeze: tuple[int, int] | None = None,
        print_columns: int | None = None,
        one_page: bool = False,
    ) -> Sheet:
        """A sheet printed as the book's `pages` say, with `title` (default: its name) in the page
        header. A `header` row is bold, filtered and printed on every page; `freeze` is (rows,
        columns) kept in view; `print_columns` leading columns make the print area (default:
        all); a `one_page` sheet is fitted to one page."""
        sheet = Sheet(self._book, self._book.add_worksheet(name[:31]), self._formats, widths, header)
        sheet.print_columns = print_columns
        ws = sheet.worksheet
        for column, width in enumerate(widths):
            ws.set_column(column, column, width)
        if freeze:
            ws.freeze_panes(*freeze)
        self.pages.apply(ws, title or name, tabular=bool(header), one_page=one_page)
        # Text that looks like a number (00123, a date typed as text) is text on purpose.
        ws.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
        if header:
            ws.repeat_rows(0)
            sheet.row(header, [HEAD] * len(header))
        self._sheets.append(sheet)
        return sheet


class Sheet:
    def __init__(
        self,
        book: Any,
        worksheet: Any,
        formats: Mapping[str, Any],
        widths: Sequence[float],
        header: Sequence[str],
    ) -> None:
        self.book, self.worksheet, self.formats = book, worksheet, formats
        self.widths, self.header = widths, header
        self.rows = 0  # written so far
        self.print_columns: int | None = None  # the print area's columns (None: all)

    def row(self, cells: Sequence[object], styles: Sequence[str] = ()) -> None:
        """One row: str is text, int and float numbers, datetime a date, None no cell."""
        if cells:
            self.write([[cell] for cell in cells], styles)
        else:
            self.rows += 1

    def write(self, columns: Sequence[Sequence[object]], styles: Sequence[str | Sequence[str]] = ()) -> None:
        """Rows given column by column. styles[j] is column j's style (PLAIN by default), or
        one style per row; a row is as tall as the text of its WRAP cells needs."""
        count = len(columns[0]) if columns else 0
        tall = [1] * count
        plan = []
        for j, column in enumerate(columns):
            style = styles[j] if j < len(styles) else PLAIN
            put, column = self._writer(column)
            if put is None:
                continue
            if style in (WRAP, HEAD) and j < len(self.widths):
                tall = list(map(max, tall, _lines(column, self.widths[j])))
            formats = (
                [self.formats[style]] * count
                if isinstance(style, str)
                else list(map(self.formats.__getitem__, style))
            )
            plan.append((j, column, put, formats))
        set_row, first = self.worksheet.set_row, self.rows
        for i, lines in enumerate(tall):
            row = first + i
            if lines > 1:
                set_row(row, 15 * min(lines, MAX_LINES))
            for j, column, put, formats in plan:
                value = column[i]
                if value is not None:
                    put(row, j, value, formats[i])
        self.rows += count
        # XlsxWriter keeps every set_row() height, even of rows written out long ago (300 bytes
        # each: a million tall rows would hold 300 MB). Those written out are forgotten: all but
        # the last row, which constant_memory mode writes when the next one starts.
        info, sizes = self.worksheet.row_info, self.worksheet.row_sizes
        for row in range(first - 1, self.rows - 1):
            info.pop(row, None)
            sizes.pop(row, None)

    def _writer(self, column: Sequence[object]) -> tuple[Any, Sequence[object]]:
        """How a column's cells are written (None: it has none), and the cells to write:
        decided once for the column, not cell by cell."""
        kinds = set(map(type, column)) - {NoneType}
        if not kinds:
            return None, column
        if all(issubclass(kind, str) for kind in kinds):
            texts: list[str] = list(filter(None, column))  # type: ignore[arg-type]
            joined = "\n".join(texts)
            if _CONTROL.search(joined) or max(map(len, texts), default=0) > EXCEL_MAX_CELL // 2:
                column = [cell_text(v) if v else v for v in column]  # type: ignore[arg-type]
            if "<r>" in joined:
                return self._text, column
            # XlsxWriter's public write_string adds only A1-notation parsing to _write_string,
            # a tenth of a report's time: our rows and columns are numbers already.
            return self.worksheet._write_string, column
        if kinds <= {int, float}:
            return self.worksheet._write_number, column
        return self._any, column

    def _text(self, row: int, col: int, text: str, style: Any) -> None:
        if text.startswith("<r>") and text.endswith("</r>"):
            # XlsxWriter's constant_memory mode would write such text as raw XML: in pieces,
            # as a rich string, it is escaped like any other text.
            self.worksheet.write_rich_string(row, col, text[:1], text[1:2], text[2:], style)
        else:
            self.worksheet.write_string(row, col, text, style)

    def _any(self, row: int, col: int, value: object, style: Any) -> None:
        """A cell of a column of mixed kinds."""
        if isinstance(value, str):
            self._text(row, col, cell_text(value), style)
        elif isinstance(value, bool):
            self.worksheet.write_boolean(row, col, value, style)
        elif isinstance(value, int | float):
            self.worksheet.write_number(row, col, value, style)
        elif isinstance(value, dt.datetime):
            local = value.astimezone().replace(tzinfo=None) if value.tzinfo else value
            self.worksheet.write_datetime(row, col, local, self.formats[DATE])
        else:
            self._text(row, col, cell_text(str(value)), style)

    def chart(self, title: str, first: int, counts: Mapping[Status, int]) -> None:
        """A bar per status, in its colour, of the counts standing in column B from row
        `first` (0-based) beside their statuses in column A; placed right of the table."""
        chart = self.book.add_chart({"type": "bar"})
        name, last = self.worksheet.name, first + len(counts) - 1
        chart.add_series(
            {
                "categories": [name, first, 0, last, 0],
                "values": [name, first, 1, last, 1],
                # The cached values viewers draw from: constant_memory keeps no cells to take them from.
                "categories_data": [status.value for status in counts],
                "values_data": list(counts.values()),
                "fill": {"color": "#4472C4"},
                "points": [
                    {"fill": {"color": f"#{STATUS_FILLS[s]}"}, "border": {"color": "#7F7F7F"}} for s in counts
                ],
                "data_labels": {"value": True},
                "gap": 60,
            }
        )
        chart.set_title({"name": title})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # a bar chart's y axis holds the categories: first on top
        chart.set_size({"width": 7 * 64, "height": 16 * 20})  # columns E to K, rows 2 to 17
        self.worksheet.insert_chart(1, 4, chart)

    def finish(self) -> None:
        if self.header:
            self.worksheet.autofilter(0, 0, max(self.rows, 1) - 1, len(self.header) - 1)
        if self.print_columns:
            self.worksheet.print_area(0, 0, max(self.rows, 1) - 1, self.print_columns - 1)


def _lines(column: Sequence[object], width: float) -> list[int]:
    """Per cell, how many lines its text takes at this column width (1 for no text)."""
    width = max(int(width) - 1, 1)
    texts = [t if isinstance(t, str) else "" for t in column]
    lines = list(map((1).__add__, map(str.count, texts, repeat("\n"))))
    if max(map(len, "\n".join(texts).split("\n"))) > width:  # some line wraps: count those
        for i, text in enumerate(texts):
            if len(text) > width:
                lines[i] = sum(-(-max(len(line), 1) // width) for line in text.split("\n"))
    return lines
