"""What a file is, told by its content and never by its name.

The first bytes say the family: a zip package, an OLE compound file, an Excel 2.0-4.0 record,
XML or HTML, text, or something else. A zip package or an OLE file is then told apart by the
parts or streams it lists, read within bounds. A workbook the reader (python-calamine) reads
(.xlsx/.xlsm, .xlsb, .xls from Excel 5.0 on, .ods) is read as what it is whatever its name;
anything else is refused in one line saying what the file is and what to do.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from importer import messages
from importer.errors import InputError
from importer.model.text import quoted

HEAD = 64 * 1024  # what is read of a file to tell its kind
_SMALL_PART = 1024 * 1024  # a zip part read to tell the kind ([Content_Types].xml, mimetype...)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Kind:
    """A kind of file cmassoc reads: its reader, what it is in words, the names it goes by."""

    reader: str  # "xlsx", "xlsb", "xls", "ods" (python-calamine) or "text" (the CSV reader)
    what: str
    suffixes: frozenset[str]

    @property
    def zipped(self) -> bool:
        return self.reader in ("xlsx", "xlsb", "ods")


XLSX = Kind("xlsx", "an Excel workbook (.xlsx)", frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"}))
XLSB = Kind("xlsb", "an Excel binary workbook (.xlsb)", frozenset({".xlsb"}))
XLS = Kind("xls", "an Excel 97-2003 workbook (.xls)", frozenset({".xls", ".xlt"}))
XLS5 = Kind("xls", "an Excel 5.0/95 workbook (.xls)", frozenset({".xls", ".xlt"}))
ODS = Kind("ods", "an OpenDocument spreadsheet (.ods)", frozenset({".ods", ".ots"}))
TEXT = Kind("text", "text", frozenset({".csv", ".txt", ".tsv"}))


def named(path: Path) -> str:
    """A file's name as a message quotes it (quotes included)."""
    return f"'{quoted(path.name, 120)}'"


def _refuse(path: Path, code: messages.Code, what: str, hint: str) -> InputError:
    return InputError(f"{named(path)} {what}.", hint, code=code)


def recognise(path: Path) -> Kind:
    """The kind of the file at `path`, or the InputError that says what it is and what to do."""
    with path.open("rb") as fh:
        head = fh.read(HEAD)
    if not head:
        raise _refuse(
            path, messages.EMPTY_FILE, "is empty (0 bytes)", "Save the wave again and give that file."
        )
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    if head.startswith(OLE):
        from importer.read.ole import ole_kind

        return {"biff8": XLS, "biff5": XLS5}[ole_kind(path, _refuse)]
    _binary_formats(path, head)
    text = _decoded(head)
    _markup(path, text)
    if _is_text(text):
        if _is_sylk(text):
            raise _refuse(
                path,
                messages.OTHER_SPREADSHEET,
                "is a SYLK file (Excel's SYmbolic LinK format), which cmassoc cannot read",
                "Open it in Excel and save it as .xlsx.",
            )
        return TEXT
    raise _refuse(
        path,
        messages.UNKNOWN_BINARY,
        f"is neither a spreadsheet nor text (it begins with the bytes {head[:8].hex(' ').upper()})",
        "Give the wave's workbook (.xlsx) or CSV file; if this was one, it is damaged: ask for it again.",
    )


def _zip_kind(path: Path) -> Kind:
    """A zip package by the parts it lists and the content types it declares."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            types = _part(archive, "[Content_Types].xml")
            mimetype = _part(archive, "mimetype").strip()
            manifest = _part(archive, "META-INF/manifest.xml")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise _refuse(
            path,
            messages.DAMAGED,
            "is damaged: it begins as a zip-based workbook (.xlsx, .xlsb or .ods), but its package is "
            "cut short or broken",
            "If Excel opens it (Excel repairs some damage), save it again as .xlsx; if not, ask for the "
            "file again.",
        ) from exc
    if "xl/workbook.bin" in names or b"sheet.binary.macroEnabled.main" in types:
        return XLSB
    if (
        "xl/workbook.xml" in names
        or b"spreadsheetml.sheet.main" in types
        or b".macroEnabled.main+xml" in types
    ):
        return XLSX
    if mimetype == b"application/vnd.oasis.opendocument.spreadsheet" or (
        not mimetype and "content.xml" in names and b"opendocument.spreadsheet" in manifest
    ):
        if b"encryption-data" in manifest:
            raise _refuse(
                path,
                messages.ENCRYPTED,
                "is encrypted with a password (LibreOffice's Save with password), which cmassoc cannot open",
                "Open it, save a copy without the password (File > Save As, clear 'Save with password') "
                "and give that copy.",
            )
        return ODS
    raise _refuse(
        path,
        messages.OTHER_SPREADSHEET if "Index/Document.iwa" in names else messages.NOT_A_SPREADSHEET,
        _zip_what(names, types, mimetype),
        "Give the wave's workbook (.xlsx) or CSV file."
        if "Index/Document.iwa" not in names
        else "Open it in Numbers and export it as Excel (.xlsx).",
    )


def _part(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > _SMALL_PART:
        return b""
    with archive.open(info) as member:
        return member.read(_SMALL_PART)


def _zip_what(names: set[str], types: bytes, mimetype: bytes) -> str:
    if "word/document.xml" in names or b"wordprocessingml" in types:
        return "is a Word document (.docx), not a spreadsheet"
    if "ppt/presentation.xml" in names or b"presentationml" in types:
        return "is a PowerPoint presentation (.pptx), not a spreadsheet"
    if mimetype.startswith(b"application/vnd.oasis.opendocument."):
        kind = mimetype.rsplit(b".", 1)[-1].decode("ascii", "replace")
        return f"is an OpenDocument {quoted(kind, 30)} document, not a spreadsheet"
    if "Index/Document.iwa" in names:
        return "is an Apple iWork (Numbers) file, which cmassoc cannot read"
    return "is a zip archive that holds no workbook"


_OLD_EXCEL = {0x0009: "2.x", 0x0209: "3.0", 0x0409: "4.0"}
_BIFF_SHEETS = {0x0010: "worksheet", 0x0020: "chart", 0x0040: "macro sheet", 0x0100: "workbook"}
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"GIF8", "a GIF picture"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
)


def _binary_formats(path: Path, head: bytes) -> None:
    """Old Excel, Lotus 1-2-3 and well-known non-spreadsheet formats, by their first bytes."""
    if len(head) >= 8:
        opcode, length = int.from_bytes(head[0:2], "little"), int.from_bytes(head[2:4], "little")
        if opcode in _OLD_EXCEL and length in (4, 6, 8):
            sheet = _BIFF_SHEETS.get(int.from_bytes(head[6:8], "little"), "file")
            raise _refuse(
                path,
                messages.OLD_EXCEL,
                f"is an Excel {_OLD_EXCEL[opcode]} {sheet} (a format of 1987-1992), which cmassoc "
                "cannot read",
                "Open it in Excel and save it as .xlsx.",
            )
        if opcode == 0x0809 and length in (8, 16):
            raise _refuse(
                path,
                messages.OLD_EXCEL,
                "is an Excel 5.0-2003 worksheet stream saved without its container, which cmassoc "
                "cannot read",
                "Open it in Excel and save it as .xlsx.",
            )
        if head[:4] == b"\x00\x00\x02\x00" and head[4:6] in (b"\x04\x04", b"\x05\x04", b"\x06\x04"):
            raise _lotus(path)
        if head[:4] == b"\x00\x00\x1a\x00" and head[4:6] in (
            b"\x00\x10",
            b"\x01\x10",
            b"\x02\x10",
            b"\x03\x10",
        ):
            raise _lotus(path)
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise _refuse(
                path,
                messages.NOT_A_SPREADSHEET,
                f"is {what}, not a spreadsheet",
                "Give the wave's workbook (.xlsx) or CSV file.",
            )


def _lotus(path: Path) -> InputError:
    return _refuse(
        path,
        messages.OTHER_SPREADSHEET,
        "is a Lotus 1-2-3 worksheet, which cmassoc cannot read",
        "Open it in Excel (or the program that made it) and save it as .xlsx.",
    )


def _decoded(head: bytes) -> str:
    """The head as text, as the CSV reader would take it (UTF-16 by its BOM or its zero bytes,
    else UTF-8, else one byte a character); undecodable bytes as U+FFFD."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace")
    sample = head[:200]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return head.decode("utf-16-le", "replace")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the end of the head
            return head[: exc.start].decode("utf-8")
        return head.decode("cp1252", "replace")


def _is_sylk(text: str) -> bool:
    """SYLK begins with an ID record and holds cell records (C;Y1;X1;K"Source"); a CSV whose
    first header is "ID" and second starts with P ("ID;PC name") has no such records."""
    lines = text.lstrip("\ufeff").splitlines()[:200]
    return (
        bool(lines)
        and lines[0].startswith("ID;P")
        and any(ln.startswith(("C;Y", "C;X", "B;Y")) for ln in lines)
    )


def _is_text(text: str) -> bool:
    """Text has few control characters: a cell may hold one, a binary file holds many."""
    sample = text[:8192]
    controls = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\v\x1a") or ch == "\x7f")
    return controls <= max(4, len(sample) // 50)


def _markup(path: Path, text: str) -> None:
    """XML and HTML that Excel and reporting tools write under a spreadsheet's name."""
    start = text.lstrip("\ufeff \t\r\n")[:4096]
    low = start.lower()
    if low.startswith("mime-version:") and "multipart/related" in low:
        raise _web_page(path, "a single-file web page (.mht)")
    if not low.startswith("<"):
        return
    if "urn:schemas-microsoft-com:office:spreadsheet" in low or (
        low.startswith("<?xml") and "<workbook" in low and "<html" not in low
    ):
        raise _refuse(
            path,
            messages.OTHER_SPREADSHEET,
            "is an XML Spreadsheet 2003 file, which cmassoc cannot read",
            "Open it in Excel and save it as .xlsx (Excel Workbook).",
        )
    if "<html" in low or "<!doctype html" in low or "<table" in low or "<body" in low or "<head" in low:
        raise _web_page(path, "a web page (HTML)")
    if "urn:oasis:names:tc:opendocument:xmlns:office" in low and "opendocument.spreadsheet" in low:
        raise _refuse(
            path,
            messages.OTHER_SPREADSHEET,
            "is a flat OpenDocument spreadsheet (.fods), which cmassoc cannot read",
            "Open it in LibreOffice and save it as .ods or .xlsx.",
        )
    if low.startswith("<?xml"):
        raise _refuse(
            path,
            messages.NOT_A_SPREADSHEET,
            "is an XML file, not a spreadsheet",
            "Give the wave's workbook (.xlsx) or CSV file.",
        )


def _web_page(path: Path, what: str) -> InputError:
    return _refuse(
        path,
        messages.WEB_PAGE,
        f"is {what}, not a workbook: Excel opens it, cmassoc cannot read it",
        "Open it in Excel and save it as .xlsx.",
    )
