"""A small streaming .xlsx writer: what the report needs, at about 1 µs a cell.

openpyxl and XlsxWriter spend 10-60 µs on every cell, minutes for a 100k-row report.
This writes SpreadsheetML text straight into the zip as rows arrive. Text is always an
inline string (so nothing a user typed can become a formula), numbers are numbers, and
styles come from a fixed palette: plain, bold, wrapped, and one fill per named colour.
"""

from __future__ import annotations

import datetime as dt
import queue
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import eq, itemgetter
from pathlib import Path
from types import NoneType
from typing import IO

from importer.columns import column_letter
from importer.forked import Forked
from importer.limits import EXCEL_MAX_CELL, cut_cell
from importer.report.forked_rows import LEVEL, Part, can_splice, splice
from importer.table import ascii_lengths

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_EPOCH = dt.datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year quirk absorbed)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # escaped or replaced

PLAIN, BOLD, WRAP = 0, 1, 2  # style ids; fills follow
_EMPTY, _TEXT, _KEPT_TEXT, _NUMBER, _BOOLEAN, _DATE = range(6)  # what a cell is written as
# Text with whitespace at either end keeps it only under xml:space="preserve" (openpyxl and
# XlsxWriter mark those cells alone too): a fifth of a report's XML is saved on the rest.


def _clean(text: str) -> bool:
    """Nothing in `text` to escape or replace (the common case decided without the regex:
    printable text holds no control character)."""
    if text.isprintable():
        return "&" not in text and "<" not in text and ">" not in text
    return _SPECIAL.search(text) is None


_PLAIN_BYTES = bytes(b for b in range(32, 127) if b not in b"&<>")  # written as they are


def _plain_texts(cells: Sequence[object]) -> bool:
    """Every cell is printable ASCII text with nothing to escape, no space at either end and
    none longer than a cell may hold: the XML is the cells as they are. Decided in C over the
    cells joined (most columns of a report), instead of five passes over the cells."""
    try:
        joined = "\x00".join(cells)  # type: ignore[arg-type]
    except TypeError:  # a cell that is not text
        return False
    if not joined.isascii():
        return False
    data = joined.encode("ascii")
    if len(data.translate(None, _PLAIN_BYTES)) != len(cells) - 1:  # more than the separators
        return False
    if data[:1] == b" " or data[-1:] == b" " or b"\x00 " in data or b" \x00" in data:
        return False
    if len(data) - len(cells) < EXCEL_MAX_CELL:
        return True
    return int(ascii_lengths(data).max()) <= EXCEL_MAX_CELL


def _kind_of_text(text: str) -> int:
    return _KEPT_TEXT if text and (text[0].isspace() or text[-1].isspace()) else _TEXT


def fill_style(index: int) -> int:
    """Style id of the workbook's fill number `index` (top-aligned, that colour)."""
    return 3 + index


def escape(text: str) -> str:
    """Text for XML content (xml.sax.saxutils would import urllib and http.client: 10 ms of
    every command's start-up)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """Text as a double-quoted XML attribute value."""
    quoted = escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
    return '"' + quoted.replace("\t", "&#9;") + '"'


def _header_text(text: str) -> str:
    """Text for a page header: & starts a code there, so it is doubled."""
    return text.replace("&", "&&")[:200]


def _text(value: str) -> str:
    if len(value) > EXCEL_MAX_CELL:
        value = cut_cell(value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return escape(value)


@dataclass(frozen=True)
class Chart:
    """A bar chart of one column of values against one column of labels, on the same sheet."""

    title: str
    labels: tuple[int, int, int]  # column, first row, last row (0-based)
    values: tuple[int, int, int]
    label_cache: Sequence[str]
    value_cache: Sequence[float]
    anchor: tuple[int, int, int, int]  # from column, from row, to column, to row
    colors: Sequence[str] = ()  # RGB hex per bar; without them viewers may draw no bars at all


@dataclass
class _Sheet:
    name: str
    widths: Sequence[float] = ()
    freeze: tuple[int, int] | None = None  # frozen columns, frozen rows
    autofilter: bool = False
    chart: Chart | None = None
    rows: int = 0
    columns: int = 0
    index: int = 0
    title: str = ""  # printed in the page header, beside the file name
    repeat_header: bool = False  # row 1 printed on every page


@dataclass
class StreamingWorkbook:
    """Sheets are written one after the other: add_sheet(), write rows, end_sheet()."""

    path: Path
    fills: Sequence[str] = ()  # RGB hex colours; style id of fill i is fill_style(i)
    _zip: zipfile.ZipFile | None = None
    _out: _Behind | Part | None = None  # a Part in a forked helper (fork_rows)
    _sheets: list[_Sheet] = field(default_factory=list)
    _letters: list[str] = field(default_factory=list)
    _height_attrs: dict[int, str] = field(default_factory=dict)
    _pending: list[str] = field(default_factory=list)

    def __enter__(self) -> StreamingWorkbook:
        self._zip = zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL)
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if self._out is not None:  # stopped inside a sheet: its writer thread ends first
            self._out.close()
            self._out = None
        if kind is None:
            self._finish()
        assert self._zip is not None
        self._zip.close()

    def add_sheet(
        self,
        name: str,
        widths: Sequence[float] = (),
        freeze: tuple[int, int] | None = None,
        autofilter: bool = False,
        chart: Chart | None = None,
        title: str = "",
        repeat_header: bool = False,
    ) -> None:
        """A sheet that prints landscape, one page wide, with the file name, `title` and page
        numbers in its header and footer (and row 1 on every page with `repeat_header`)."""
        assert self._zip is not None and self._out is None
        sheet = _Sheet(
            name[:31],
            widths,
            freeze,
            autofilter,
            chart,
            index=len(self._sheets) + 1,
            title=title,
            repeat_header=repeat_header,
        )
        self._sheets.append(sheet)
        self._out = _Behind(self._zip.open(f"xl/worksheets/sheet{sheet.index}.xml", "w", force_zip64=True))
        head = [
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        ]
        if freeze:
            cols, rows = freeze
            top_left = f"{column_letter(cols)}{rows + 1}"
            pane = "bottomRight" if cols and rows else ("bottomLeft" if rows else "topRight")
            split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
            head.append(
                f'<sheetViews><sheetView workbookViewId="0"><pane{split} topLeftCell="{top_left}" '
                f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{top_left}" '
                f'sqref="{top_left}"/></sheetView></sheetViews>'
            )
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            head.append(
                "<cols>"
                + "".join(
                    f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
                    for i, w in enumerate(widths, 1)
                )
                + "</cols>"
            )
        head.append("<sheetData>")
        self._out.write("".join(head).encode("utf-8"))

    def row(self, cells: Iterable[object], styles: Sequence[int] | None = None, lines: int = 1) -> None:
        """One row: str -> text, int/float -> number, datetime -> date, None -> empty; styles by
        position; `lines` of text tall (for wrapped cells)."""
        values = cells if isinstance(cells, list) else list(cells)
        self.rows([[v] for v in values], list(styles or ()), [lines])

    def rows(
        self,
        columns: Sequence[Sequence[object]],
        styles: Sequence[int | Sequence[int]] = (),
        lines: Sequence[int] | None = None,
    ) -> None:
        """Rows given column by column (column j holds one cell per row). `styles[j]` is column
        j's style, or one style per row; `lines` is each row's height in lines of text (and says
        how many rows there are when there are no columns).

        A column whose cells are all of one kind and style is written as literal XML around
        its cells; a column whose cells differ is first made into each cell's whole XML. Then
        the pieces are zipped and joined, so that the loops run in C at a few hundredths of a
        microsecond a cell (a Python loop over the cells costs about one microsecond each)."""
        assert self._out is not None
        count = len(lines) if lines is not None else max(map(len, columns), default=0)
        if not count:
            return
        sheet = self._sheets[-1]
        first = sheet.rows + 1
        sheet.rows += count
        letters = self._letters
        if len(columns) > len(letters):
            letters.extend(column_letter(i) for i in range(len(letters), len(columns) + 16))
        numbers = list(map(str, range(first, first + count)))
        pieces: list[str | Sequence[str]] = ['<row r="', numbers, '"', self._heights(lines, count), ">"]
        for j, column in enumerate(columns):
            given = styles[j] if j < len(styles) else PLAIN
            if not isinstance(given, int) and len(set(given)) == 1:
                given = given[0]  # one style on every row after all
            cells, kinds = self._cells(column, count)
            if isinstance(kinds, int) and isinstance(given, int):
                if kinds != _EMPTY:
                    pieces += self._cell_xml(j, kinds, given, numbers, cells)
                    sheet.columns = max(sheet.columns, j + 1)
                continue
            made = self._fragments(j, kinds, given, numbers, cells, count)
            if made is not None:
                pieces.append(made)
                sheet.columns = max(sheet.columns, j + 1)
        pieces.append("</row>")
        text = "".join(chain.from_iterable(zip(*_streams(_merged(pieces)), strict=False)))
        self._pending.append(text)
        if len(self._pending) >= 512 or count > 64:  # written in pieces, not a row at a time
            self._flush()

    def _flush(self) -> None:
        """The rows built so far, to the sheet's stream."""
        pending = self._pending
        if pending:
            assert self._out is not None
            self._out.write((pending[0] if len(pending) == 1 else "".join(pending)).encode("utf-8"))
            pending.clear()

    def _cell_xml(
        self, j: int, kind: int, style: int, numbers: Sequence[str], cells: Sequence[str]
    ) -> list[str | Sequence[str]]:
        """Cells of column j, all of one kind and style: literal XML around the row numbers
        and the cells."""
        at, s = f'<c r="{self._letters[j]}', f' s="{style}"' if style else ""
        if kind == _TEXT:
            return [at, numbers, f'"{s} t="inlineStr"><is><t>', cells, "</t></is></c>"]
        if kind == _KEPT_TEXT:
            return [at, numbers, f'"{s} t="inlineStr"><is><t xml:space="preserve">', cells, "</t></is></c>"]
        if kind == _NUMBER:
            return [at, numbers, f'"{s}><v>', cells, "</v></c>"]
        if kind == _BOOLEAN:
            return [at, numbers, f'"{s} t="b"><v>', cells, "</v></c>"]
        return [at, numbers, f'" s="{style or self.date_style}"><v>', cells, "</v></c>"]

    def _fragments(
        self,
        j: int,
        kinds: int | list[int],
        styles: int | Sequence[int],
        numbers: Sequence[str],
        cells: Sequence[str],
        count: int,
    ) -> list[str] | None:
        """Each cell's whole XML ("" for an empty one) for a column whose cells differ in
        kind or style, one C pass per kind and style met; None when every cell is empty."""
        keys = list(
            zip(
                repeat(kinds) if isinstance(kinds, int) else kinds,
                repeat(styles) if isinstance(styles, int) else styles,
                strict=False,
            )
        )[:count]
        seen = Counter(keys)
        if all(kind == _EMPTY for kind, _ in seen):
            return None
        # The commonest kind and style is written for every row at once; the others replace it.
        common = max(seen, key=seen.__getitem__)
        if common[0] == _EMPTY:
            out = [""] * count
        else:
            every = list(map(_NOT_NONE.get, cells, cells))  # an empty cell's None as ""
            parts = self._cell_xml(j, common[0], common[1], numbers, every)
            out = list(map("".join, zip(*_streams(parts), strict=False)))
        for key in seen.keys() - {common}:
            where = list(compress(range(count), map(eq, keys, repeat(key))))
            if key[0] == _EMPTY:
                made: Iterable[str] = repeat("")
            else:
                pick = itemgetter(*where) if len(where) > 1 else (lambda seq, i=where[0]: (seq[i],))
                parts = self._cell_xml(j, key[0], key[1], pick(numbers), pick(cells))
                made = map("".join, zip(*_streams(parts), strict=False))
            for i, xml in zip(where, made, strict=False):
                out[i] = xml
        return out

    def _cells(self, column: Sequence[object], count: int) -> tuple[Sequence[str], int | list[int]]:
        """A column's cells as the XML holds them (text escaped, numbers written, dates as
        serials), and their kind: one for the whole column, or one per cell."""
        if len(column) < count:
            column = [*column, *([None] * (count - len(column)))]
        if _plain_texts(column):
            return column, _TEXT  # type: ignore[return-value]
        if column.count(None) == count:
            return column, _EMPTY  # type: ignore[return-value]
        types = set(map(type, column))
        if types <= {str, NoneType}:
            texts: list[str] = list(filter(None, column)) if NoneType in types else column  # type: ignore[assignment,arg-type]
            if texts and (max(map(len, texts)) > EXCEL_MAX_CELL or not _clean(" ".join(texts))):
                column = [_text(v) if v is not None else None for v in column]  # type: ignore[arg-type]
                texts = list(filter(None, column))  # type: ignore[arg-type]
            if list(map(str.strip, texts)) != texts:  # some cell needs xml:space="preserve"
                return column, [_EMPTY if v is None else _kind_of_text(v) for v in column]  # type: ignore[return-value,arg-type]
            if len(types) == 1:
                return column, _TEXT if str in types else _EMPTY  # type: ignore[return-value]
            return column, [_TEXT if v is not None else _EMPTY for v in column]  # type: ignore[return-value]
        if types <= {int, float, NoneType}:
            written = list(map(str, column))
            if len(types) == 1 or NoneType not in types:
                return written, _NUMBER
            return written, [_NUMBER if v is not None else _EMPTY for v in column]
        converted = [self._cell(v) for v in column]
        return [c[1] for c in converted], [c[0] for c in converted]

    @staticmethod
    def _cell(value: object) -> tuple[int, str]:
        """(kind, text) of one cell of a mixed column."""
        kind = type(value)
        if value is None:
            return _EMPTY, ""
        if kind is str:
            text = _text(value)  # type: ignore[arg-type]
            return _kind_of_text(text), text
        if kind is int or kind is float:
            return _NUMBER, f"{value}"
        if isinstance(value, bool):
            return _BOOLEAN, str(int(value))
        if isinstance(value, dt.datetime):
            stamp = value.astimezone().replace(tzinfo=None) if value.tzinfo else value
            return _DATE, f"{(stamp - _EPOCH).total_seconds() / 86400:.8f}"
        if isinstance(value, int | float):
            return _NUMBER, f"{value}"
        text = _text(str(value))
        return _kind_of_text(text), text

    def _heights(self, lines: Sequence[int] | None, count: int) -> Sequence[str]:
        if lines is None:
            return [""] * count
        known = self._height_attrs
        for tall in set(lines) - known.keys():
            known[tall] = f' ht="{min(15 * tall, 409)}" customHeight="1"' if tall > 1 else ""
        return list(map(known.__getitem__, lines))

    def fork_rows(self, rows_before: int, work: Callable[[], None]) -> Forked[Part]:
        """`work()` writes rows (with rows()) in a forked child, as the rows that follow the
        first `rows_before` rows of the next sheet, while this process adds that sheet and
        writes those; splice() then lays the child's rows after them. Called between sheets,
        when no writer thread runs (a fork copies only the thread that calls it)."""
        assert self._out is None

        def child() -> Part:
            part = Part()
            self._sheets.append(_Sheet("", rows=rows_before))
            self._out, self._pending = part, []
            work()
            self._flush()
            part.close()
            part.rows, part.columns = self._sheets[-1].rows - rows_before, self._sheets[-1].columns
            return part

        return Forked(child)

    def splice(self, helper: Forked[Part]) -> bool:
        """The helper's rows after the rows written here; False if it failed (or zipfile is
        not the one this knows), and then the caller writes those rows itself."""
        self._flush()
        out = self._out
        assert isinstance(out, _Behind)
        part = helper.result() if can_splice(out.out) else None
        if part is None:
            return False
        out.write(part)
        sheet = self._sheets[-1]
        sheet.rows += part.rows
        sheet.columns = max(sheet.columns, part.columns)
        return True

    @property
    def rows_written(self) -> int:
        """Rows of the sheet being written so far."""
        return self._sheets[-1].rows

    def end_sheet(self) -> None:
        assert self._out is not None
        sheet = self._sheets[-1]
        tail = [*self._pending, "</sheetData>"]
        self._pending.clear()
        if sheet.autofilter and sheet.columns:
            tail.append(f'<autoFilter ref="{self._filter_ref(sheet, absolute=False)}"/>')
        tail.append(
            '<pageMargins left="0.4" right="0.4" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
            "<headerFooter>"
            f"<oddHeader>&amp;L&amp;F&amp;R{escape(_header_text(sheet.title or sheet.name))}</oddHeader>"
            "<oddFooter>&amp;LPrinted &amp;D &amp;T&amp;RPage &amp;P of &amp;N</oddFooter>"
            "</headerFooter>"
            # Text that looks like a number (00123, a date typed as text) is text on purpose.
            '<ignoredErrors><ignoredError sqref="A1:XFD1048576" numberStoredAsText="1"/></ignoredErrors>'
        )
        if sheet.chart is not None:
            tail.append('<drawing r:id="rId1"/>')
        tail.append("</worksheet>")
        self._out.write("".join(tail).encode("utf-8"))
        self._out.close()
        self._out = None

    # -- the package around the sheets ------------------------------------------------

    def _filter_ref(self, sheet: _Sheet, absolute: bool) -> str:
        last = column_letter(max(sheet.columns - 1, 0))
        if absolute:
            return f"$A$1:${last}${max(sheet.rows, 1)}"
        return f"A1:{last}{max(sheet.rows, 1)}"

    def _finish(self) -> None:
        assert self._zip is not None and self._out is None
        z = self._zip
        sheets = self._sheets
        charts = [s for s in sheets if s.chart is not None]
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{s.index}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for s in sheets
        ) + "".join(
            f'<Override PartName="/xl/drawings/drawing{s.index}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
            f'<Override PartName="/xl/charts/chart{s.index}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>'
            for s in charts
        )
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f"{overrides}</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
            'Target="docProps/core.xml"/></Relationships>',
        )
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        z.writestr(
            "docProps/core.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>cmassoc</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created></cp:coreProperties>',
        )
        defined = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.index - 1}" hidden="1">'
            f"{escape(_quoted(s.name))}!{self._filter_ref(s, absolute=True)}</definedName>"
            for s in sheets
            if s.autofilter and s.columns
        ) + "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{s.index - 1}">'
            f"{escape(_quoted(s.name))}!$1:$1</definedName>"
            for s in sheets
            if s.repeat_header
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            "<bookViews><workbookView/></bookViews><sheets>"
            + "".join(
                f'<sheet name={quoteattr(s.name)} sheetId="{s.index}" r:id="rId{s.index}"/>' for s in sheets
            )
            + "</sheets>"
            + (f"<definedNames>{defined}</definedNames>" if defined else "")
            + "</workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{s.index}" Type="{_REL}/worksheet" Target="worksheets/sheet{s.index}.xml"/>'
                for s in sheets
            )
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        )
        z.writestr("xl/styles.xml", self._styles())
        for sheet in charts:
            assert sheet.chart is not None
            self._write_chart(sheet, sheet.chart)

    @property
    def date_style(self) -> int:
        """Style id of a date and time cell (yyyy-mm-dd hh:mm), after the fills."""
        return fill_style(len(self.fills))

    def _styles(self) -> str:
        fills = "".join(
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/></patternFill></fill>'
            for c in self.fills
        )
        fill_xfs = "".join(
            f'<xf numFmtId="0" fontId="0" fillId="{2 + i}" borderId="0" xfId="0" applyFill="1" '
            'applyAlignment="1"><alignment vertical="top"/></xf>'
            for i in range(len(self.fills))
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
            '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            f'<fills count="{2 + len(self.fills)}"><fill><patternFill patternType="none"/></fill>'
            f'<fill><patternFill patternType="gray125"/></fill>{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" applyAlignment="1">'
            '<alignment vertical="top"/></xf></cellStyleXfs>'
            f'<cellXfs count="{fill_style(len(self.fills)) + 1}">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
            '<alignment vertical="top"/></xf>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
            '<alignment vertical="top"/></xf>'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
            '<alignment vertical="top" wrapText="1"/></xf>'
            f"{fill_xfs}"
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
            'applyAlignment="1"><alignment vertical="top" horizontal="left"/></xf></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )

    def _write_chart(self, sheet: _Sheet, chart: Chart) -> None:
        assert self._zip is not None
        n = sheet.index
        c1, r1, c2, r2 = chart.anchor
        self._zip.writestr(
            f"xl/worksheets/_rels/sheet{n}.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/drawing" Target="../drawings/drawing{n}.xml"/></Relationships>',
        )
        self._zip.writestr(
            f"xl/drawings/_rels/drawing{n}.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/chart" Target="../charts/chart{n}.xml"/></Relationships>',
        )
        a = "http://schemas.openxmlformats.org/drawingml/2006/main"
        self._zip.writestr(
            f"xl/drawings/drawing{n}.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
            f'xmlns:a="{a}"><xdr:twoCellAnchor>'
            f"<xdr:from><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{c2}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r2}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="Chart 1"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:r="{_REL}" r:id="rId1"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>",
        )
        ref = escape(_quoted(sheet.name))
        lc, l1, l2 = chart.labels
        vc, v1, v2 = chart.values
        label_ref = f"{ref}!${column_letter(lc)}${l1 + 1}:${column_letter(lc)}${l2 + 1}"
        value_ref = f"{ref}!${column_letter(vc)}${v1 + 1}:${column_letter(vc)}${v2 + 1}"
        points = "".join(
            f'<c:pt idx="{i}"><c:v>{escape(v)}</c:v></c:pt>' for i, v in enumerate(chart.label_cache)
        )
        values = "".join(f'<c:pt idx="{i}"><c:v>{v:g}</c:v></c:pt>' for i, v in enumerate(chart.value_cache))
        count = len(chart.label_cache)
        bars = "".join(
            f'<c:dPt><c:idx val="{i}"/><c:invertIfNegative val="0"/><c:bubble3D val="0"/>'
            f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
            '<a:ln><a:solidFill><a:srgbClr val="7F7F7F"/></a:solidFill></a:ln></c:spPr></c:dPt>'
            for i, color in enumerate(chart.colors)
        )
        self._zip.writestr(
            f"xl/charts/chart{n}.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
            f'xmlns:a="{a}" xmlns:r="{_REL}"><c:chart>'
            f"<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{escape(chart.title)}</a:t></a:r></a:p></c:rich></c:tx>"
            '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
            '<c:barChart><c:barDir val="bar"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
            '<c:ser><c:idx val="0"/><c:order val="0"/>'
            '<c:spPr><a:solidFill><a:srgbClr val="4472C4"/></a:solidFill></c:spPr><c:invertIfNegative val="0"/>'
            f"{bars}"
            '<c:dLbls><c:showLegendKey val="0"/><c:showVal val="1"/><c:showCatName val="0"/>'
            '<c:showSerName val="0"/><c:showPercent val="0"/><c:showBubbleSize val="0"/></c:dLbls>'
            f'<c:cat><c:strRef><c:f>{label_ref}</c:f><c:strCache><c:ptCount val="{count}"/>{points}</c:strCache></c:strRef></c:cat>'
            f"<c:val><c:numRef><c:f>{value_ref}</c:f><c:numCache><c:formatCode>General</c:formatCode>"
            f'<c:ptCount val="{count}"/>{values}</c:numCache></c:numRef></c:val></c:ser>'
            '<c:gapWidth val="60"/><c:axId val="10"/><c:axId val="20"/></c:barChart>'
            '<c:catAx><c:axId val="10"/><c:scaling><c:orientation val="maxMin"/></c:scaling><c:delete val="0"/>'
            '<c:axPos val="l"/><c:tickLblPos val="nextTo"/><c:crossAx val="20"/><c:crosses val="autoZero"/></c:catAx>'
            '<c:valAx><c:axId val="20"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
            '<c:axPos val="b"/><c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/>'
            '<c:tickLblPos val="nextTo"/><c:crossAx val="10"/><c:crosses val="autoZero"/></c:valAx>'
            '</c:plotArea><c:plotVisOnly val="1"/></c:chart></c:chartSpace>',
        )


class _Behind:
    """A sheet's zip member, written on a thread of its own: zlib lets go of the GIL while it
    compresses, so the next rows are built meanwhile (a sixth of a large report's time)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.queue: queue.Queue[bytes | Part | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    if isinstance(data, Part):
                        splice(self.out, data)
                    else:
                        self.out.write(data)
                except BaseException as exc:  # given to the writer at its next write or close
                    self.error = exc

    def write(self, data: bytes | Part) -> None:
        """Text to compress, or a forked helper's compressed rows to lay after it."""
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.out.close()
        if self.error is not None:
            raise self.error


_NOT_NONE: dict[object, str] = {None: ""}


def _merged(pieces: list[str | Sequence[str]]) -> list[str | Sequence[str]]:
    """Literal pieces that follow one another as one: fewer pieces a row to zip and join."""
    out: list[str | Sequence[str]] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _streams(pieces: Sequence[str | Sequence[str]]) -> list[Iterable[str]]:
    """Literal text repeated for every row; columns as they are."""
    return [repeat(p) if isinstance(p, str) else p for p in pieces]


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"
