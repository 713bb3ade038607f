"""The second half of a large sheet written by a forked helper and spliced into the sheet's
zip member: the CRC arithmetic, the splice itself, and what happens when the helper fails
or this process fails while it runs."""

from __future__ import annotations

import os
import random
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

from importer.forked import Forked
from importer.report import forked_rows, xlsx_report
from importer.report.forked_rows import Part, crc32_combine, splice
from importer.report.xlsx_report import write_xlsx
from importer.report.xlsx_writer import StreamingWorkbook
from tests.test_report_columns import _result

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the helper forks (Linux)")


@pytest.mark.parametrize("seed", range(6))
def test_crc32_combine_is_the_crc_of_the_two_laid_end_to_end(seed: int) -> None:
    rng = random.Random(seed)
    first = rng.randbytes(rng.choice([0, 1, 7, 1000, 70_001]))
    second = rng.randbytes(rng.choice([0, 1, 3, 4096, 123_457]))
    combined = crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
    assert combined == zlib.crc32(first + second)


def test_a_spliced_member_is_one_ordinary_deflated_member(tmp_path: Path) -> None:
    rng = random.Random(7)
    head, middle, tail = (
        "".join(rng.choice("abc<>&\n ") for _ in range(n)).encode() for n in (50_000, 80_000, 300)
    )
    part = Part()
    for at in range(0, len(middle), 10_000):
        part.write(middle[at : at + 10_000])
    part.close()
    path = tmp_path / "spliced.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("member.xml", "w", force_zip64=True) as member:
            assert forked_rows.can_splice(member)
            member.write(head)
            splice(member, part)
            member.write(tail)
        z.writestr("after.txt", "next member")
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert z.read("member.xml") == head + middle + tail
        assert z.getinfo("member.xml").file_size == len(head + middle + tail)
        assert z.read("after.txt") == b"next member"


@linux_only
def test_a_helper_that_fails_leaves_its_rows_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_report, "HELPED_FROM", 100)
    result = _result(tmp_path, 4)
    write_xlsx(result, tmp_path / "alone.xlsx")
    parent = os.getpid()
    real_close = Part.close

    def fail_in_the_child(self: Part) -> None:
        if os.getpid() != parent:
            raise OSError("no space left on device")
        real_close(self)

    monkeypatch.setattr(Part, "close", fail_in_the_child)
    helpers = _recorded(monkeypatch)
    write_xlsx(result, tmp_path / "helped.xlsx", helped=True)
    assert len(helpers) == 1 and helpers[0].pid == 0  # it ran, failed, and was waited for
    assert _sheets(tmp_path / "helped.xlsx") == _sheets(tmp_path / "alone.xlsx")
    assert _rows(tmp_path / "helped.xlsx") == len(result.rows) + 1


@linux_only
def test_a_failure_here_stops_the_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_report, "HELPED_FROM", 100)
    monkeypatch.setattr(xlsx_report, "CHUNK", 100)
    result = _result(tmp_path, 5)
    parent = os.getpid()
    real_rows = StreamingWorkbook.rows
    helpers = _recorded(monkeypatch)

    def fail_here(self: StreamingWorkbook, *args: object, **kwargs: object) -> None:
        if os.getpid() == parent and helpers and self.rows_written > 1:  # Ctrl-C mid-sheet
            raise KeyboardInterrupt
        real_rows(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(StreamingWorkbook, "rows", fail_here)
    with pytest.raises(KeyboardInterrupt):
        write_xlsx(result, tmp_path / "stopped.xlsx", helped=True)
    assert len(helpers) == 1 and helpers[0].pid == 0
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child of this process is left, running or unreaped
    assert not (tmp_path / "stopped.xlsx").exists()


@linux_only
def test_the_validate_command_forks_a_helper_for_a_large_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from importer.cli import cli
    from tests.test_columnwise import _workbook

    sheet = _workbook(tmp_path / "wave.xlsx", 8, 900)
    helpers = _recorded(monkeypatch)
    for name, helped_from in (("alone.xlsx", 10**9), ("helped.xlsx", 100)):
        monkeypatch.setattr(xlsx_report, "HELPED_FROM", helped_from)
        done = CliRunner().invoke(cli, ["validate", str(sheet), "--report", str(tmp_path / name)])
        assert done.exit_code in (0, 3), done.output
    assert len(helpers) == 1 and helpers[0].pid == 0
    results = "xl/worksheets/sheet2.xml"  # the Summary (sheet1) says when each was written
    assert _sheets(tmp_path / "helped.xlsx")[results] == _sheets(tmp_path / "alone.xlsx")[results]
    assert _rows(tmp_path / "helped.xlsx") > 800  # the helper wrote the last 400 or so


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[Forked[Part]]:
    made: list[Forked[Part]] = []
    real_init = Forked.__init__

    def init(self: Forked[Part], *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(Forked, "__init__", init)
    return made


def _sheets(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


def _rows(path: Path) -> int:
    book = openpyxl.load_workbook(path, read_only=True)
    return sum(1 for _ in book["Results"].iter_rows(values_only=True))
