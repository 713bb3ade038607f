"""Every message the tool gives has a stable code (CMA and three digits) from this one catalog.

Reports, JSON, the console and the web show the code beside the words, so a team can look a
message up in docs/messages.md (generated from this catalog: `python -m importer.messages`)
and tests can assert codes instead of wording, which may improve without breaking anyone.

Codes are grouped by where they arise; a code is never reused for another meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CATALOG", "Code", "Notice", "catalog_markdown"]


@dataclass(frozen=True)
class Code:
    """One message kind: its code, a short title, what it means and what to do about it."""

    code: str
    title: str
    meaning: str
    action: str

    def __str__(self) -> str:
        return self.code


CATALOG: dict[str, Code] = {}


def _code(code: str, title: str, meaning: str, action: str) -> Code:
    if not re.fullmatch(r"CMA[0-9]{3}", code) or code in CATALOG:
        raise ValueError(f"message code {code} is malformed or taken")
    CATALOG[code] = entry = Code(code, title, meaning, action)
    return entry


class Notice(str):
    """A line about the whole input or run (a sheet skipped, a column not read...): compares and
    serialises as its text, and carries its code."""

    code: Code

    def __new__(cls, code: Code, text: str) -> Notice:
        obj = super().__new__(cls, text)
        obj.code = code
        return obj

    def __reduce__(self) -> tuple[type[Notice], tuple[Code, str]]:
        return (Notice, (self.code, str(self)))


# --- CMA000-059: reading files and sheets -------------------------------------------------

# --- CMA060-099: what a file is, recognised by its content ---------------------------------

# --- CMA100-199: cells (names, accounts, behaviours, values) -------------------------------

# --- CMA200-299: rows and sheets as a whole, the site (resolve, plan, apply) ---------------

# --- CMA300-329: columns (headers, columns not read) ---------------------------------------

# --- CMA330-349: rows that are not pairs (totals, group headings, notes) -------------------

ROWS_NOT_PAIRS = _code(
    "CMA330",
    "Rows that are not pairs were skipped",
    "Rows under the header that hold a label (Total, Subtotal, Count, Sum, '12 machines', a group "
    "heading such as 'Finance - 12 machines' or 'IT Services (2)') and otherwise only numbers or "
    "formulas, an Excel table's totals row, and free text under the table after a blank row are "
    "not pairs. They are not read, do not count as rows of the wave and do not make the run need "
    "attention; the notice names each by its sheet and row number.",
    "Nothing, when the rows named are indeed not pairs. A row whose Source and Destination are both "
    "valid computer names is always read as a pair: if a pair was skipped, type both names.",
)
EXAMPLE_ROW_IGNORED = _code(
    "CMA331",
    "The template's example row was ignored",
    "The blank template's example row (EXAMPLE-OLD01 to EXAMPLE-NEW01) was left in the sheet as "
    "it is; it is not a pair and is not read.",
    "Nothing; delete the row or type over it when you fill in the template.",
)

# --- CMA350-399: run notices and summaries --------------------------------------------------

# --- CMA600-699: options and commands -------------------------------------------------------

# --- CMA700-799: the site connection --------------------------------------------------------


def catalog_markdown() -> str:
    """docs/messages.md: every code, what it means and what to do."""
    lines = [
        "# Messages",
        "",
        "Every message cmassoc gives carries a code. Generated from `importer/messages.py` by",
        "`python -m importer.messages > docs/messages.md`; a test keeps the two equal.",
        "",
    ]
    for entry in sorted(CATALOG.values(), key=lambda c: c.code):
        lines += [
            f"## {entry.code}: {entry.title}",
            "",
            entry.meaning,
            "",
            f"**What to do:** {entry.action}",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(catalog_markdown(), end="")
