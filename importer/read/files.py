"""A file as sheets: its size checked, its kind told by its content, a workbook parsed under
guard, a CSV decoded strictly.

A file is read as what its content is, whatever its name says (an .ods named .xlsx, a
workbook named .csv), with a notice saying so; what cannot be read is refused in one line
saying what the file is (`importer.read.kinds`). A CSV may be UTF-8 (with or without BOM),
UTF-16 or ANSI, separated by commas, semicolons or tabs: the encoding is sniffed and then
held to strictly, the separator is the one that makes an early line a recognisable header.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from pathlib import Path

from importer import messages
from importer.errors import InputError
from importer.limits import CSV_FIELD_LIMIT, EXCEL_MAX_COLUMNS, MAX_SHEET_CELLS, InputLimits
from importer.messages import Notice
from importer.model.text import quoted
from importer.read.guard import parse_workbook
from importer.read.header import HEADER_SEARCH_ROWS, header_fields
from importer.read.kinds import TEXT, Kind, named, recognise
from importer.read.sheet import CHUNK_ROWS, Sheet, SheetBuilder

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


def _unreadable(path: Path, exc: OSError) -> InputError:
    return InputError(
        f"'{quoted(str(path), 200)}': cannot be read ({quoted(exc.strerror or str(exc), 120)}).",
        "Close it in other programs, check its permissions, or copy it somewhere else.",
        code=messages.FILE_UNREADABLE,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    return digest.hexdigest()


def read_sheets(path: Path, limits: InputLimits | None = None) -> tuple[list[Sheet], list[str]]:
    limits = limits or InputLimits()
    if not path.exists():
        raise InputError(
            f"'{quoted(str(path), 200)}': no such file.", "Check the path.", code=messages.FILE_MISSING
        )
    if not path.is_file():
        raise InputError(
            f"'{quoted(str(path), 200)}': not a file.",
            "Give the path of an .xlsx or .csv file.",
            code=messages.NOT_A_FILE,
        )
    suffix = path.suffix.lower()
    try:
        limits.check_file(path, zipped=False)  # its size, before anything reads it
        kind = recognise(path)
        if kind.zipped:
            limits.check_file(path, zipped=True)  # its parts, before a parser unpacks them
        notes = _named_otherwise(path, kind)
        if kind is TEXT:
            if suffix not in EXCEL_SUFFIXES | CSV_SUFFIXES:
                raise InputError(
                    f"{named(path)}: unknown file type '{quoted(suffix, 20)}'.",
                    "Save the sheet as .xlsx or .csv.",
                    code=messages.UNKNOWN_FILE_TYPE,
                )
            sheets, csv_notes = _read_csv(path)
            return sheets, notes + csv_notes
        return parse_workbook(path, limits, kind), notes
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def _named_otherwise(path: Path, kind: Kind) -> list[str]:
    """A notice when the content is another kind than the name says: read as what it is."""
    suffix = path.suffix.lower()
    if suffix in kind.suffixes or (kind is TEXT and suffix not in EXCEL_SUFFIXES):
        return []
    if kind is TEXT:
        said = f"{named(path)} is text, not a workbook: read as CSV"
    else:
        said = f"{named(path)} is {kind.what}, whatever its name says: read as one"
    return [Notice(messages.READ_AS_CONTENT, said)]


def _read_csv(path: Path) -> tuple[list[Sheet], list[str]]:
    """Streamed: the file is decoded strictly as it is parsed, never held whole in memory."""
    with path.open("rb") as raw:
        head = raw.read(64 * 1024)
    codec, label = sniff_encoding(head)
    delimiter = detect_delimiter(codecs.getincrementaldecoder(codec)(errors="ignore").decode(head))
    builder = SheetBuilder()
    records: list[list[str]] = []  # a chunk at a time
    count = width = 0
    previous = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        with path.open("r", encoding=codec, errors="strict", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                for record in reader:
                    count += 1
                    if len(record) > EXCEL_MAX_COLUMNS:
                        raise InputError(
                            f"{named(path)} row {count}: {len(record):,} columns, more than "
                            f"a sheet can have ({EXCEL_MAX_COLUMNS:,}).",
                            "Check the separator and the quotes on that row.",
                            code=messages.CSV_TOO_WIDE,
                        )
                    if len(record) > width:
                        width = len(record)
                    if width * count > MAX_SHEET_CELLS:
                        # Held column by column, every row has every column: one wide row
                        # in a long file would cost width x rows cells.
                        raise InputError(
                            f"{named(path)}: {count:,} rows by {width:,} columns "
                            f"({width * count:,} cells, more than {MAX_SHEET_CELLS:,}) by row {count}.",
                            "Check the separator and the quotes (a wave has a few columns), "
                            "or split the file.",
                            code=messages.CSV_TOO_MANY_CELLS,
                        )
                    records.append(record)
                    if len(records) == CHUNK_ROWS:
                        builder.add(records)
                        records = []
                builder.add(records)
            except csv.Error as exc:
                raise InputError(
                    f"{named(path)} row {count + 1}: a cell longer than {CSV_FIELD_LIMIT:,} characters, "
                    "or a quote opened and never closed.",
                    "Check the quotes on that row; a wave cell is a name, a number or a list of users.",
                    code=messages.CSV_BAD_FIELD,
                ) from exc
            except UnicodeDecodeError as exc:
                line, bad = _first_undecodable(path, codec)
                raise InputError(
                    f"{named(path)} row {line}: bytes that are not {label} ({bad.hex(' ').upper()}).",
                    "Save the file again as CSV UTF-8 (Excel: Save As > CSV UTF-8).",
                    code=messages.CSV_BAD_BYTES,
                ) from exc
    finally:
        csv.field_size_limit(previous)
    separated = {",": "commas", ";": "semicolons", "\t": "tabs"}[delimiter]
    notes: list[str] = [
        Notice(messages.CSV_READ_AS, f"{named(path)} read as {label}, columns separated by {separated}")
    ]
    return [builder.sheet(path.name, path.name)], notes


def _first_undecodable(path: Path, codec: str) -> tuple[int, bytes]:
    """The line of the first byte `codec` cannot decode, and the bytes there (a cold path: the
    text reader decodes ahead of the rows, so its own position says nothing)."""
    skip = 3 if codec == "utf-8-sig" else 0
    decoder = codecs.getincrementaldecoder("utf-8" if skip else codec)()
    lines = 0
    with path.open("rb") as fh:
        fh.read(skip)
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            pending = getattr(decoder, "buffer", b"")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                lines += data[: exc.start].count(b"\n") - pending.count(b"\n")
                return lines + 1, data[exc.start : exc.start + 4]
            lines += chunk.count(b"\n")
    pending = getattr(decoder, "buffer", b"")
    return lines + 1 - pending.count(b"\n"), pending[:4]  # cut short at the end of the file


def sniff_encoding(head: bytes) -> tuple[str, str]:
    """Excel and PowerShell write UTF-8 with or without BOM, UTF-16 with BOM, or ANSI.
    A file is then decoded strictly: a byte that is not of its encoding is an error."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 (with BOM)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16 (Unicode text)"
    sample = head[:200]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le", "UTF-16 LE without BOM"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", "UTF-8"
    except UnicodeDecodeError:
        return "cp1252", "Windows-1252 (ANSI)"


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """All of `data` as text, decoded as sniff_encoding says (strictly)."""
    codec, label = sniff_encoding(data[: 64 * 1024])
    return data.decode(codec), label


def detect_delimiter(text: str) -> str:
    """The delimiter that makes an early line a recognisable header, else the most regular."""
    lines = [ln for ln in text.splitlines()[:HEADER_SEARCH_ROWS] if not ln.startswith("#TYPE")]
    sample = "\n".join(lines)
    best: tuple[int, int, str] | None = None
    for delimiter in (",", ";", "\t"):
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        recognised = max((len(header_fields(r)) for r in rows), default=0)
        widths = [len(r) for r in rows if len(r) > 1]
        regular = max((widths.count(w) for w in set(widths)), default=0)
        score = (recognised, regular, delimiter)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best else ","
