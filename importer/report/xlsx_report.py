"""The Excel report people review: a Summary sheet and a Results sheet, one row per input row.

Written in openpyxl's write-only mode so a 100k-row report streams to disk.
Every text cell is stored as a string, so text starting with = + - @ can never
become a formula (OWASP CSV-injection guidance).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from importer.model import RowResult, Status
from importer.pipeline import RunResult
from importer.report.atomic import replace_atomically
from importer.report.summary import summary

STATUS_FILLS = {
    Status.CREATED: "C6EFCE",
    Status.EXISTS: "DDEBF7",
    Status.PLANNED: "FFF2CC",
    Status.VALID: "E2EFDA",
    Status.INVALID: "FFC7CE",
    Status.UNRESOLVED: "F8CBAD",
    Status.FAILED: "FF9999",
    Status.DELETED: "D9D2E9",
    Status.ABSENT: "EDEDED",
    Status.SKIPPED: "F2F2F2",
}
RESULT_COLUMNS = (
    "Source computer",
    "Destination computer",
    "Source ResourceID",
    "Restore ResourceID",
    "Behaviour",
    "Users sent",
    "Status",
    "Messages",
)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


def _safe_text(text: str) -> str:
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class _Writer:
    """Makes cells for one sheet; plain strings are typed as strings explicitly."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self._fills = {s: PatternFill("solid", start_color=c, end_color=c) for s, c in STATUS_FILLS.items()}

    def text(self, value: str, *, bold: bool = False, wrap: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=_safe_text(value))
        cell.data_type = "s"
        if bold:
            cell.font = _BOLD
        cell.alignment = _WRAP if wrap else _TOP
        return cell

    def status(self, status: Status | None) -> WriteOnlyCell:
        cell = self.text(status.value if status else "")
        if status is not None:
            cell.fill = self._fills[status]
        return cell

    def value(self, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str):
            return self.text(value)
        return value


def write_xlsx(result: RunResult, path: Path) -> None:
    workbook = Workbook(write_only=True)
    _summary_sheet(workbook, result)
    _results_sheet(workbook, result)
    with replace_atomically(path) as tmp:
        workbook.save(tmp)


def _summary_sheet(workbook: Workbook, result: RunResult) -> None:
    sheet = workbook.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 70
    out = _Writer(sheet)
    info = summary(result)
    sheet.append([out.text("Computer association import", bold=True)])
    sheet.append([])
    sheet.append([out.text("Status", bold=True), out.text("Rows", bold=True)])
    counts = result.counts()
    first = 4
    for status, number in counts.items():
        sheet.append([out.status(status), number])
    sheet.append([out.text("total", bold=True), len(result.rows)])
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Rows by status"
    chart.legend = None
    chart.height = 7
    chart.width = 14
    chart.add_data(
        Reference(sheet, min_col=2, min_row=first - 1, max_row=first + len(counts) - 1), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=first + len(counts) - 1))
    sheet.add_chart(chart, "D3")
    sheet.append([])
    sheet.append([out.text("Run", bold=True)])
    labels = (
        ("command", "Command"),
        ("input_file", "Input file"),
        ("input_sha256", "Input SHA-256"),
        ("site_code", "Site code"),
        ("provider", "Provider"),
        ("default_behavior_text", "Default behaviour"),
        ("batch_size", "Batch size"),
        ("dry_run", "Dry run"),
        ("started", "Started"),
        ("finished", "Finished"),
        ("run_by", "Run by"),
        ("version", "Tool version"),
        ("run_id", "Run ID"),
        ("journal", "Journal"),
        ("stopped_by", "Stopped early by"),
    )
    for key, label in labels:
        value = info.get(key)
        if value is None:
            continue
        shown = ("yes" if value else "no") if isinstance(value, bool) else value
        sheet.append([out.text(label), out.value(shown)])
    notes = result.wave.notes
    if notes:
        sheet.append([])
        sheet.append([out.text("Input notes", bold=True)])
        for note in notes:
            sheet.append([None, out.text(note, wrap=True)])


def _results_sheet(workbook: Workbook, result: RunResult) -> None:
    sheet = workbook.create_sheet("Results")
    out = _Writer(sheet)
    original = report_columns(result)
    headers = ["Sheet", "Row", *original, *RESULT_COLUMNS]
    widths = [12, 6, *(min(max(len(h) + 2, 14), 40) for h in original), 18, 18, 12, 12, 10, 30, 11, 90]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C2"
    last_row = len(result.rows) + 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{last_row}"
    sheet.append([out.text(h, bold=True) for h in headers])
    for row in result.rows:
        sheet.append(_result_cells(out, row, original))


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


def _result_cells(out: _Writer, row: RowResult, original: list[str]) -> list[object]:
    return [
        out.text(row.sheet),
        row.row,
        *(out.value(row.values.get(name)) for name in original),
        out.value(row.source),
        out.value(row.destination),
        row.source_resource_id,
        row.restore_resource_id,
        int(row.behavior) if row.behavior is not None else None,
        out.text("\n".join(row.users), wrap=True),
        out.status(row.status),
        out.text("\n".join(m.render() for m in row.messages), wrap=True),
    ]
