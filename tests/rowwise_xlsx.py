"""The Excel report as it was built before issue 14: a loop over the cells of one row at a
time. Kept as the reference the column-wise writer and report must match byte for byte
(with what issue 14 changed on purpose: xml:space="preserve" only where text starts or ends
with whitespace, and no cell where a row has no messages or no users)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from importer.columns import column_letter
from importer.limits import EXCEL_MAX_CELL
from importer.model import RowResult
from importer.report.labels import BEHAVIOR_NUMBER, ENUM_TEXT
from importer.report.xlsx_report import (
    _FILLS,
    _WIDTH_CAPS,
    _WRAPPED,
    DETAIL_COLUMNS,
    FIRST_COLUMNS,
    STORE_COLUMNS,
)
from importer.report.xlsx_writer import _EPOCH, BOLD, PLAIN, WRAP, _text

_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _space(text: str) -> str:
    """Issue 14 left xml:space="preserve" off text without whitespace at either end."""
    return ' xml:space="preserve"' if text != text.strip() else ""


def row_xml(
    number: int,
    values: Sequence[object],
    styles: Sequence[int],
    lines: int,
    letters: Sequence[str],
    date_style: int,
) -> tuple[str, int]:
    """The row's XML and how many columns it reaches."""
    attrs = [f' s="{x}"' if x else "" for x in styles]
    joined = "\t".join([v for v in values if type(v) is str])
    clean = len(joined) <= EXCEL_MAX_CELL and not _SPECIAL.search(joined)
    height = f' ht="{min(15 * lines, 409)}" customHeight="1"' if lines > 1 else ""
    parts = [f'<row r="{number}"{height}>']
    last = -1
    for index, value in enumerate(values):
        if value is None:
            continue
        last = index
        s = attrs[index] if index < len(attrs) else ""
        kind = type(value)
        if kind is str:
            text = str(value) if clean else _text(value)  # type: ignore[arg-type]
            parts.append(
                f'<c r="{letters[index]}{number}"{s} t="inlineStr"><is><t{_space(text)}>{text}</t></is></c>'
            )
        elif kind is int or kind is float:
            parts.append(f'<c r="{letters[index]}{number}"{s}><v>{value}</v></c>')
        elif isinstance(value, bool):
            parts.append(f'<c r="{letters[index]}{number}"{s} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, dt.datetime):
            stamp = value.astimezone().replace(tzinfo=None) if value.tzinfo else value
            serial = (stamp - _EPOCH).total_seconds() / 86400
            s = f' s="{(styles[index] if index < len(styles) else 0) or date_style}"'
            parts.append(f'<c r="{letters[index]}{number}"{s}><v>{serial:.8f}</v></c>')
        elif isinstance(value, int | float):
            parts.append(f'<c r="{letters[index]}{number}"{s}><v>{value}</v></c>')
        else:
            text = _text(str(value))
            parts.append(
                f'<c r="{letters[index]}{number}"{s} t="inlineStr"><is><t{_space(text)}>{text}</t></is></c>'
            )
    parts.append("</row>")
    return "".join(parts), last + 1


# -- the Results sheet, row by row, as xlsx_report built it before issue 14 -------------


def row_cells(row: RowResult, original: list[str]) -> list[object]:
    more = row.extras
    messages = row.messages
    return [
        row.sheet,
        row.row,
        row.source,
        row.destination,
        ENUM_TEXT.get(row.status) or "",
        "\n".join(m.render() for m in messages) if messages else None,
        row.source_resource_id,
        row.restore_resource_id,
        BEHAVIOR_NUMBER.get(row.behavior),
        "\n".join(row.users) or None,
        ENUM_TEXT.get(row.users_from),
        ENUM_TEXT.get(more.get("hardware")),
        "\n".join(more.get("membership", ())) or None,
        *row.cells(original),
    ]


def widths(headers: list[str], sample: list[list[object]]) -> list[float]:
    out = []
    for index, header in enumerate(headers):
        longest = max(
            (max(len(line) for line in str(r[index]).split("\n")) for r in sample if r[index] is not None),
            default=0,
        )
        cap = _WIDTH_CAPS.get(header, 50)
        out.append(float(min(max(len(header) + 3, longest + 2, 6), max(cap, len(header) + 3))))
    return out


def lines(values: list[object], wrapped: list[int], widths: list[float]) -> int:
    tallest = 1
    for index in wrapped:
        text = values[index]
        if isinstance(text, str) and text:
            width = max(int(widths[index]) - 1, 1)
            tallest = max(tallest, sum(-(-max(len(line), 1) // width) for line in text.split("\n")))
    return min(tallest, 27)


def results_sheet_data(
    rows: list[RowResult], original: list[str], date_style: int
) -> tuple[str, list[float]]:
    """The Results sheet's <sheetData> and column widths, as the row loop wrote them."""
    headers = [*FIRST_COLUMNS, *DETAIL_COLUMNS, *original]
    wrapped = [i for i, h in enumerate(headers) if h in _WRAPPED]
    styles = [WRAP if h in _WRAPPED else PLAIN for h in headers]
    status_at = headers.index("Status")
    sample = [row_cells(row, original) for row in rows[:2000]]
    shown = widths(headers, sample)
    letters = [column_letter(i) for i in range(len(headers))]
    out = [row_xml(1, headers, [BOLD] * len(headers), 1, letters, date_style)[0]]
    for number, row in enumerate(rows, 2):
        values = row_cells(row, original)
        styles[status_at] = _FILLS[row.status]
        out.append(row_xml(number, values, styles, lines(values, wrapped, shown), letters, date_style)[0])
    return "<sheetData>" + "".join(out), shown


def status_sheet_data(rows: list[RowResult], original: list[str], date_style: int) -> str:
    """The Status sheet (`cmassoc status`) <sheetData>, as the row loop wrote it."""
    headers = [*FIRST_COLUMNS, *STORE_COLUMNS, "Behaviour", "Users on the site", *original]

    def cells_of(row: RowResult) -> list[object]:
        store = row.store
        first = row_cells(row, original)[:6]
        kept: list[object] = (
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
        behavior = int(row.behavior) if row.behavior is not None else None
        return [*first, *kept, behavior, "\n".join(row.users) or None, *row.cells(original)]

    wrapped = [i for i, h in enumerate(headers) if h in _WRAPPED]
    styles = [WRAP if h in _WRAPPED else PLAIN for h in headers]
    status_at = headers.index("Status")
    shown = widths(headers, [cells_of(row) for row in rows[:2000]])
    for name in ("Captured", "Restored", "Store deleted"):
        shown[headers.index(name)] = 17.0
    letters = [column_letter(i) for i in range(len(headers))]
    out = [row_xml(1, headers, [BOLD] * len(headers), 1, letters, date_style)[0]]
    for number, row in enumerate(rows, 2):
        values = cells_of(row)
        styles[status_at] = _FILLS[row.status]
        out.append(row_xml(number, values, styles, lines(values, wrapped, shown), letters, date_style)[0])
    return "<sheetData>" + "".join(out)
