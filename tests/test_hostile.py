"""Hostile input: every file a user can pick gets a clear answer in bounded time and memory.

Each case is generated here (no binaries are committed) and run through the real CLI in a
child process with a 1.5 GB address-space limit and a time limit. Every one must end with
the expected exit status, one error line naming the file when it is refused, no traceback,
nothing changed on the demo site, and any report written within Excel's limits.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sqlite3
import string
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.support.helpers import ROOT, SAMPLES

MEMORY_LIMIT = 1536 * 1024 * 1024
TIME_LIMIT = 120
HEADER = ["Source", "Destination", "Behavior", "Users"]


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], list[str]]  # writes the files, returns the arguments after the command
    exit: int
    fragment: str = ""  # in the error line (exit 2) or the report's messages
    command: str = "run"


def book(path: Path, rows: Sequence[Sequence[object]], title: str = "Wave") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def far_cell(path: Path, ref: str) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["CON-PC0003", "CON-NB0003", 0])
    ws[ref] = "x"
    wb.save(path)
    return path


def rezip(source: Path, target: Path, change: Callable[[str, bytes], bytes], level: int = 9) -> Path:
    with (
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as new,
    ):
        for item in old.infolist():
            new.writestr(item.filename, change(item.filename, old.read(item.filename)))
    return target


def good_xlsx(d: Path) -> Path:
    return book(d / "good.xlsx", [HEADER, ["CON-PC0003", "CON-NB0003", 0, ""]])


def text(d: Path, name: str, content: str | bytes) -> Path:
    path = d / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def random_letters(n: int) -> str:
    rng = random.Random(7)
    return "".join(rng.choice(string.ascii_letters) for _ in range(n))


def without_declaration(data: bytes) -> bytes:
    return data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data


def _xxe(d: Path) -> list[str]:
    entity = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'

    def change(name: str, data: bytes) -> bytes:
        return entity + without_declaration(data) if name == "xl/workbook.xml" else data

    return [str(rezip(good_xlsx(d), d / "xxe.xlsx", change))]


def _laughs(d: Path) -> list[str]:
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]>"
    )

    def change(name: str, data: bytes) -> bytes:
        if name.endswith("sheet1.xml"):
            return lol + without_declaration(data).replace(b">CON-PC0003<", b">&lol9;<")
        return data

    return [str(rezip(good_xlsx(d), d / "laughs.xlsx", change))]


def _ratio_bomb(d: Path) -> list[str]:
    padding = b" " * (60 * 1024 * 1024)
    return [
        str(
            rezip(
                good_xlsx(d),
                d / "ratio.xlsx",
                lambda n, b: (
                    b.replace(b"<sheetData>", padding + b"<sheetData>") if n.endswith("sheet1.xml") else b
                ),
            )
        )
    ]


def _lying_size(d: Path) -> list[str]:
    path = d / "lying.xlsx"
    data = bytearray(good_xlsx(d).read_bytes())
    # Claim a tiny uncompressed size for every member in the central directory.
    at = data.find(b"PK\x01\x02")
    while at != -1:
        data[at + 24 : at + 28] = (10).to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return [str(path)]


def _truncated(d: Path) -> list[str]:
    data = good_xlsx(d).read_bytes()
    return [str(text(d, "truncated.xlsx", data[: len(data) // 2]))]


def _many_columns(d: Path) -> list[str]:
    wb = Workbook()
    ws = wb.active
    ws.append([*HEADER, *(f"Extra {i}" for i in range(16_380 - len(HEADER)))])
    ws.append(["CON-PC0003", "CON-NB0003", 0, "", *(["v"] * 50)])
    wb.save(d / "wide.xlsx")
    return [str(d / "wide.xlsx")]


def _long_cell(d: Path) -> list[str]:
    # Excel and openpyxl stop at 32,767 characters; a hostile file need not.
    plain = book(d / "plain.xlsx", [HEADER, ["CON-PC0003", "CON-NB0003", 0, "LONGCELL"]])
    long = random_letters(40_000).encode()
    return [
        str(rezip(plain, d / "longcell.xlsx", lambda _name, b: b.replace(b">LONGCELL<", b">" + long + b"<")))
    ]


def _typed(d: Path) -> list[str]:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(['=CONCAT("PC","1")', 12.5, True, ""])
    ws.append(["CON-PC0004", "#N/A", 0, ""])
    ws["B3"].data_type = "e"
    wb.save(d / "typed.xlsx")
    return [str(d / "typed.xlsx")]


def _formula_text(d: Path) -> list[str]:
    hostile = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "@SUM(A1)", "-2+3"]
    return [
        str(
            text(
                d,
                "inject.csv",
                "Source,Destination,Behavior,Note\n"
                + "".join(f'"{h}",CON-NB0005,0,"{h}"\n' for h in hostile),
            )
        )
    ]


def _users_far(d: Path) -> list[str]:
    wave = text(d, "w.csv", "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,2\n")
    users = far_cell(d / "users-far.xlsx", "XFD1048576")
    return [str(wave), "--users", str(users)]


def _proc_mem(d: Path) -> list[str]:
    link = d / "eio.csv"
    link.symlink_to("/proc/self/mem")
    return [str(link)]


def _fifo(d: Path) -> list[str]:
    os.mkfifo(d / "fifo.csv")
    return [str(d / "fifo.csv")]


def _directory(d: Path) -> list[str]:
    (d / "folder.xlsx").mkdir()
    return [str(d / "folder.xlsx")]


def forged_report(d: Path, summary: object, name: str = "forged.json") -> list[str]:
    return [str(text(d, name, '{"summary": ' + json.dumps(summary) + ',\n"rows": [\n]}\n'))]


GOOD_SUMMARY = {"tool": "cmassoc (cm-association-importer)", "run_id": "20261123-101010-abcd"}

CASES = [
    # spreadsheets that make parsers abort, hang or eat memory
    Case(
        "cell-at-XFD1048576",
        lambda d: [str(far_cell(d / "far.xlsx", "XFD1048576"))],
        2,
        "far.xlsx' could not be read within",
    ),
    Case("cell-at-ZZ1048576", lambda d: [str(far_cell(d / "zz.xlsx", "ZZ1048576"))], 2, "zz.xlsx'"),
    Case("cell-at-T1048576", lambda d: [str(far_cell(d / "t.xlsx", "T1048576"))], 2, "t.xlsx'"),
    Case("cell-at-XFD2", lambda d: [str(far_cell(d / "wide2.xlsx", "XFD2"))], 0, "", "validate"),
    Case("users-file-far-cell", _users_far, 2, "users-far.xlsx' could not be read within"),
    Case("zip-ratio-bomb", _ratio_bomb, 2, "ratio.xlsx': its part"),
    Case(
        "unpacked-over-limit",
        lambda d: [
            str(book(d / "tall.xlsx", [HEADER] + [[f"PC{i}", f"NB{i}", 0, ""] for i in range(40_000)])),
            "--max-unpacked-size",
            "1",
        ],
        2,
        "tall.xlsx' unpacks to",
        "validate",
    ),
    Case(
        "file-over-limit",
        lambda d: [
            str(text(d, "big.csv", "Source,Destination\n" + "A,B\n" * 400_000)),
            "--max-file-size",
            "1",
        ],
        2,
        "big.csv' is 2 MB",
    ),
    Case("lying-zip-sizes", _lying_size, 2, "lying.xlsx'"),
    Case("truncated-zip", _truncated, 2, "truncated.xlsx' is damaged"),
    Case("not-a-zip", lambda d: [str(text(d, "notzip.xlsx", "just text"))], 2, "notzip.xlsx': no header row"),
    Case("empty-xlsx", lambda d: [str(text(d, "empty.xlsx", b""))], 2, "empty.xlsx' is empty (0 bytes)"),
    Case(
        "ole-as-xlsx",
        lambda d: [str(text(d, "ole.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600))],
        2,
        "ole.xlsx' is damaged",
    ),
    Case(
        "garbage-xlsb",
        lambda d: [str(text(d, "junk.xlsb", os.urandom(4096)))],
        2,
        "junk.xlsb' is neither a spreadsheet nor text",
    ),
    Case(
        "garbage-ods",
        lambda d: [str(text(d, "junk.ods", os.urandom(4096)))],
        2,
        "junk.ods' is neither a spreadsheet nor text",
    ),
    Case(
        "garbage-xls",
        lambda d: [str(text(d, "junk.xls", os.urandom(4096)))],
        2,
        "junk.xls' is neither a spreadsheet nor text",
    ),
    Case("xxe-in-workbook", _xxe, 2, "xxe.xlsx'"),
    Case("billion-laughs", _laughs, 2, "laughs.xlsx'"),
    Case("16380-columns", _many_columns, 0, "", "validate"),
    Case("cell-over-32767", _long_cell, 3, "40,000 characters, more than a cell can hold"),
    Case("typed-cells", _typed, 3, "is a number with a fraction, not a computer name", "validate"),
    Case("no-header", lambda d: [str(book(d / "nohead.xlsx", [["a", "b"], ["c", "d"]]))], 2, "nohead.xlsx'"),
    Case(
        "duplicate-header",
        lambda d: [str(book(d / "dup.xlsx", [["Source", "Old", "Destination"], ["A", "B", "C"]]))],
        2,
        "dup.xlsx' sheet 'Wave' row 1",
    ),
    Case("formula-text-in-cells", _formula_text, 3, ""),
    # CSV
    Case(
        "csv-field-over-limit",
        lambda d: [str(text(d, "field.csv", 'Source,Destination\n"' + "A" * 1_100_000 + '",B\n'))],
        2,
        "field.csv' row 2",
    ),
    Case(
        "csv-unclosed-quote",
        lambda d: [str(text(d, "quote.csv", 'Source,Destination\n"PC1,NB1\n' + "X" * 1_200_000))],
        2,
        "quote.csv' row 2",
    ),
    Case(
        "csv-20000-columns",
        lambda d: [
            str(
                text(
                    d,
                    "cols.csv",
                    "Source,Destination," + ",".join(f"c{i}" for i in range(20_000)) + "\nA,B\n",
                )
            )
        ],
        2,
        "cols.csv' row 1: 20,002 columns",
    ),
    Case(
        # One row of 16,000 fields in a long file: held column by column, every row would get
        # every column (16,000 x 2,000 cells). Refused before it is built.
        "csv-one-wide-row-in-a-long-file",
        lambda d: [
            str(
                text(
                    d,
                    "wide.csv",
                    "Source,Destination\n"
                    + "A,B\n" * 1_300
                    + ",".join(["x"] * 16_000)
                    + "\n"
                    + "A,B\n" * 1_000,
                )
            )
        ],
        2,
        "wide.csv': 1,302 rows by 16,000 columns",
    ),
    Case(
        "csv-bad-utf8-late",
        lambda d: [
            str(
                text(
                    d,
                    "late.csv",
                    b"Source,Destination\n"
                    + b"CON-PC0003,CON-NB0003\n" * 4000
                    + b"CON-PC\xff\xfe04,CON-NB0004\n",
                )
            )
        ],
        2,
        "late.csv' row 4002: bytes that are not UTF-8",
    ),
    Case(
        "csv-bom-then-bad-bytes",
        lambda d: [
            str(text(d, "bom.csv", b"\xef\xbb\xbfSource,Destination\nCON-PC\xc3\x280003,CON-NB0003\n"))
        ],
        2,
        "bom.csv' row 2: bytes that are not UTF-8 (with BOM)",
    ),
    Case(
        "csv-cp1252-undefined",
        lambda d: [str(text(d, "ansi.csv", b"Source,Destination\nCON-PC\x81\xe90003,CON-NB0003\n"))],
        2,
        "ansi.csv' row 2: bytes that are not Windows-1252",
    ),
    Case(
        "csv-utf16-odd",
        lambda d: [
            str(text(d, "odd.csv", "\ufeffSource,Destination\nA,B\n".encode("utf-16-le") + b"\x00\xd8A"))
        ],
        2,
        "odd.csv'",
    ),
    Case(
        "csv-control-characters",
        lambda d: [
            str(text(d, "ctrl.csv", "Source,Destination,Behavior\nCON-PC\x070003,CON-NB\x1b0003,0\n"))
        ],
        3,
        "characters a computer name cannot have",
    ),
    Case(
        "csv-nul-bytes",
        lambda d: [str(text(d, "nul.csv", b"Source,Destination,Behavior\nCON-PC\x000003,CON-NB0003,0\n"))],
        3,
        "characters a computer name cannot have",
    ),
    Case("csv-empty", lambda d: [str(text(d, "empty.csv", b""))], 2, "empty.csv' is empty (0 bytes)"),
    Case(
        "csv-whitespace", lambda d: [str(text(d, "blank.csv", "\n \n\t\n"))], 2, "blank.csv': no header row"
    ),
    Case(
        "csv-header-far-right",
        lambda d: [str(text(d, "right.csv", "," * 16_000 + "Source,Destination\n"))],
        0,
        "",
        "validate",
    ),
    Case("unknown-extension", lambda d: [str(text(d, "wave.exe", "MZ"))], 2, "wave.exe': unknown file type"),
    Case("missing-file", lambda d: [str(d / "nowhere.xlsx")], 2, "nowhere.xlsx': no such file"),
    Case("directory", _directory, 2, "folder.xlsx': not a file"),
    Case("fifo", _fifo, 2, "fifo.csv': not a file"),
    Case("eio-on-read", _proc_mem, 2, "eio.csv'"),
    # forged reports given to undo
    Case(
        "report-journal-is-the-site",
        lambda d: forged_report(d, {**GOOD_SUMMARY, "journal": str(d / "site.db")}),
        2,
        "is not a cmassoc run journal",
        "undo",
    ),
    Case(
        "report-journal-in-new-folder",
        lambda d: forged_report(d, {**GOOD_SUMMARY, "journal": str(d / "new" / "j.db")}),
        2,
        "does not exist",
        "undo",
    ),
    Case(
        "report-run-id-not-ours",
        lambda d: forged_report(d, {**GOOD_SUMMARY, "run_id": "../../etc"}),
        2,
        "forged.json' is not a cmassoc report",
        "undo",
    ),
    Case(
        "report-run-id-a-number",
        lambda d: forged_report(d, {**GOOD_SUMMARY, "run_id": 7}),
        2,
        "forged.json' is not a cmassoc report",
        "undo",
    ),
    Case(
        "report-not-ours",
        lambda d: [str(text(d, "list.json", "[1, 2, 3]"))],
        2,
        "list.json' is not a cmassoc report",
        "undo",
    ),
    Case(
        "report-huge-line",
        lambda d: [str(text(d, "huge.json", '{"summary": {"x": "' + "y" * 2_000_000 + '"},\n'))],
        2,
        "huge.json' is not a cmassoc report",
        "undo",
    ),
    Case(
        "report-xlsx-without-summary",
        lambda d: [str(good_xlsx(d))],
        2,
        "good.xlsx' is not a cmassoc report",
        "undo",
    ),
    Case(
        "report-journal-a-sample",
        lambda d: forged_report(d, {**GOOD_SUMMARY, "journal": str(SAMPLES / "wave-03.csv")}),
        2,
        "is not a cmassoc run journal",
        "undo",
    ),
]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def associations(site: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(site) as db:
        return sorted(db.execute("SELECT SourceClientResourceID, RestoreClientResourceID FROM associations"))


def tables(site: Path) -> list[str]:
    with sqlite3.connect(site) as db:
        return sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


def check_report(path: Path) -> None:
    """Within Excel's limits: at most 16,384 columns, no cell over 32,767 characters."""
    workbook = load_workbook(path, read_only=True)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert len(row) <= 16_384
            assert all(len(str(v)) <= 32_767 for v in row if v is not None)
    workbook.close()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, site_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    site = folder / "site.db"
    site.write_bytes(site_path.read_bytes())
    before, before_tables = associations(site), tables(site)
    args = case.build(folder)
    report, out = tmp_path / "r.xlsx", tmp_path / "r.json"
    command = [sys.executable, "-m", "importer", case.command, *args]
    if case.command != "validate":
        command += ["--demo", str(site)]
    command += ["--report", str(report), "--json", str(out)]
    env = {**os.environ, "CMASSOC_JOURNAL": str(tmp_path / "journal.db"), "PYTHONPATH": str(ROOT)}
    if case.command == "undo":  # the report's own journal, as a forged report would have it used
        del env["CMASSOC_JOURNAL"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIME_LIMIT, preexec_fn=_limits, env=env, cwd=tmp_path
    )
    output = done.stdout + done.stderr
    assert done.returncode == case.exit, output[-2000:]
    for bad in ("Traceback", "Exception ignored", "internal error", "memory allocation of"):
        assert bad not in output, output[-2000:]
    if case.exit == 2:
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("cmassoc: error:")]
        assert len(errors) == 1, done.stderr
        assert case.fragment in errors[0], errors[0]
        assert len(errors[0]) < 1000
        assert not report.exists() and not out.exists()
    else:
        check_report(report)
        data = json.loads(out.read_text(encoding="utf-8"))
        if case.fragment:
            texts = [m["text"] for r in data["rows"] for m in r["messages"]]
            assert any(case.fragment in t for t in texts), texts[:10]
        assert all(len(v) <= 32_767 for r in data["rows"] for v in r["values"].values())
    assert associations(site) == before
    assert tables(site) == before_tables  # nothing was added to the site's file either
    assert not (folder / "new").exists()


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("how", ["closed", "broken-pipe"])
def test_json_to_a_closed_or_broken_stdout(tmp_path: Path, how: str) -> None:
    command = [
        sys.executable,
        "-m",
        "importer",
        "validate",
        str(SAMPLES / "wave-01.xlsx"),
        "--json",
        "-",
        "--report",
        str(tmp_path / "r.xlsx"),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if how == "closed":
        done = subprocess.run(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            pass_fds=(),
            close_fds=True,
            preexec_fn=lambda: os.close(1),
            timeout=TIME_LIMIT,
        )
        code, err = done.returncode, done.stderr
        assert "standard output is closed" in err
    else:
        read, write = os.pipe()
        proc = subprocess.Popen(command, stdout=write, stderr=subprocess.PIPE, text=True, env=env)
        os.close(write)
        os.close(read)  # the reader leaves before the first byte
        _, err = proc.communicate(timeout=TIME_LIMIT)
        code = proc.returncode
        assert "the JSON was cut short" in err
    assert code == 3, err  # what the run deserved: the sample has rows that need attention
    assert "Traceback" not in err and "Exception ignored" not in err
    assert "Report:" in err and "Validated 12 rows" in err
