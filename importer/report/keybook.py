"""The workbook of recovery keys, written only encrypted: `cmassoc keys` and undo's escrow.

The workbook is built in memory (XlsxWriter's in_memory mode: no temporary file, not even
constant_memory's) and encrypted as Excel's "Encrypt with Password" does (ECMA-376 agile
encryption, by msoffcrypto-tool), so Excel asks for the password before it opens it. Only the
encrypted bytes ever reach the disk, through a temporary file beside the target that is
flushed to disk, then renamed over it.

Each row says how to restore that pair's user state by hand: USMT's documented LoadState line,
with /decrypt and /keyfile: (never /key:, since command lines are logged), StorePath as the
store folder. Which algorithm ConfigMgr's capture used is not documented: the sheet says so,
and what to try.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from importer import messages
from importer.errors import InputError
from importer.messages import Code
from importer.report.atomic import replace_atomically
from importer.site.recovery import RecoveryKey

MIN_PASSWORD = 12
KEY_FILE = "key.txt"
KEYS_SHEET, HOW_SHEET, ABOUT_SHEET = "Recovery keys", "How to restore", "About"
HEADERS = (
    "Sheet",
    "Row",
    "Source",
    "Destination",
    "Source ResourceID",
    "Restore ResourceID",
    "Recovery key",
    "Store path (StorePath)",
    "State stored (StoreCreationDate)",
    "State restored (StoreReleaseDate)",
    "Migration status",
    "Restore by hand",
    "Note",
)
WIDTHS = (12, 6, 16, 16, 12, 12, 40, 40, 18, 18, 14, 60, 60)
# LoadState tries these when /decrypt alone (3DES) does not open the store.
ALGORITHMS = ("AES_256", "AES_192", "AES_128", "AES", "3DES_112")
HOW_TO = (
    "How to restore a user's state by hand with USMT's LoadState, when a task sequence's restore failed.",
    "",
    f"1. On the destination computer, save the pair's recovery key alone on one line in a text file, "
    f"{KEY_FILE}, in LoadState's folder (copy the cell; add nothing else).",
    "2. As an administrator, run the pair's line from the column Restore by hand: LoadState reads the "
    "store in StorePath (the store folder, never the USMT.MIG file inside it) and decrypts it with the "
    "key file.",
    "   The line follows the documented form: loadstate StorePath /i:migapp.xml /i:migdocs.xml /v:13 "
    f"/decrypt /keyfile:{KEY_FILE}. Give LoadState the same /i: files the capture used (the scanstate "
    "command line in smsts.log on the source computer shows them).",
    "3. /keyfile: and never /key:, because command lines are logged (process auditing, EDR, "
    "loadstate.log): a key typed on one is a key left behind. /key and /keyfile never go together, "
    "nor /decrypt with /nocompress.",
    "4. The algorithm: /decrypt alone makes LoadState use 3DES. Which algorithm ConfigMgr's Capture "
    "User State step encrypts with is not documented. If LoadState cannot decrypt the store, try "
    f"/decrypt:{', then /decrypt:'.join(ALGORITHMS)}, one at a time with the same key file; the "
    "scanstate command line in smsts.log or scanstate.log on the source computer shows the /encrypt "
    "ConfigMgr used.",
    f"5. Delete {KEY_FILE} when LoadState has finished, and keep this workbook and its password "
    "apart: together they open every state listed here.",
    "",
    "Sources: learn.microsoft.com/windows/deployment/usmt/usmt-loadstate-syntax (the syntax and its "
    "rules), .../usmt-migration-store-encryption (3DES by default), and the ConfigMgr SDK's "
    "SMS_StateMigration (StorePath, the store dates) and GetEncryptDecryptKey.",
)


@dataclass(frozen=True)
class KeyRow:
    """One pair as the workbook shows it; `key` is None when the note says why there is none."""

    sheet: str
    row: int | None
    source: str
    destination: str
    source_id: int | None
    restore_id: int | None
    key: RecoveryKey | None
    note_code: Code
    note: str
    store_path: str = ""
    stored: dt.datetime | None = None
    released: dt.datetime | None = None
    migration_status: str = ""


def check_password(password: str | None, where: str) -> str:
    """The password, if it may encrypt recovery keys (12 characters or more)."""
    if not password:
        raise InputError(
            f"no password to encrypt {where}.",
            "Set CMASSOC_KEYS_PASSWORD, or run in a terminal to be asked.",
            code=messages.KEYS_NO_PASSWORD,
        )
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password for {where} is shorter than {MIN_PASSWORD} characters.",
            "Choose a longer one (a few words make a good one).",
            code=messages.KEYS_SHORT_PASSWORD,
        )
    return password


def restore_line(row: KeyRow) -> str:
    """The pair's LoadState line (nothing when there is no store or no key yet)."""
    if not row.store_path or row.key is None:
        return ""
    return f'loadstate "{row.store_path}" /i:migapp.xml /i:migdocs.xml /v:13 /decrypt /keyfile:{KEY_FILE}'


def workbook_bytes(rows: Sequence[KeyRow], about: Sequence[tuple[str, str]]) -> bytes:
    """The plain workbook, in memory only."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,  # no temporary file on disk, ever
            "constant_memory": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties({"author": "cmassoc", "title": "Recovery keys"})
    bold = book.add_format({"bold": True, "valign": "top"})
    top = book.add_format({"valign": "top"})
    wrap = book.add_format({"valign": "top", "text_wrap": True})
    date = book.add_format({"valign": "top", "num_format": "yyyy-mm-dd hh:mm", "align": "left"})
    sheet = book.add_worksheet(KEYS_SHEET)
    for column, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
        sheet.write_string(0, column, header, bold)
        sheet.set_column(column, column, width)
    for number, item in enumerate(rows, start=1):
        cells: list[object] = [
            item.sheet,
            item.row,
            item.source,
            item.destination,
            item.source_id,
            item.restore_id,
            item.key.reveal() if item.key is not None else "",
            item.store_path,
            item.stored,
            item.released,
            item.migration_status,
            restore_line(item),
            f"{item.note_code} {item.note}",
        ]
        for column, value in enumerate(cells):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                local = value.astimezone().replace(tzinfo=None) if value.tzinfo else value
                sheet.write_datetime(number, column, local, date)
            elif isinstance(value, int):
                sheet.write_number(number, column, value, top)
            else:
                sheet.write_string(number, column, str(value), wrap if column >= 6 else top)
    sheet.freeze_panes(1, 4)
    sheet.autofilter(0, 0, max(len(rows), 1), len(HEADERS) - 1)
    how = book.add_worksheet(HOW_SHEET)
    how.set_column(0, 0, 120)
    for number, line in enumerate(HOW_TO):
        how.write_string(number, 0, line, bold if number == 0 else wrap)
    info = book.add_worksheet(ABOUT_SHEET)
    info.set_column(0, 0, 24)
    info.set_column(1, 1, 80)
    for number, (label, value) in enumerate(about):
        info.write_string(number, 0, label, bold)
        info.write_string(number, 1, value, wrap)
    book.close()
    return buffer.getvalue()


def encrypt(data: bytes, password: str) -> bytes:
    """The workbook as Excel's "Encrypt with Password" makes it: an OLE package (agile encryption)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def write_keys(path: Path, rows: Sequence[KeyRow], about: Sequence[tuple[str, str]], password: str) -> Path:
    """The encrypted workbook at `path`, whole or not at all, on disk before this returns."""
    data = encrypt(workbook_bytes(rows, about), check_password(password, path.name))
    with (
        replace_atomically(
            path,
            what="",
            code=messages.KEYS_NOT_WRITTEN,
            hint="Close it if Excel has it open, or choose another place.",
            failing=OSError,
        ) as tmp,
        tmp.open("wb") as handle,
    ):
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return path
