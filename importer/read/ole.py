"""What an OLE compound file is (the container of Office 97-2003 files, and of encrypted or
rights-managed Office 2007+ files), told by the streams it lists.

An encrypted .xlsx is no zip at all: Excel wraps the encrypted package in a compound file
with an EncryptionInfo stream (password) or a DRM transform (a sensitivity label or IRM).
An .xls is a Workbook stream (Excel 97-2003) or a Book stream (Excel 5.0/95); one encrypted
with a password starts that stream with a FILEPASS record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from importer import messages
from importer.errors import InputError

_FILEPASS, _BOUNDSHEET = 0x002F, 0x0085
_SCANNED_STREAM = 32 * 1024 * 1024  # a workbook stream read whole to find FILEPASS (olefile reads whole)

Refuse = Callable[[Path, messages.Code, str, str], InputError]


def ole_kind(path: Path, refuse: Refuse) -> str:
    """'biff8' for an Excel 97-2003 workbook, 'biff5' for an Excel 5.0/95 one; any other
    compound file is refused."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            entries = {"/".join(parts).lower() for parts in ole.listdir(streams=True, storages=True)}
            workbook = next((name for name in ("workbook", "book") if name in entries), None)
            encrypted = workbook is not None and _has_filepass(ole, workbook)
    except Exception as exc:  # olefile raises its own, OSError and others on a broken container
        raise refuse(
            path,
            messages.DAMAGED,
            "is damaged: it begins as an Office file (.xls, or an encrypted .xlsx), but its container "
            "is broken",
            "If Excel opens it (Excel repairs some damage), save it again as .xlsx; if not, ask for the "
            "file again.",
        ) from exc
    if encrypted and workbook == "workbook" and _builtin_password(path):
        raise refuse(
            path,
            messages.BUILTIN_PASSWORD,
            "is encrypted with Excel's built-in password (an .xls whose workbook structure is protected: "
            "Excel opens it without asking), which cmassoc cannot open",
            "Open it in Excel and save it as .xlsx (Excel Workbook).",
        )
    if encrypted or ("encryptioninfo" in entries and "encryptedpackage" in entries):
        raise refuse(
            path,
            messages.ENCRYPTED,
            "is encrypted with a password (Excel's File > Info > Protect Workbook > Encrypt with Password), "
            "which cmassoc cannot open",
            "Open it in Excel, save a copy without the password (clear it under Encrypt with Password) and "
            "give that copy.",
        )
    if any("drmencrypted" in name or "\tdrm" in name for name in entries):
        raise refuse(
            path,
            messages.RIGHTS_MANAGED,
            "is protected by a sensitivity label or rights management (encrypted for named people), "
            "which cmassoc cannot open",
            "Open it in Excel and save a copy as CSV UTF-8, or ask for a label that does not encrypt.",
        )
    if workbook == "workbook":
        return "biff8"
    if workbook == "book":
        return "biff5"
    if "worddocument" in entries:
        what, code = "is a Word 97-2003 document (.doc), not a spreadsheet", messages.NOT_A_SPREADSHEET
    elif "powerpoint document" in entries:
        what, code = (
            "is a PowerPoint 97-2003 presentation (.ppt), not a spreadsheet",
            messages.NOT_A_SPREADSHEET,
        )
    elif "nativecontent_main" in entries:
        what, code = "is a Quattro Pro notebook, which cmassoc cannot read", messages.OTHER_SPREADSHEET
    else:
        what, code = "is an Office 97-2003 file that holds no workbook", messages.NOT_A_SPREADSHEET
    hint = (
        "Open it in the program that made it and save it as .xlsx."
        if code is messages.OTHER_SPREADSHEET
        else "Give the wave's workbook (.xlsx) or CSV file."
    )
    raise refuse(path, code, what, hint)


def _builtin_password(path: Path) -> bool:
    """Whether the .xls opens with the password Excel itself uses when a workbook's structure
    is protected ("VelvetSweatshop"): msoffcrypto-tool checks the password's verifier only
    (its decryption would write the plain workbook to a temporary file, so none is done)."""
    import msoffcrypto

    try:
        with path.open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            if office.format != "xls97":
                return False
            office.load_key(password="VelvetSweatshop")
    except Exception:  # a wrong password, an unsupported method, a stream it cannot parse
        return False
    return True


def _has_filepass(ole: Any, stream: str) -> bool:
    """A FILEPASS record among the workbook globals' first records (before the first sheet)."""
    if ole.get_size(stream) > _SCANNED_STREAM:
        return False  # the reader itself refuses an encrypted one, only less precisely
    data = ole.openstream(stream).read(8192)
    offset = 0
    for _ in range(64):
        if offset + 4 > len(data):
            return False
        opcode = int.from_bytes(data[offset : offset + 2], "little")
        if opcode == _FILEPASS:
            return True
        if opcode == _BOUNDSHEET:
            return False
        offset += 4 + int.from_bytes(data[offset + 2 : offset + 4], "little")
    return False
