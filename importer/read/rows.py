"""Rows of a pairs sheet that are not pairs: totals, counts and group headings, an Excel table's
totals row, notes under the table, and the template's example row.

A row whose Source and Destination are both valid computer names (the test the checks use) is
always a pair. Any other row is skipped only when nothing in it could be a computer name: a
label (Total, Subtotal, Count, Sum, "12 machines", "Finance - 12 machines", "IT Services (2)")
with only numbers or formulas beside it, anywhere in the sheet; the row an Excel table keeps for
its totals; under the table after a blank row, free text, numbers and lines drawn (----). Every
label and note the patterns accept holds a space, a colon or a comma, which no computer name
can, or is one of the bare words (Total, Count...), beside which the row then holds no other
text; and none holds a word shaped like a computer name (letters, then digits: PC0042, Q3).

The rows are sorted out column by column with Arrow, and only those whose Source or Destination
is not a plain name are looked at (in a clean wave, none): a 100,000-row wave costs a few passes
over two columns, and only the rows skipped are read one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from importer import messages
from importer.check.names import PLAIN_NAME_FORM, parse_computer_name
from importer.messages import Notice
from importer.model import WaveInput
from importer.model import fields as C
from importer.read import aliases
from importer.read.header import Header
from importer.read.sheet import Sheet

_BARE = r"(?:grand[ -]?total|sub-?totals?|totals?|sum|count)"
_UNITS = (
    r"(?:computers?|machines?|devices?|pairs?|pcs|laptops?|desktops?|notebooks?|workstations?"
    r"|systems?|clients?|associations?|rows?|items?|users?)"
)
LABEL = "(?i)" + "|".join(
    (
        rf"^{_BARE}$",  # Total, Subtotal, Grand total, Count, Sum
        rf"^(?:grand\s+total|{_BARE}|number\s+of\s+\S+)(?:\s|:|,)",  # Total: 12, Count of PCs
        rf"\d\s+{_UNITS}\b",  # 12 machines, Finance - 12 machines, Total: 10 computers
        r"\S\s+\(\s*\d[\d,.]*(?:\s+\S+)?\s*\)$",  # IT Services (2), Finance (12 machines)
        r"\S(?:\s+[-\x{2013}\x{2014}:]|:)\s*\d[\d,.]*$",  # Finance - 12, Machines: 12
    )
)
NUMBER = r"^\d(?:[\d,. ]*\d)?%?$"  # 12, 1,200, 12.5, 1 200, 50%: never a computer name
RULE = r"^[^\pL\pN]+$"  # ----, ====, ***: a line drawn in the sheet, no letter or digit
# Free text: three words or more, sixteen characters or more with a space, or a heading such as
# "Notes:" (a colon, which no computer name has).
_WORDS = r"\S\s+\S+\s+\S"
_SPACED = r"\S\s+\S"
_HEADING = r"^[A-Za-z][A-Za-z ]*:$"
# A word shaped like a computer name (letters first, a digit in it): PC0042, CON-NB0003, Q3.
NAMEISH = r"(?:^|[^A-Za-z0-9-])[A-Za-z][A-Za-z0-9-]*[0-9][A-Za-z0-9-]*(?:$|[^A-Za-z0-9-])"
_PLAIN = f"^(?:{PLAIN_NAME_FORM})$"

_EMPTY, _FILLER, _LABEL, _PROSE, _OTHER = range(5)  # _FILLER: a number, a formula, a rule
_NUMBER_KINDS = {"number", "formula", "error"}  # typed cells a total holds: counts, SUBTOTAL()

LISTED_WITH_TEXT = 12  # a sheet with more ranges than this lists only their row numbers
LISTED_AT_MOST = 300  # ranges listed in the notice in all, so it fits an Excel cell


@dataclass(frozen=True)
class Skipped:
    """A row that is not a pair: its number (from 1), why, and its first text."""

    row: int
    kind: str  # "label" (a total, count or heading), "table" (a table's totals row), "note"
    text: str


def not_pairs(
    sheet: Sheet, header: Header, rows: npt.NDArray[np.int64], totals: frozenset[int] = frozenset()
) -> tuple[npt.NDArray[np.int64], list[Skipped]]:
    """The rows (indexes from 0, ascending) that may be pairs, and those skipped as not pairs.
    `totals` are the rows of an Excel table's totals rows."""
    if not len(rows):
        return rows, []
    src, dst = header.fields[C.SOURCE], header.fields[C.DESTINATION]
    maybe = ~(_plain(sheet, src, rows) & _plain(sheet, dst, rows))
    for index, col in sheet.typed:  # TRUE, 12.5, #N/A... may look plain but is no name
        at = int(np.searchsorted(rows, index))
        if col in (src, dst) and at < len(rows) and rows[at] == index:
            maybe[at] = True
    candidates = np.flatnonzero(maybe)
    if not len(candidates):
        return rows, []
    cells = _kinds(sheet, rows[candidates])
    labels = (cells == _LABEL).sum(axis=0)
    prose = (cells == _PROSE).sum(axis=0)  # free text: a note under the table, not a total
    clean = (cells == _OTHER).sum(axis=0) == 0
    filled = (cells != _EMPTY).sum(axis=0)
    label_row = _spread(len(rows), candidates, clean & (labels > 0) & (prose == 0))
    note_row = _spread(len(rows), candidates, clean)  # under the table, any row without a name
    single = _spread(len(rows), candidates, filled == 1)
    table = np.isin(rows, np.fromiter(totals, dtype=np.int64, count=len(totals))) & maybe
    notes = note_row & _under_the_table(rows, header, label_row | note_row | table, single)
    skip = label_row | table | notes
    skipped: list[Skipped] = []
    for position in np.flatnonzero(skip).tolist():
        index = int(rows[position])
        if _valid(sheet.cell(index, src)) and _valid(sheet.cell(index, dst)):
            skip[position] = False  # two computer names: a pair, whatever else the row says
            continue
        kind = "table" if table[position] else "label" if label_row[position] else "note"
        text = next((c.strip() for c in sheet.row(index) if c.strip()), "")
        skipped.append(Skipped(index + 1, kind, text))
    return rows[~skip], skipped


def _plain(sheet: Sheet, col: int, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each row's cell in `col` is a plain computer name (PC0042): a pair's, surely."""
    texts = _texts(sheet, col, rows)
    plain = pc.and_(pc.match_substring_regex(texts, _PLAIN), pc.match_substring_regex(texts, "[A-Za-z]"))
    return np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)


def _texts(sheet: Sheet, col: int, rows: npt.NDArray[np.int64]) -> pa.LargeStringArray:
    """The cells of `col` on `rows`, stripped; "" for an empty one."""
    column = pa.array(sheet.frame[col], type=pa.large_string()).fill_null("")
    taken: pa.LargeStringArray = column.take(pa.array(rows, type=pa.int64()))  # type: ignore[assignment]
    return pc.utf8_trim_whitespace(taken)


def _kinds(sheet: Sheet, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
    """Each cell of `rows` (columns by rows): empty, number or formula, label, free text, other."""
    out = np.full((sheet.width, len(rows)), _EMPTY, dtype=np.int8)
    for col in range(sheet.width):
        texts = _texts(sheet, col, rows)
        lengths = np.asarray(pc.utf8_length(texts).to_numpy(zero_copy_only=False))
        if not lengths.any():
            continue

        def matches(pattern: str, texts: pa.LargeStringArray = texts) -> npt.NDArray[np.bool_]:
            found = pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)
            return np.asarray(found, dtype=bool)

        filled = lengths > 0
        number = matches(NUMBER) | matches("^=") | matches(RULE)
        nameish = matches(NAMEISH)
        label = ~number & ~nameish & matches(LABEL)
        prose = ~number & ~label & ~nameish & (matches(_WORDS) | (lengths >= 16) & matches(_SPACED))
        prose |= ~number & ~label & matches(_HEADING)
        kinds = np.select([number, label, prose], [_FILLER, _LABEL, _PROSE], _OTHER).astype(np.int8)
        out[col] = np.where(filled, kinds, _EMPTY)
    for (index, col), typed in sheet.typed.items():
        at = int(np.searchsorted(rows, index))
        if at < len(rows) and rows[at] == index and col < sheet.width:
            out[col, at] = _FILLER if typed.kind in _NUMBER_KINDS else _OTHER
    return out


def _spread(
    length: int, positions: npt.NDArray[np.int64], values: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    out = np.zeros(length, dtype=bool)
    out[positions] = values
    return out


def _under_the_table(
    rows: npt.NDArray[np.int64],
    header: Header,
    not_pair: npt.NDArray[np.bool_],
    single: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """The rows under the table: after its last row that may be a pair and a blank row, or the
    last row alone when it holds a single cell (a footer)."""
    under = np.zeros(len(rows), dtype=bool)
    kept = np.flatnonzero(~not_pair)
    start = int(kept[-1]) + 1 if len(kept) else 0
    if start == len(rows):
        return under
    before = int(rows[start - 1]) if start else header.row - 1  # the header's index
    steps = np.diff(np.concatenate(([before], rows[start:])))
    under[start:] = np.cumsum(steps > 1) > 0
    under[-1] |= bool(single[-1])
    return under


def _valid(text: str) -> bool:
    return bool(text.strip()) and parse_computer_name(text, "").value is not None


def drop_example(
    sheet: Sheet, header: Header, rows: npt.NDArray[np.int64], wave: WaveInput
) -> npt.NDArray[np.int64]:
    """The template's example row, left as it is, is not a pair."""
    if C.SOURCE not in header.fields or C.DESTINATION not in header.fields or not len(rows):
        return rows
    sources = sheet.frame[header.fields[C.SOURCE]].iloc[rows].str.strip().str.upper()
    destinations = sheet.frame[header.fields[C.DESTINATION]].iloc[rows].str.strip().str.upper()
    same = (sources == aliases.EXAMPLE_ROW[0]) & (destinations == aliases.EXAMPLE_ROW[1])
    example = same.fillna(False).to_numpy(dtype=bool)
    if not example.any():
        return rows
    wave.notes.append(
        Notice(
            messages.EXAMPLE_ROW_IGNORED,
            f"{sheet.where}: the template's example row was left as it is: ignored",
        )
    )
    return rows[~example]


def skipped_notice(found: Sequence[tuple[str, Sequence[Skipped]]]) -> Notice | None:
    """One notice naming every row skipped, by sheet and row number; ranges of rows in a row."""
    total = sum(len(skipped) for _, skipped in found)
    if not total:
        return None
    parts: list[str] = []
    budget = LISTED_AT_MOST
    for where, skipped in found:
        if not skipped:
            continue
        ranges = _ranges(skipped)
        listed = ranges[: max(budget, 0)]
        budget -= len(listed)
        if len(ranges) <= LISTED_WITH_TEXT:
            shown = ", ".join(_described(r) for r in listed)
        else:
            word = "rows" if len(skipped) > 1 else "row"
            shown = f"{word} " + ", ".join(_span(r) for r in listed)
        left = sum(r[-1].row - r[0].row + 1 for r in ranges[len(listed) :])
        if left:
            shown += f"{', ' if listed else ''}and {left:,} more row{'s' if left > 1 else ''}"
        parts.append(f"{where} {shown}")
    plural = "s that are not pairs" if total > 1 else " that is not a pair"
    return Notice(messages.ROWS_NOT_PAIRS, f"Skipped {total:,} row{plural}: " + "; ".join(parts))


def _ranges(skipped: Sequence[Skipped]) -> list[list[Skipped]]:
    """Rows one under the other, of one kind, as one range."""
    out: list[list[Skipped]] = []
    for row in skipped:
        last = out[-1][-1] if out else None
        if last is not None and last.row + 1 == row.row and last.kind == row.kind:
            out[-1].append(row)
        else:
            out.append([row])
    return out


def _span(rows: list[Skipped]) -> str:
    return str(rows[0].row) if len(rows) == 1 else f"{rows[0].row}-{rows[-1].row}"


_KINDS = {
    "label": "totals or headings",
    "table": "an Excel table's totals rows",
    "note": "notes under the table",
}


def _described(rows: list[Skipped]) -> str:
    first = rows[0]
    if len(rows) > 1:
        return f"rows {_span(rows)} ({_KINDS[first.kind]})"
    if first.kind == "table":
        return f"row {first.row} (an Excel table's totals row)"
    text = first.text if len(first.text) <= 60 else first.text[:60] + "..."
    return f"row {first.row} '{text}'"
