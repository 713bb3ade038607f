"""`cmassoc status` of a run gives every row a status: the rows that never reached the site
keep the run's status and why, and the counts add up to the rows (issue 26, point 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from openpyxl import load_workbook

from importer import messages as M
from tests.support.helpers import SAMPLES, invoke


def test_status_of_a_run_gives_every_row_a_status(tmp_path: Path, site_path: Path) -> None:
    done = invoke(
        "run",
        SAMPLES / "wave-01.xlsx",
        "--demo",
        site_path,
        "--json",
        tmp_path / "run.json",
        "--report",
        tmp_path / "r.xlsx",
    )
    assert done.exit_code == 3, done.output
    run_id = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))["summary"]["run_id"]
    read = invoke(
        "status", run_id, "--demo", site_path, "--json", tmp_path / "s.json", "--report", tmp_path / "s.xlsx"
    )
    assert read.exit_code == 0, read.output
    assert "Status of 12 rows: 8 not started, 2 invalid, 2 unresolved" in read.output
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    statuses = [(r["row"], r["status"]) for r in data["rows"]]
    assert statuses == [(n, "not started") for n in range(4, 12)] + [
        (12, "unresolved"),
        (13, "unresolved"),
        (14, "invalid"),
        (15, "invalid"),
    ]
    counts = data["summary"]["counts"]
    assert sum(counts.values()) == len(data["rows"]) == 12
    said = [r["messages"][0] for r in data["rows"][8:]]
    assert [m["code"] for m in said] == [M.NEVER_REACHED_SITE.code] * 4
    # each repeats the first error the run gave the row, with its code
    assert [re.findall(r"ERROR (CMA[0-9]{3}) ", m["text"]) for m in said] == [
        [M.SEVERAL_LIVE_RECORDS.code],
        [M.NOT_ON_SITE.code],
        [M.BEHAVIOUR_NEEDS_USERS.code],
        [M.SAME_COMPUTER_TWICE.code],
    ]
    sheet = load_workbook(tmp_path / "s.xlsx")["Results"]
    header = [c.value for c in sheet[1]]
    column = header.index("Status")
    assert [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)] == [s for _, s in statuses]
