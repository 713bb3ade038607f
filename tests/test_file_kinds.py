"""Any file gets the right words (issue 26 point 7).

A file is recognised by its content, never by its name: a workbook the reader reads is read as
what it is, with a notice when its name says otherwise; anything else is refused in one line
saying what the file is and what to do, with its code, never in a parser's own words. Every
message is one line: cells and names are quoted with control characters escaped. A reader
that crashes is not reported as the memory limit. The files are written here (no binary is
committed); `test_real_files` runs the same checks over workbooks from public parsers' test
suites where a copy of them is at hand (see `REAL_FILES`).
"""

from __future__ import annotations

import os
import signal
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from importer import messages
from importer.errors import InputError
from importer.limits import InputLimits
from importer.messages import Code
from importer.model.text import quoted
from importer.read import files as read_files
from importer.read import guard
from importer.read.files import read_sheets
from importer.read.kinds import XLSX
from importer.read.wave import read_wave
from tests.support import files as F
from tests.support.helpers import ROOT, invoke

Build = Callable[[Path], Path]


def _text(name: str, content: str | bytes) -> Build:
    def build(d: Path) -> Path:
        path = d / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return build


def one_line(text: str) -> bool:
    """No line break and no control, format or separator character anywhere."""
    return not any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in text)


def _folder(d: Path) -> Path:
    (d / "folder.xlsx").mkdir()
    return d / "folder.xlsx"


# What cannot be read: the file's name, the code, and words of the one line that says what it is.
REFUSED: list[tuple[str, Build, Code, str]] = [
    ("empty.xlsx", _text("empty.xlsx", b""), messages.EMPTY_FILE, "'empty.xlsx' is empty (0 bytes)"),
    ("empty.csv", _text("empty.csv", b""), messages.EMPTY_FILE, "'empty.csv' is empty (0 bytes)"),
    (
        "encrypted.xlsx",
        lambda d: F.encrypted_xlsx(d / "wave.xlsx"),
        messages.ENCRYPTED,
        "'wave.xlsx' is encrypted with a password",
    ),
    (
        "encrypted.xls",
        lambda d: F.password_xls(d / "wave.xls"),
        messages.ENCRYPTED,
        "'wave.xls' is encrypted with a password",
    ),
    (
        "builtin-password.xls",
        lambda d: F.password_xls(d / "wave.xls", "VelvetSweatshop"),
        messages.BUILTIN_PASSWORD,
        "'wave.xls' is encrypted with Excel's built-in password",
    ),
    (
        "encrypted.ods",
        lambda d: F.wave_ods(d / "wave.ods", encrypted=True),
        messages.ENCRYPTED,
        "'wave.ods' is encrypted with a password (LibreOffice's Save with password)",
    ),
    (
        "labelled.xlsx",
        lambda d: F.rights_managed_xlsx(d / "wave.xlsx"),
        messages.RIGHTS_MANAGED,
        "'wave.xlsx' is protected by a sensitivity label or rights management",
    ),
    (
        "excel2.xls",
        lambda d: F.old_excel(d / "wave.xls", 2),
        messages.OLD_EXCEL,
        "'wave.xls' is an Excel 2.x",
    ),
    (
        "excel3.xls",
        lambda d: F.old_excel(d / "wave.xls", 3),
        messages.OLD_EXCEL,
        "'wave.xls' is an Excel 3.0",
    ),
    (
        "excel4.xlsx",
        lambda d: F.old_excel(d / "wave.xlsx", 4),
        messages.OLD_EXCEL,
        "'wave.xlsx' is an Excel 4.0",
    ),
    (
        "spreadsheetml.xls",
        _text("wave.xls", F.SPREADSHEETML),
        messages.OTHER_SPREADSHEET,
        "'wave.xls' is an XML Spreadsheet 2003 file",
    ),
    (
        "sylk.csv",
        _text("wave.csv", 'ID;PWXL;N;E\nC;Y1;X1;K"Source"\nE\n'),
        messages.OTHER_SPREADSHEET,
        "SYLK",
    ),
    ("web-page.xls", _text("wave.xls", F.WEB_PAGE), messages.WEB_PAGE, "'wave.xls' is a web page (HTML)"),
    (
        "web-page-utf16.xls",
        _text("wave.xls", "\ufeff".encode("utf-16-le") + F.WEB_PAGE.encode("utf-16-le")),
        messages.WEB_PAGE,
        "'wave.xls' is a web page (HTML)",
    ),
    ("word.xlsx", lambda d: F.word_doc(d / "wave.xlsx"), messages.NOT_A_SPREADSHEET, "is a Word 97-2003"),
    ("pdf.csv", _text("wave.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), messages.NOT_A_SPREADSHEET, "is a PDF"),
    (
        "zip.xlsx",
        lambda d: F.zip_archive(d / "wave.xlsx"),
        messages.NOT_A_SPREADSHEET,
        "'wave.xlsx' is a zip archive that holds no workbook",
    ),
    (
        "junk.xlsb",
        _text("wave.xlsb", bytes(range(256)) * 16),
        messages.UNKNOWN_BINARY,
        "'wave.xlsb' is neither a spreadsheet nor text (it begins with the bytes 00 01 02",
    ),
    (
        "truncated.xlsx",
        lambda d: F.truncated(d / "wave.xlsx"),
        messages.DAMAGED,
        "'wave.xlsx' is damaged: it begins as a zip-based workbook",
    ),
    ("bad-crc.xlsx", lambda d: F.bad_crc(d / "wave.xlsx"), messages.DAMAGED, "'wave.xlsx' is damaged"),
    (
        "broken-workbook-xml.xlsx",
        lambda d: F.rezip(
            F.wave_xlsx(d / "w.xlsx"),
            d / "wave.xlsx",
            lambda n, b: b[: len(b) // 2] if n == "xl/workbook.xml" else b,
        ),
        messages.DAMAGED,
        "'wave.xlsx' is damaged: a part of it is not well-formed XML",
    ),
    (
        "bad-sheet-xml.xlsx",
        lambda d: F.rezip(
            F.wave_xlsx(d / "w.xlsx"),
            d / "wave.xlsx",
            lambda n, b: b.replace(b"</sheetData>", b"") if n.startswith("xl/worksheets/") else b,
        ),
        messages.DAMAGED,
        "'wave.xlsx' is damaged: a part of it is not well-formed XML",
    ),
    (
        "damaged-ole.xls",
        _text("wave.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
        messages.DAMAGED,
        "'wave.xls' is damaged: it begins as an Office file",
    ),
    (
        "sheet-part-missing.xlsx",
        lambda d: F.rezip(
            F.wave_xlsx(d / "w.xlsx"),
            d / "wave.xlsx",
            lambda n, b: None if n.startswith("xl/worksheets/") else b,
        ),
        messages.WORKBOOK_UNREADABLE,
        "'wave.xlsx' could not be read as an Excel workbook (.xlsx)",
    ),
    ("missing.csv", lambda d: d / "missing.csv", messages.FILE_MISSING, "missing.csv': no such file"),
    (
        "folder.xlsx",
        _folder,
        messages.NOT_A_FILE,
        "not a file",
    ),
    (
        "notes.json",
        _text("notes.json", '{"a": 1}\n'),
        messages.UNKNOWN_FILE_TYPE,
        "unknown file type '.json'",
    ),
    (
        "too-wide.csv",
        _text("wave.csv", "Source,Destination\n" + "x," * 16_400 + "\n"),
        messages.CSV_TOO_WIDE,
        "'wave.csv' row 2: 16,401 columns",
    ),
    (
        "bad-bytes.csv",
        _text("wave.csv", b"Source,Destination\n" + b"PC1,NB1\n" * 10_000 + b"PC\xff,NB\n"),
        messages.CSV_BAD_BYTES,
        "'wave.csv' row 10002: bytes that are not UTF-8 (FF 2C 4E 42)",
    ),
]

# What is read as what it is, whatever its name: the file, and how the notice says it.
READ_AS_CONTENT: list[tuple[str, Build, str]] = [
    ("xls-named-xlsx", lambda d: F.wave_xls(d / "wave.xlsx"), "is an Excel 97-2003 workbook (.xls)"),
    ("ods-named-xlsx", lambda d: F.wave_ods(d / "wave.xlsx"), "is an OpenDocument spreadsheet (.ods)"),
    ("xlsx-named-csv", lambda d: F.wave_xlsx(d / "wave.csv"), "is an Excel workbook (.xlsx)"),
    ("xlsx-named-xls", lambda d: F.wave_xlsx(d / "wave.xls"), "is an Excel workbook (.xlsx)"),
    ("xlsx-named-dat", lambda d: F.wave_xlsx(d / "wave.dat"), "is an Excel workbook (.xlsx)"),
    (
        "csv-named-xlsx",
        _text("wave.xlsx", "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\nCON-PC0004,CON-NB0004,0\n"),
        "is text",
    ),
]


@pytest.mark.parametrize(("build", "code", "words"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_file_that_cannot_be_read_says_what_it_is_in_one_line(
    tmp_path: Path, build: Build, code: Code, words: str
) -> None:
    path = build(tmp_path)
    with pytest.raises(InputError) as caught:
        read_wave(path)
    assert caught.value.code is code
    assert words in str(caught.value)
    assert one_line(str(caught.value))
    for parser_words in ("zip file", "Error:", "BadZipFile", "Cfb", "calamine", "Traceback"):
        assert parser_words not in str(caught.value)


@pytest.mark.parametrize(("build", "words"), [(c[1], c[3]) for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_validate_refuses_it_with_exit_2_and_one_line(tmp_path: Path, build: Build, words: str) -> None:
    result = invoke("validate", build(tmp_path))
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith("cmassoc: error: ") and words in line
    assert one_line(line)


@pytest.mark.parametrize(
    ("build", "said"), [c[1:] for c in READ_AS_CONTENT], ids=[c[0] for c in READ_AS_CONTENT]
)
def test_a_misnamed_file_is_read_as_what_it_is(tmp_path: Path, build: Build, said: str) -> None:
    path = build(tmp_path)
    wave = read_wave(path)
    [notice] = [n for n in wave.notes if getattr(n, "code", None) is messages.READ_AS_CONTENT]
    assert notice.startswith(f"'{path.name}' {said}")
    assert [r.values["Source"] for r in wave.rows] == ["CON-PC0003", "CON-PC0004"]
    assert [r.values["Destination"] for r in wave.rows] == ["CON-NB0003", "CON-NB0004"]
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output


def test_a_file_named_as_it_is_gets_no_notice(tmp_path: Path) -> None:
    for path in (
        F.wave_xlsx(tmp_path / "a.xlsx"),
        F.wave_xls(tmp_path / "b.xls"),
        F.wave_ods(tmp_path / "c.ods"),
    ):
        wave = read_wave(path)
        assert [n for n in wave.notes if getattr(n, "code", None) is messages.READ_AS_CONTENT] == []
        assert len(wave.rows) == 2


def test_a_csv_read_says_how_with_its_code(tmp_path: Path) -> None:
    path = _text("wave.csv", "Source;Destination\nCON-PC0003;CON-NB0003\n")(tmp_path)
    [notice] = read_wave(path).notes
    assert notice == "'wave.csv' read as UTF-8, columns separated by semicolons"
    assert getattr(notice, "code", None) is messages.CSV_READ_AS


HOSTILE_CELLS = [
    "Old\nComputer",
    "Tab\there",
    "\x1b[31mred\x1b[0m",
    "exe\u202etxt.bat",
    "nul\x00byte",
    "CR\rLF",
]


def test_cells_with_line_breaks_and_control_characters_are_quoted_on_one_line(tmp_path: Path) -> None:
    csv_path = tmp_path / "cells.csv"
    csv_path.write_text(",".join(f'"{c}"' for c in HOSTILE_CELLS) + "\n", encoding="utf-8", newline="")
    book = xlsxwriter.Workbook(tmp_path / "cells.xlsx")
    book.add_worksheet("Wave").write_row(0, 0, HOSTILE_CELLS)
    book.close()
    for path in (csv_path, tmp_path / "cells.xlsx"):
        with pytest.raises(InputError) as caught:
            read_wave(path)
        said = str(caught.value)
        assert one_line(said), said
        for escaped in (
            "Old\\nComputer",
            "Tab\\there",
            "\\x1b[31mred\\x1b[0m",
            "exe\\u202etxt.bat",
            "nul\\x00byte",
        ):
            assert f"'{escaped}'" in said
        result = invoke("validate", path)
        assert result.exit_code == 2
        assert len(result.output.splitlines()) == 1


def test_a_text_file_full_of_prose_is_described_as_it_is(tmp_path: Path) -> None:
    prose = "This wave will be planned with the help desk once the new laptops have arrived. " * 3
    path = _text("notes.csv", "\n".join([prose] * 5) + "\n")(tmp_path)
    with pytest.raises(InputError) as caught:
        read_wave(path)
    assert "the first rows hold nothing" not in str(caught.value)
    assert f"the first rows hold '{prose[:60]}... ({len(prose.strip()):,} characters)'" in str(caught.value)


def test_quoted_escapes_what_would_break_a_line_or_act_on_a_screen() -> None:
    assert quoted("CON-PC0003") == "CON-PC0003"
    assert quoted("CONTOSO\\ann") == "CONTOSO\\ann"  # a backslash is the wave's own
    assert quoted("a\nb\r\tc") == "a\\nb\\r\\tc"
    assert quoted("\x1b[2J\x7f\x85") == "\\x1b[2J\\x7f\\x85"
    assert quoted("exe\u202etxt\u2066\u200b\ufeff\u2028") == "exe\\u202etxt\\u2066\\u200b\\ufeff\\u2028"
    assert quoted("Zürich 東京 €") == "Zürich 東京 €"
    assert quoted("x" * 61) == "x" * 60 + "... (61 characters)"
    assert quoted("\n" * 100, 3) == "\\n\\n\\n... (100 characters)"


# The guarded reader's child: work functions it runs (it is forked, so they need no import).
def _segfaults(_path: Path) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


class _Panic(BaseException):
    """What a Rust panic becomes in Python (pyo3's PanicException is no Exception)."""


def _panics(_path: Path) -> None:
    raise _Panic("index out of bounds")


def _runs_out_of_memory(_path: Path) -> None:
    raise MemoryError


def _sleeps(_path: Path) -> None:
    time.sleep(60)


def _child_answer(
    tmp_path: Path, work: Callable[[Path], None], limits: InputLimits | None = None
) -> InputError:
    child = guard._Child(F.wave_xlsx(tmp_path / "wave.xlsx"), limits or InputLimits(), work, XLSX)
    try:
        with pytest.raises(InputError) as caught:
            child.result(time.monotonic() + 30)
    finally:
        child.close()
    assert one_line(str(caught.value))
    return caught.value


def test_a_reader_that_crashes_is_not_reported_as_the_memory_limit(tmp_path: Path) -> None:
    crashed = _child_answer(tmp_path, _segfaults)
    assert crashed.code is messages.READER_CRASHED
    assert str(crashed).startswith(
        f"'wave.xlsx' could not be read: the reader stopped on something in it (exit code -{signal.SIGSEGV})"
    )
    assert "MB" not in str(crashed)
    panicked = _child_answer(tmp_path, _panics)
    assert panicked.code is messages.READER_CRASHED
    assert "(exit code 1)" in str(panicked)


def test_the_memory_limit_is_reported_as_such(tmp_path: Path) -> None:
    assert _child_answer(tmp_path, _runs_out_of_memory).code is messages.READ_MEMORY
    far = F.wave_xlsx(tmp_path / "far.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(far)
    book.active["XFD1048576"] = "x"  # calamine asks for 512 GiB: the allocator aborts the child
    book.save(far)
    with pytest.raises(InputError) as caught:
        read_wave(far)
    assert caught.value.code is messages.READ_MEMORY
    assert str(caught.value).startswith("'far.xlsx' could not be read within 1024 MB")


def test_a_reader_past_its_deadline_is_stopped(tmp_path: Path) -> None:
    child = guard._Child(F.wave_xlsx(tmp_path / "wave.xlsx"), InputLimits(seconds=1), _sleeps, XLSX)
    try:
        with pytest.raises(InputError) as caught:
            child.result(time.monotonic())
    finally:
        child.close()
    assert caught.value.code is messages.READ_TIMEOUT
    assert str(caught.value).startswith("'wave.xlsx' took more than 1 s to read")


def test_sheets_beyond_the_limits_are_refused_with_their_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = F.wave_xlsx(tmp_path / "wave.xlsx")  # 3 rows by 3 columns; the child is forked
    monkeypatch.setattr(guard, "EXCEL_MAX_ROWS", 2)
    with pytest.raises(InputError) as caught:
        read_wave(path)
    assert caught.value.code is messages.SHEET_BEYOND_EXCEL
    assert str(caught.value).startswith(
        "'wave.xlsx': sheet 'Wave' is 3 rows by 3 columns, beyond Excel's own 2 by"
    )
    monkeypatch.undo()
    monkeypatch.setattr(guard, "MAX_SHEET_CELLS", 5)
    with pytest.raises(InputError) as caught:
        read_wave(path)
    assert caught.value.code is messages.SHEET_TOO_MANY_CELLS


def test_csv_limits_are_refused_with_their_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read_files, "MAX_SHEET_CELLS", 5)
    with pytest.raises(InputError) as caught:
        read_wave(_text("wave.csv", "Source,Destination\nA,B\nC,D\n")(tmp_path))
    assert caught.value.code is messages.CSV_TOO_MANY_CELLS
    monkeypatch.setattr(read_files, "CSV_FIELD_LIMIT", 20)
    with pytest.raises(InputError) as caught:
        read_wave(_text("wave.csv", 'Source,Destination\n"PC1,NB1\n' + "x" * 50 + "\n")(tmp_path))
    assert caught.value.code is messages.CSV_BAD_FIELD
    assert str(caught.value).startswith(
        "'wave.csv' row 2: a cell longer than 20 characters, or a quote opened"
    )


def test_a_file_the_system_cannot_read_says_so(tmp_path: Path) -> None:
    link = tmp_path / "wave.csv"
    link.symlink_to("/proc/self/mem")  # open succeeds, every read fails (EIO)
    with pytest.raises(InputError) as caught:
        read_sheets(link)
    assert caught.value.code is messages.FILE_UNREADABLE
    assert one_line(str(caught.value))


def test_every_code_of_reading_and_recognising_files_is_exercised_here() -> None:
    exercised = {c[2] for c in REFUSED} | {messages.READ_AS_CONTENT, messages.CSV_READ_AS}
    exercised |= {messages.READER_CRASHED, messages.READ_MEMORY, messages.READ_TIMEOUT}
    exercised |= {messages.SHEET_BEYOND_EXCEL, messages.SHEET_TOO_MANY_CELLS}
    exercised |= {messages.CSV_TOO_MANY_CELLS, messages.CSV_BAD_FIELD, messages.FILE_UNREADABLE}
    ours = {c for c in messages.CATALOG.values() if "CMA000" <= c.code <= "CMA099"}
    assert ours - exercised == set()


# Workbooks from public parsers' test suites (msoffcrypto-tool, python-calamine's calamine,
# xlrd, SheetJS test_files): not committed here (the workplace keeps fetched files out of the
# project's history); their list, sources and licences are in that folder's README.md.
REAL_FILES = Path(os.environ.get("CMASSOC_REAL_FILES") or ROOT.parent / "shared" / "real-files")
REAL: dict[str, Code | str] = {
    "example_password.xlsx": messages.ENCRYPTED,
    "pass_protected.xlsx": messages.ENCRYPTED,
    "pass_protected.xlsb": messages.ENCRYPTED,
    "pass_protected.ods": messages.ENCRYPTED,
    "rc4cryptoapi_password.xls": messages.ENCRYPTED,
    "xor_password_123456789012345.xls": messages.ENCRYPTED,
    "issue_385.xls": messages.BUILTIN_PASSWORD,
    "biff4_no_format_no_window2.xls": messages.OLD_EXCEL,
    "CRLFX5_2.XLS": messages.OLD_EXCEL,
    "CRLFX5_3.XLS": messages.OLD_EXCEL,
    "CRLFR9_4.XLS": messages.OLD_EXCEL,
    "crlf.xml": messages.OTHER_SPREADSHEET,
    "crlf.fods": messages.OTHER_SPREADSHEET,
    "crlf.slk": messages.OTHER_SPREADSHEET,
    "crlfq9.wk1": messages.OTHER_SPREADSHEET,
    "crlf.htm": messages.WEB_PAGE,
    "sample-zip.xlsx": messages.NOT_A_SPREADSHEET,
    "issue252.xlsx": messages.DAMAGED,
    "OOM_alloc3.xls": messages.WORKBOOK_UNREADABLE,
    # read as what they are, whatever their names: the first cell each holds
    "date-ods.xlsx": "2021-01-01",
    "date-xls.xlsx": "2021-01-01",
    "date-xlsb.xlsx": "2021-01-01",
    "date-xlsx.csv": "2021-01-01",
    # cells with line breaks and NUL bytes: refused for no header, on one line
    "crlf.xlsx": "abc\\r\\ndef",
    "crlf.csv": "abc\\r\\ndef",
    "has_x000D_.xlsx": "ABC\\r\\nDEF",
    "CRLFR9.XLS": "N\\x00o\\x00r\\x00m",
}


@pytest.mark.skipif(not REAL_FILES.is_dir(), reason=f"no copy of the real test files at {REAL_FILES}")
@pytest.mark.parametrize(("name", "expected"), sorted(REAL.items()))
def test_real_files(name: str, expected: Code | str) -> None:
    path = REAL_FILES / name
    if isinstance(expected, Code):
        with pytest.raises(InputError) as caught:
            read_sheets(path)
        assert caught.value.code is expected
        assert one_line(str(caught.value))
        result = invoke("validate", path)
        assert result.exit_code == 2 and len(result.output.splitlines()) == 1
    elif name.startswith("date-"):
        sheets, notes = read_sheets(path)
        assert [getattr(n, "code", None) for n in notes] == [messages.READ_AS_CONTENT]
        assert sheets[0].cell(0, 0) == expected
    else:
        with pytest.raises(InputError) as caught:
            read_wave(path)
        assert one_line(str(caught.value)) and f"'{expected}" in str(caught.value)


def test_a_csv_whose_first_header_is_id_is_no_sylk_file(tmp_path: Path) -> None:
    path = _text("wave.csv", "ID;PC name;New PC;Behavior\n1;CON-PC0003;CON-NB0003;0\n")(tmp_path)
    wave = read_wave(path, mapping={"source": "PC name", "destination": "New PC"})
    assert [r.values["PC name"] for r in wave.rows] == ["CON-PC0003"]
