"""The reports, built column by column, against the row-at-a-time code they replaced: the
same Excel sheet XML and the same JSON, byte for byte, on sheets with every kind of error
plus rows carrying what later stages add (resource IDs, new hardware, collections, the
site's user state, users from the site, statuses of a run)."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest

from importer.model import Hardware, StoreState, UsersFrom
from importer.pipeline import validate_wave
from importer.read import read_wave
from importer.report import xlsx_report
from importer.report.json_report import write_json_to
from importer.report.summary import summary
from importer.report.xlsx_report import STATUS_FILLS, report_columns, write_xlsx
from importer.report.xlsx_writer import fill_style
from importer.results import RunOptions, RunResult
from importer.status import Status
from tests import rowwise_xlsx
from tests.rowwise_json import row_dict
from tests.test_columnwise import HEADER, _row, _workbook

DATE_STYLE = fill_style(len(STATUS_FILLS))


def _result(tmp_path: Path, seed: int, command: str = "validate") -> RunResult:
    path = _workbook(tmp_path / "wave.xlsx", seed, 1200)
    book = openpyxl.load_workbook(path)
    second = book.create_sheet("Wave B")  # a second pairs sheet, its columns in another order
    second.append([*reversed(HEADER), "Extra"])
    rng = random.Random(seed)
    for n in range(5000, 5150):
        second.append([*reversed(_row(rng, n)), f"x{n}"])
    book.save(path)
    result = validate_wave(read_wave(path), RunOptions())
    result.command = command
    when = dt.datetime(2026, 5, 4, 3, 2, 1)
    for n, row in enumerate(result.rows):
        draw = rng.random()
        if draw < 0.1:
            row.source_resource_id, row.restore_resource_id = 16777000 + n, 16779000 + n
            row.status = rng.choice([Status.CREATED, Status.EXISTS, Status.FAILED, Status.PLANNED])
        elif draw < 0.15:
            row.hardware = rng.choice(list(Hardware))
            row.membership = ["CON00012: added", "All Laptops: already a member"][: rng.randint(1, 2)]
        elif draw < 0.2:
            row.store = StoreState("in progress", "side by side", when, None, when, "\\\\srv\\store$\\x")
        elif draw < 0.25:
            row.users = ["CONTOSO\\site user", 'FABRIKAM\\"odd"\n', "é\\ü"]  # their own list
            row.users_from = UsersFrom.PRIMARY
        elif draw < 0.27:
            row.mac, row.smbios_guid = "00:11:22:33:44:55", "4C4C4544-0042-3510-8052-B3C04F4B3332"
    return result


@pytest.mark.parametrize(("seed", "helped"), [(1, False), (2, False), (1, True)])
def test_excel_results_sheet_is_what_the_row_loop_wrote(
    tmp_path: Path, seed: int, helped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_report, "HELPED_FROM", 100)  # helped: a forked child writes half
    result = _result(tmp_path, seed)
    assert {r.block for r in result.rows if r.block is not None}.__len__() == 2
    assert any(r.block is None for r in result.rows)  # users-sheet rows hold their own cells
    path = tmp_path / "report.xlsx"
    write_xlsx(result, path, helped=helped)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every member's CRC holds
        sheet = z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    expected, widths = rowwise_xlsx.results_sheet_data(result.rows, report_columns(result)[:200], DATE_STYLE)
    ours = sheet[sheet.index("<sheetData>") : sheet.index("</sheetData>")]
    assert ours == expected
    for index, width in enumerate(widths, 1):
        assert f'<col min="{index}" max="{index}" width="{width:g}" customWidth="1"/>' in sheet


@pytest.mark.parametrize("helped", [False, True])
def test_excel_status_sheet_is_what_the_row_loop_wrote(
    tmp_path: Path, helped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_report, "HELPED_FROM", 100)
    result = _result(tmp_path, 3, command="status")
    path = tmp_path / "report.xlsx"
    write_xlsx(result, path, helped=helped)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        sheet = z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    expected = rowwise_xlsx.status_sheet_data(result.rows, report_columns(result)[:194], DATE_STYLE)
    assert sheet[sheet.index("<sheetData>") : sheet.index("</sheetData>")] == expected


@pytest.mark.parametrize("seed", [1, 2])
def test_json_is_what_the_row_encoder_wrote(tmp_path: Path, seed: int) -> None:
    result = _result(tmp_path, seed)
    out = io.StringIO()
    write_json_to(result, out)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    expected = (
        '{"summary": '
        + json.dumps(summary(result), ensure_ascii=False)
        + ',\n"rows": [\n'
        + ",\n".join(encode(row_dict(row)) for row in result.rows)
        + "\n]}\n"
    )
    assert out.getvalue() == expected
    assert len(json.loads(out.getvalue())["rows"]) == len(result.rows)
