"""How a report's sheets print: paper, margins, what every page says around the table, and the
column widths a page holds at a readable size.

A page is laid out for the smaller printable area of A4 and Letter in landscape (Letter's
11 inches across, A4's 8.27 inches down), so one layout prints on either. The columns a
reviewer signs off make the print area and share a width planned for 85% scale in Excel's
measure (LibreOffice's Carlito is a little wider: 80% there, on Letter): fitted one page wide,
11-point text prints at about 9 points, and a full page holds about 35 rows of a line or two.
Columns right of the print area are for the screen only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Paper = Literal["a4", "letter"]
PAPERS: dict[str, int] = {"a4": 9, "letter": 1}  # Excel's paper size codes
DEFAULT_PAPER: Paper = "a4"

SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN, EDGE = 0.3, 0.6, 0.6, 0.25  # inches; EDGE: header and footer
PRINT_SCALE = 0.85  # what a print area's widths are planned for: 11 points print as 9.35
# Screen pixels (96 an inch) a print area may span: Letter's landscape width less the margins.
PAGE_PX = (11.0 - 2 * SIDE_MARGIN) * 96 / PRINT_SCALE
_PART = 80  # characters of a name in a page's header or footer (Excel holds 255 in all)


def column_px(width: float) -> int:
    """A column's width in pixels, as Excel converts it for its default font (Calibri 11: a
    7-pixel digit and 5 pixels of padding)."""
    return int(width * 7 + 0.5) + 5


def room(widths: Sequence[float]) -> float:
    """The width (in characters) left on a planned page beside these columns."""
    return (PAGE_PX - sum(map(column_px, widths)) - 5) / 7


def fill(widths: list[float], flexible: Sequence[int], natural: Sequence[float], least: float = 24) -> None:
    """Give the `flexible` columns (Messages, What to do...) the page's width left by the others,
    shared in proportion to `natural` (what their data asks), never more than that, never less
    than `least` each."""
    others = [w for i, w in enumerate(widths) if i not in flexible]
    left = room(others) - 5 * (len(flexible) - 1) / 7
    total = sum(natural) or 1.0
    for i, want in zip(flexible, natural, strict=True):
        widths[i] = float(int(max(min(want, left * want / total), least)))


def part(text: str) -> str:
    """Text as a page header or footer shows it: & doubled (Excel's escape), kept short (at most
    80 characters as written, so a header or footer stays within Excel's 255)."""
    text = re.sub(r"[\x00-\x1f]", " ", text)
    escaped = text.replace("&", "&&")
    if len(escaped) <= _PART:
        return escaped
    out, size = [], 3
    for char in text:
        size += 2 if char == "&" else 1
        if size > _PART:
            break
        out.append("&&" if char == "&" else char)
    return "".join(out) + "..."


def file_name(path: str) -> str:
    """The last part of a path, written on Windows or elsewhere."""
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or path


@dataclass(frozen=True)
class Pages:
    """What every printed page of one report says: its title in the header (with the sheet's),
    the wave file and the run in the footer, with "Page N of M"."""

    paper: Paper = DEFAULT_PAPER
    title: str = ""
    source: str = ""  # the footer's left: the wave file's name (none: the workbook's own)
    run: str = ""  # the footer's centre: the run ID, or when the report was made

    def apply(self, ws: Any, title: str, tabular: bool, one_page: bool) -> None:
        """Print setup of one worksheet. A `tabular` sheet prints its gridlines; a `one_page`
        sheet is fitted to one page, the others to one page wide."""
        ws.set_paper(PAPERS[self.paper])
        ws.set_landscape()
        ws.fit_to_pages(1, 1 if one_page else 0)
        ws.set_margins(left=SIDE_MARGIN, right=SIDE_MARGIN, top=TOP_MARGIN, bottom=BOTTOM_MARGIN)
        heading = part(self.title)
        ws.set_header(f"&L{heading}&R{part(title)}" if heading else f"&L{part(title)}", margin=EDGE)
        source = part(file_name(self.source)) if self.source else "&F"
        ws.set_footer(f"&L{source}&C{part(self.run)}&RPage &P of &N", margin=EDGE)
        if tabular:
            ws.hide_gridlines(0)  # printed too: a long row is easier to follow across the page
