"""The blank wave template (the same file as templates/computer-associations.xlsx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from importer.model import Behavior
from importer.read.aliases import EXAMPLE_ROW
from importer.report.atomic import replace_atomically

PAIR_HEADERS = ("Source", "Destination", "Behavior", "Users", "Notes")
USER_HEADERS = ("Source", "User")
ROWS_WITH_DROPDOWN = 5000
EXAMPLE_NOTE = "Example row: type over it or delete it (left as it is, it is ignored)"

INSTRUCTIONS = (
    "How to fill in this wave sheet",
    "",
    "Associations sheet: one row per old computer -> new computer.",
    "  Source: the old computer's name as ConfigMgr knows it (PC0042; pc0042.contoso.com works too).",
    "  Destination: the new computer's name. If ConfigMgr does not know it yet, add its MAC Address",
    "    and/or SMBIOS GUID in columns of those names: cmassoc imports it first.",
    "  Behavior: 0, 1 or 2 (or the names below). Empty = the default given to cmassoc "
    "(--behavior, 2 unless you say otherwise).",
    "  Users: DOMAIN\\user accounts to migrate, separated by ; or , or new lines. "
    "Needed for behaviours 1 and 2.",
    "  Extra columns (Notes, Ticket, Site...) are kept and copied into the report.",
    "  Row 2 is an example: type over it or delete it (left as it is, it is ignored).",
    "  Names have at most 15 characters; Excel warns about a longer one as you type it.",
    "",
    "Users sheet (optional): one row per account, Source = the old computer, User = DOMAIN\\user.",
    "  Use it instead of, or as well as, the Users column.",
    "",
    "Behaviours:",
    *(f"  {b.value} = {b.label.split('(', 1)[1].rstrip(')')} ({b.cmdlet_name})" for b in Behavior),
    "  With behaviour 2 a source computer can have only one destination.",
    "  A destination computer can restore from only one source.",
    "",
    "Check the sheet without touching ConfigMgr:  cmassoc validate wave.xlsx",
    "See what would be created:                   "
    "cmassoc run wave.xlsx --server SMSPROV --site-code ABC --dry-run",
)

_HEADER_FILL = PatternFill("solid", start_color="1F4E78", end_color="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")


def build_template() -> Workbook:
    workbook = Workbook()
    info = workbook.active
    info.title = "Instructions"
    info.column_dimensions["A"].width = 100
    for line in INSTRUCTIONS:
        info.append([line])
    info["A1"].font = Font(bold=True, size=14)
    for row in info.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    _one_page_wide(info)

    pairs = workbook.create_sheet("Associations")
    _headers(pairs, PAIR_HEADERS, (18, 18, 12, 40, 50))
    pairs.append([*EXAMPLE_ROW[:2], "2", "CONTOSO\\jdoe", EXAMPLE_NOTE])
    for cell in pairs[2]:
        cell.font = Font(italic=True, color="7F7F7F")
        cell.number_format = "@"
    names = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1="15",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Computer name too long",
        error="A computer name has at most 15 characters.",
    )
    names.add(f"A2:B{ROWS_WITH_DROPDOWN}")
    pairs.add_data_validation(names)
    _one_page_wide(pairs)
    behaviors = DataValidation(
        type="list",
        formula1='"0,1,2"',
        allow_blank=True,
        showErrorMessage=False,  # names like CaptureAndRestoreAllUserAccounts are accepted too
        promptTitle="Migration behaviour",
        prompt="0 all accounts, 1 capture all/restore listed, 2 listed accounts only",
    )
    behaviors.add(f"C2:C{ROWS_WITH_DROPDOWN}")
    pairs.add_data_validation(behaviors)
    _as_text(pairs, len(PAIR_HEADERS))
    pairs.column_dimensions["D"].alignment = Alignment(wrap_text=True, vertical="top")

    users = workbook.create_sheet("Users")
    _headers(users, USER_HEADERS, (18, 30))
    _as_text(users, len(USER_HEADERS))
    workbook.active = 1
    return workbook


def _headers(sheet: Any, names: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for index, (name, width) in enumerate(zip(names, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=name)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _one_page_wide(sheet: Any) -> None:
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.page_setup.orientation = "landscape"


def _as_text(sheet: Any, width: int) -> None:
    """Column-wide Text format: typed names keep leading zeros, and no row is pre-filled."""
    for index in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(index)].number_format = "@"


def write_template(path: Path) -> None:
    workbook = build_template()
    with replace_atomically(path) as tmp:
        workbook.save(tmp)
