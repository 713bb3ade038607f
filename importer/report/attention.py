"""The "Needs attention" sheet: only the rows someone must act on, what is wrong and what to do.

It is what a coordinator sends back to a sheet's owner, so it prints on its own: one line per
problem (a row with two problems has two lines), sorted by sheet (in the input's order) and
row, with the message's code and the catalog's advice. Which rows need someone depends on the
command: a run's (or validation's) rows that were not done, an undo's rows it could not take
back, a status reading's pairs that are gone or were not read. When none does, the sheet says
so in one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from importer.model import Level, Message, RowResult, Status
from importer.model.statuses import STATUS_INFO
from importer.report.excel import BOLD, CENTER, PLAIN, STATUS_FILLS, WRAP
from importer.report.excel import widths as natural_widths
from importer.report.labels import ATTENTION_SHEET, ENUM_TEXT
from importer.report.pages import fill

if TYPE_CHECKING:
    from importer.report.excel import Book
    from importer.results import RunResult

_WAVE = (Status.INVALID, Status.UNRESOLVED, Status.CONFLICT, Status.FAILED, Status.UNKNOWN, Status.NOT_SENT)
# Per command, the statuses of the rows someone must act on. An undo's rows that its run never
# got onto the site keep the run's word (invalid...): there was nothing to undo.
ATTENTION: dict[str, tuple[Status, ...]] = {
    "validate": _WAVE,
    "run": _WAVE,
    "undo": (Status.KEPT, Status.FAILED, Status.UNKNOWN, Status.NOT_SENT),
    "status": (Status.MISSING, Status.NOT_READ),
    "cleanup": (Status.KEPT, Status.FAILED, Status.UNKNOWN, Status.NOT_SENT, Status.NOT_READ),
}
HEADERS = ("Sheet", "Row", "Source", "Destination", "Status", "Code", "Message", "What to do")
_CAPS = {
    "Sheet": 20.0,
    "Source": 17.0,
    "Destination": 17.0,
    "Status": 12.0,
    "Message": 90.0,
    "What to do": 90.0,
}
CHUNK = 8192  # lines written at a time
_FLEXIBLE = (6, 7)  # Message and What to do share what the page has left
_STYLES = [PLAIN, CENTER, PLAIN, PLAIN, PLAIN, PLAIN, WRAP, WRAP]
_PREFIX = {Level.ERROR: "", Level.WARNING: "Warning: ", Level.NOTE: "Note: "}
Line = tuple[str, int, str | None, str | None, str | None, str | None, str, str]


def wanted(result: RunResult) -> tuple[Status, ...]:
    return ATTENTION.get(result.command, _WAVE)


def all_well(result: RunResult) -> str:
    """The one line that says no row needs attention, and which statuses would."""
    words = [status.value for status in wanted(result)]
    listed = ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]
    return f"Nothing needs attention: no row is {listed}."


def needing(result: RunResult) -> int:
    """How many rows need attention: by their status (from the counts), and a run's rows that
    are fine but for a readiness warning."""
    counts = result.counts()
    by_status = sum(counts.get(status, 0) for status in wanted(result))
    chosen = frozenset(wanted(result))
    if result.command == "status":  # and the pairs at risk (issue 30), whatever their state
        return by_status + sum(1 for row in result.rows if _at_risk(row) and row.status not in chosen)
    if result.command != "run":  # only a run (or dry run) checks readiness
        return by_status
    return by_status + sum(1 for row in result.rows if row.readiness and row.status not in chosen)


def rows_needing(result: RunResult) -> Iterator[RowResult]:
    """Those rows, in input order. Validation's columns find theirs without making every row."""
    statuses = wanted(result)
    if not needing(result):
        return iter(())
    pick = getattr(result.rows, "rows_with", None)
    if pick is not None:
        found: Iterator[RowResult] = pick(statuses)
        return found
    chosen = frozenset(statuses)
    return (row for row in result.rows if row.status in chosen or row.readiness or _at_risk(row))


def _at_risk(row: RowResult) -> bool:
    return row.store is not None and row.store.at_risk


def lines(rows: Iterable[RowResult]) -> list[Line]:
    """One line per problem, sorted by sheet (as the input has them) and row. A row's errors and
    warnings are its problems; a row with neither shows its notes, one without any message its
    status's meaning."""
    out: list[Line] = []
    order: dict[str, int] = {}
    risky: set[tuple[str, int]] = set()  # at-risk pairs come first (issue 30)
    for row in rows:
        order.setdefault(row.sheet, len(order))
        if _at_risk(row):
            risky.add((row.sheet, row.row))
        status = ENUM_TEXT.get(row.status)
        shown: Sequence[Message] = [m for m in row.messages if m.level is not Level.NOTE] or (
            row.messages if not row.readiness else ()
        )
        for message in shown:
            where = f"{message.column}: " if message.column else ""
            text = f"{_PREFIX[message.level]}{where}{message.text}"
            code, todo = (message.code.code, message.code.action) if message.code else (None, message.text)
            out.append((row.sheet, row.row, row.source, row.destination, status, code, text, todo))
        for warning in row.readiness:  # before anything is created: whether the pair can migrate
            text = f"Readiness: {warning.text}"
            out.append(
                (
                    row.sheet,
                    row.row,
                    row.source,
                    row.destination,
                    status,
                    warning.code.code,
                    text,
                    warning.code.action,
                )
            )
        if not shown and not row.readiness:
            label = STATUS_INFO[row.status].label if row.status is not None else ""
            out.append((row.sheet, row.row, row.source, row.destination, status, None, label, ""))
    out.sort(key=lambda line: ((line[0], line[1]) not in risky, order[line[0]], line[1]))
    return out


def attention_sheet(book: Book, result: RunResult) -> None:
    """The sheet, with the report's print setup: all its columns make the print area."""
    found = lines(rows_needing(result))
    if not found:
        sheet = book.sheet(ATTENTION_SHEET, widths=(100,))
        sheet.row([all_well(result)], [BOLD])
        return
    columns = list(zip(*found, strict=True))
    widths = natural_widths(HEADERS, [column[:2000] for column in columns], _CAPS)
    fill(widths, _FLEXIBLE, [widths[i] for i in _FLEXIBLE])
    sheet = book.sheet(ATTENTION_SHEET, widths, header=HEADERS, freeze=(1, 0))
    styles: list[str | list[str]] = list(_STYLES)
    for start in range(0, len(found), CHUNK):
        chunk = [column[start : start + CHUNK] for column in columns]
        styles[4] = [s if s in STATUS_FILLS else PLAIN for s in chunk[4]]
        sheet.write(chunk, styles)
