"""Spreadsheets are parsed in a child process that may die without taking cmassoc with it.

python-calamine allocates the whole used range of a sheet before Python sees a cell: a
1.7 KB file whose only cell sits at XFD1048576 asks for 512 GiB and aborts the process.
So the parse runs in a child with a memory
limit (Linux) and a deadline; an abort, a kill or a timeout there is a one-line error here
naming the file. What the child writes as it dies (its standard error) tells the memory limit
from a crash; a parser's own exception is worded here, never shown as it is. The child sends
the cells back as text, a column of Arrow strings at a time, typed values marked (`Typed`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Any

from importer import messages
from importer.errors import InputError
from importer.limits import EXCEL_MAX_COLUMNS, EXCEL_MAX_ROWS, MAX_SHEET_CELLS, MB, InputLimits
from importer.model import Typed
from importer.model.text import quoted
from importer.read.kinds import XLSX, Kind, named
from importer.read.sheet import CHUNK_ROWS, Sheet, SheetBuilder, sheet_of
from importer.read.xlsxscan import unvalued_cells

log = logging.getLogger(__name__)

_OK, _REFUSED, _SHEETS, _FAILED, _MEMORY = "ok", "refused", "sheets", "failed", "memory"
_SAID = 4096  # what is kept of the child's standard error: its first words say why it died
# How python-calamine's reader is chosen by a file's name: a file named otherwise is opened
# through a link of the right name (the content was recognised before).
_NAMES = {"xlsx": (".xlsx", ".xlsm"), "xlsb": (".xlsb",), "xls": (".xls",), "ods": (".ods",)}


def parse_workbook(path: Path, limits: InputLimits, kind: Kind = XLSX) -> list[Sheet]:
    """Every sheet of the workbook (`Sheet`), read as `kind` says it is.

    Two guarded children run side by side (a wave sheet is read on a machine with more than
    one core): python-calamine's parse, and the scan of the sheet XML for the cells calamine
    reads as empty although they are not (errors, formulas never calculated)."""
    deadline = time.monotonic() + limits.seconds
    parser = _Child(path, limits, functools.partial(_parse, reader=kind.reader), kind)
    scanner = _Child(path, limits, unvalued_cells, kind) if kind.reader == "xlsx" else None
    try:
        marked = scanner.result(deadline) if scanner is not None else {}
        sheets: list[Sheet] = parser.result(deadline)
    finally:
        parser.close()
        if scanner is not None:
            scanner.close()
    for sheet in sheets:
        for (row, col), (what, text) in marked.get(sheet.name, {}).items():
            if col < sheet.width and row < sheet.height and sheet.cell(row, col) == "":
                sheet.typed[(row, col)] = Typed(text, what)
    return sheets


class _Child:
    """`work(path)` in a child process with a memory limit; its answer, or a one-line error."""

    def __init__(self, path: Path, limits: InputLimits, work: Any, kind: Kind) -> None:
        context: Any = multiprocessing.get_context(start_method())
        self.path, self.limits, self.kind = path, limits, kind
        self.receiver, sender = context.Pipe(duplex=False)
        self.errors, errors = context.Pipe(duplex=False)  # the child's standard error
        self.said = b""
        self.process = context.Process(
            target=_child, args=(str(path), limits, sender, work, errors), daemon=True
        )
        self.process.start()
        sender.close()
        errors.close()
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.set_blocking(self.errors.fileno(), False)

    def result(self, deadline: float) -> Any:
        result = pickle.loads(self._receive(deadline))
        if result[0] == _REFUSED:
            raise InputError(result[1], result[2] or None, code=messages.CATALOG[result[3]])
        if result[0] == _FAILED:
            raise failed(self.path, self.kind, result[1], result[2])
        if result[0] == _MEMORY:
            raise self._out_of_memory()
        if result[0] == _SHEETS:  # the columns follow, one message each
            sheets = []
            for name, file, typed, width in result[1]:
                columns = [pickle.loads(self._receive(deadline)) for _ in range(width)]
                sheets.append(sheet_of(name, columns, typed, file))
            return sheets
        return result[1]

    def _receive(self, deadline: float) -> bytes:
        path, limits, receiver, child = self.path, self.limits, self.receiver, self.process
        while True:
            self._drain()
            if receiver.poll(0.05):
                try:
                    return bytes(receiver.recv_bytes())
                except EOFError:
                    break
            elif not child.is_alive() and not receiver.poll(0):
                break
            if time.monotonic() > deadline:
                raise InputError(
                    f"{named(path)} took more than {limits.seconds} s to read: it is far larger "
                    "inside than a wave sheet.",
                    "Save the sheet again from Excel with only the wave's cells.",
                    code=messages.READ_TIMEOUT,
                )
        child.join(5)
        self._drain()
        raise self._died()

    def _drain(self) -> None:
        """Keep the first words of what the child writes on its standard error (so it never
        blocks on a full pipe); a dying reader says there why it died."""
        with contextlib.suppress(OSError, ValueError):
            while chunk := os.read(self.errors.fileno(), 65536):
                self.said += chunk[: max(0, _SAID - len(self.said))]

    def _died(self) -> InputError:
        """The child died without an answer: of the memory limit (the allocator says so, or the
        kernel killed it), or of a crash on something in the file."""
        code = self.process.exitcode
        log.debug("the reader of %s stopped (exit code %s): %r", self.path.name, code, self.said[:1000])
        if code == -9 or b"memory allocation of" in self.said or b"MemoryError" in self.said:
            return self._out_of_memory()
        return InputError(
            f"{named(self.path)} could not be read: the reader stopped on something in it (exit code "
            f"{code}), not for lack of memory; the file may be damaged.",
            "If Excel opens it, save it again as .xlsx and give that file; if not, ask for the file again.",
            code=messages.READER_CRASHED,
        )

    def _out_of_memory(self) -> InputError:
        return InputError(
            f"{named(self.path)} could not be read within {self.limits.memory_mb} MB: a sheet's used range "
            "may reach far beyond its cells, or the file unpacks to far more than it says.",
            "In Excel, Ctrl+End shows where the used range ends: delete the stray cells beyond the "
            "wave and save again.",
            code=messages.READ_MEMORY,
        )

    def close(self) -> None:
        self.receiver.close()
        self.errors.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


# The parsers' exceptions that say a workbook's package or XML is broken, by their names
# (python-calamine's, zipfile's and zlib's, the XML parsers' and defusedxml's).
_BROKEN_ZIP = {"ZipError", "BadZipFile", "zlib.error", "EOFError"}
_BROKEN_XML = {"XmlError", "ParseError", "ExpatError"}
_HOSTILE_XML = {"EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden", "NotSupportedError"}


def failed(path: Path, kind: Kind, name: str, detail: str) -> InputError:
    """A parser's exception (`name`, `detail`) in words that say what the file is and what to
    do; the parser's own words go to the debug log only."""
    log.debug("reading %s as %s: %s: %s", path.name, kind.reader, name, detail)
    if name == "PasswordError":
        return InputError(
            f"{named(path)} is encrypted with a password, which cmassoc cannot open.",
            "Open it, save a copy without the password and give that copy.",
            code=messages.ENCRYPTED,
        )
    if detail.startswith("Cell limit exceeded"):
        return InputError(
            f"{named(path)}: a sheet's used range spans more cells than a wave sheet may have: it "
            "reaches far beyond the wave.",
            "In Excel, Ctrl+End shows where it ends: delete the rows and columns beyond the wave, or "
            "split it.",
            code=messages.SHEET_TOO_MANY_CELLS,
        )
    damage = (
        "its zip package is broken (cut short, or a part fails its check)"
        if name in _BROKEN_ZIP
        else "a part of it is not well-formed XML"
        if name in _BROKEN_XML
        else "a part of it declares XML entities, as no workbook saved by a spreadsheet program does"
        if name in _HOSTILE_XML
        else None
    )
    if damage is not None:
        return InputError(
            f"{named(path)} is damaged: {damage}.",
            "If Excel opens it (Excel repairs some damage), save it again as .xlsx; if not, ask for the "
            "file again.",
            code=messages.DAMAGED,
        )
    return InputError(
        f"{named(path)} could not be read as {kind.what}: it may be damaged, or hold something cmassoc's "
        "reader does not know (a chart or macro sheet, an unusual layout).",
        "If Excel opens it, save it again as .xlsx and give that file; if not, ask for the file again.",
        code=messages.WORKBOOK_UNREADABLE,
    )


def start_method() -> str:
    """How the child starts: forked from a command's single thread (the cheapest); from a
    threaded process such as the web server, through a fork server, since a fork copies only
    the calling thread and whatever locks the others held; spawned where there is no fork."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    return "fork" if threading.active_count() == 1 else "forkserver"


def _child(path: str, limits: InputLimits, sender: Any, work: Any, errors: Any) -> None:
    """In the child: limits first, then the parse; the answer is one pickled message."""
    with contextlib.suppress(OSError, ValueError):  # the allocator's abort message is ours to word
        os.dup2(errors.fileno(), 2)
    # Arrow's own allocator reserves address space by the gigabyte, which the limit below
    # counts: the child (only the child) allocates through malloc instead.
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    _limit_memory(limits.memory_mb * MB)
    try:
        message: tuple[Any, ...] = (_OK, work(Path(path)))
    except _Refusal as refusal:
        message = (_REFUSED, refusal.message, refusal.hint, refusal.code.code)  # the catalog's, not a copy
    except MemoryError:
        message = (_MEMORY,)
    except Exception as exc:  # calamine raises its own types for every kind of bad file
        name = type(exc).__name__
        message = (_FAILED, f"zlib.{name}" if type(exc).__module__ == "zlib" else name, str(exc)[:300])
    columns: list[Any] = []
    if message[0] == _OK and isinstance(message[1], list) and all(isinstance(t, _Read) for t in message[1]):
        # A column goes as a message of its own: the child never holds a second copy of the
        # whole sheet, only of one column while it is sent.
        read: list[_Read] = message[1]
        message = (_SHEETS, [(r.name, r.file, r.typed, len(r.columns)) for r in read])
        columns = [c for r in read for c in r.columns]
        del read
    sender.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    while columns:
        sender.send_bytes(pickle.dumps(columns.pop(0), protocol=pickle.HIGHEST_PROTOCOL))
    sender.close()


def _limit_memory(extra: int) -> None:
    if not sys.platform.startswith("linux"):
        return  # elsewhere the child's death is still only the child's
    import resource

    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = current + extra
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        if soft == resource.RLIM_INFINITY or wanted < soft:
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (OSError, ValueError):
        pass


class _Refusal(Exception):
    def __init__(self, message: str, hint: str, code: messages.Code) -> None:
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code


class _Read:
    """A sheet as the child sends it: its columns as Arrow arrays, and its typed cells."""

    def __init__(self, name: str, file: str, builder: SheetBuilder) -> None:
        self.name, self.file = name, file
        self.columns = builder.batches()
        self.typed = builder.typed


def _parse(path: Path, reader: str = "xlsx") -> list[_Read]:
    workbook = _open(path, reader)
    tables = []
    names = workbook.sheet_names
    for number, name in enumerate(names):
        sheet = workbook.get_sheet_by_name(name)
        if number == len(names) - 1:
            workbook.close()  # its shared strings are the sheet's now: free them before the columns
        height, width = sheet.height, sheet.width
        if height > EXCEL_MAX_ROWS or width > EXCEL_MAX_COLUMNS:
            raise _Refusal(
                f"{named(path)}: sheet '{quoted(name)}' is {height:,} rows by {width:,} columns, beyond "
                f"Excel's own {EXCEL_MAX_ROWS:,} by {EXCEL_MAX_COLUMNS:,}.",
                "Save the wave as a new .xlsx from Excel.",
                messages.SHEET_BEYOND_EXCEL,
            )
        if height * width > MAX_SHEET_CELLS:
            raise _Refusal(
                f"{named(path)}: sheet '{quoted(name)}' spans {height:,} rows by {width:,} columns "
                f"({height * width:,} cells), more than {MAX_SHEET_CELLS:,}: its used range reaches "
                "far beyond the wave.",
                "In Excel, Ctrl+End shows where it ends: delete the rows and columns beyond the "
                "wave, or split it.",
                messages.SHEET_TOO_MANY_CELLS,
            )
        tables.append(_columns(sheet, name, path.name))
        del sheet  # calamine's copy of the sheet is the largest thing in this process
    return tables


def _open(path: Path, reader: str) -> Any:
    """The workbook, read by the reader its content asks for: python-calamine picks one by the
    file's name, so a file named otherwise is opened through a link named as it is."""
    import python_calamine

    if path.suffix in _NAMES[reader]:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    with tempfile.TemporaryDirectory(prefix="cmassoc-") as folder:
        link = Path(folder) / f"workbook{_NAMES[reader][0]}"
        try:
            link.symlink_to(path.resolve())
        except OSError:  # no links here (Windows without the right): the bytes, in memory
            with path.open("rb") as fh:
                return python_calamine.CalamineWorkbook.from_filelike(fh)
        return python_calamine.CalamineWorkbook.from_path(str(link))  # open: the link may go


def _columns(sheet: Any, name: str, file: str) -> _Read:
    end = sheet.end
    builder = SheetBuilder(cell_text)
    rows = sheet.iter_rows()
    while chunk := list(islice(rows, CHUNK_ROWS)):
        builder.add(chunk)
    del rows
    # iter_rows starts at the first row but at the first *used* column: pad both to A1.
    if end is not None:
        builder.pad(end[0] + 1 - builder.height, end[1] + 1 - builder.width)
    return _Read(name, file, builder)


def cell_text(value: object) -> str:
    """A typed cell as text; numbers with a fraction and TRUE/FALSE keep their type (`Typed`)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return Typed("TRUE" if value else "FALSE", "boolean")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return Typed(repr(value), "number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)
