"""Limits every input file is held to before any parser sees it, and Excel's own limits.

A wave sheet is a few hundred kilobytes to a few tens of megabytes; the defaults leave
room for the largest sheet Excel can hold and refuse what only a broken or hostile file
would need. Each is settable (`--max-file-size`, `--max-unpacked-size`, `--max-zip-ratio`
or the same keys in cmassoc.toml).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from importer.errors import InputError

MB = 1024 * 1024
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL = 32_767  # characters in one cell
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".ods"}
# One CSV field: far beyond any real cell (Excel's is 32,767), small enough to bound memory.
CSV_FIELD_LIMIT = 1 * MB
# Dense cells one sheet may span (its used range): calamine allocates 32 bytes per cell of
# the used range before anything else, so this bounds the parser's memory at about 640 MB.
MAX_SHEET_CELLS = 20_000_000


@dataclass(frozen=True)
class InputLimits:
    max_file_mb: int = 200  # the file on disk
    max_unpacked_mb: int = 1024  # all members of a zip-based workbook, uncompressed
    max_zip_ratio: int = 100  # uncompressed : compressed, per member of a zip-based workbook
    memory_mb: int = 1024  # what the spreadsheet parser may use, beyond what the process had
    seconds: int = 600  # how long the spreadsheet parser may take

    def check_file(self, path: Path, *, zipped: bool | None = None) -> int:
        """The file's size, once it is known to be within the limits (zip members included;
        `zipped` says whether it is a zip package, where the content is known, else its name)."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputError(f"'{path}': cannot be read ({exc.strerror or exc}).") from exc
        if size > self.max_file_mb * MB:
            raise InputError(
                f"'{path.name}' is {size / MB:,.0f} MB, more than the {self.max_file_mb} MB a wave "
                "sheet may be.",
                "Split the wave, or raise the limit with --max-file-size MB.",
            )
        if path.suffix.lower() in ZIP_SUFFIXES if zipped is None else zipped:
            self._check_zip(path)
        return size

    def _check_zip(self, path: Path) -> None:
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError(
                f"'{path.name}' cannot be read as a spreadsheet (not a readable {path.suffix.lower()} "
                f"workbook: {exc}).",
                "Open it in Excel and save it again as .xlsx (without a password).",
            ) from exc
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1 * MB and ratio > self.max_zip_ratio:
                raise InputError(
                    f"'{path.name}': its part '{member.filename[:80]}' unpacks {ratio:,.0f} times "
                    f"its packed size (limit {self.max_zip_ratio}:1), as a zip bomb does.",
                    "Save the sheet again from Excel, or raise the limit with --max-zip-ratio.",
                )
        if total > self.max_unpacked_mb * MB:
            raise InputError(
                f"'{path.name}' unpacks to {total / MB:,.0f} MB, more than {self.max_unpacked_mb} MB.",
                "Split the wave, or raise the limit with --max-unpacked-size MB.",
            )


def cut_cell(text: str) -> str:
    """Text that fits one Excel cell: a longer value is cut, visibly, with its full length."""
    if len(text) <= EXCEL_MAX_CELL:
        return text
    marker = cut_marker(len(text))
    return text[: EXCEL_MAX_CELL - len(marker)] + marker


def cut_marker(length: int) -> str:
    """What ends a cell cut from `length` characters."""
    return f" [... cut: {length:,} characters in all]"
