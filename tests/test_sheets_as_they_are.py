"""Sheets as teams really have them: --map, footers, look-alike columns, the user's own words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.helpers import SAMPLES, invoke, sheet


def rows_of(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return rows


def test_map_picks_columns_the_aliases_miss(tmp_path: Path) -> None:
    path = sheet(tmp_path, "Old PC,Replacement,Mode,People\nCON-PC0003,CON-NB0003,2,CONTOSO\\a\n")
    plain = invoke("validate", path, "--report", tmp_path / "p.xlsx")
    assert plain.exit_code == 2
    assert "the first rows hold 'Old PC', 'Replacement', 'Mode', 'People'" in plain.output
    assert '--map Source="Old PC" --map Destination="Replacement"' in plain.output
    out = tmp_path / "m.json"
    mapped = invoke(
        "validate",
        path,
        "--map",
        "Source=Old PC",
        "--map",
        "Destination=Replacement",
        "--map",
        "Users=People",
        "--json",
        out,
        "--report",
        tmp_path / "m.xlsx",
    )
    assert mapped.exit_code == 0, mapped.output
    [row] = rows_of(out)
    assert (row["source"], row["destination"], row["behavior"], row["users"]) == (
        "CON-PC0003",
        "CON-NB0003",
        2,
        ["CONTOSO\\a"],
    )
    bad = invoke("validate", path, "--map", "Nonsense=Old PC")
    assert bad.exit_code == 2 and "write FIELD=HEADER" in bad.output
    missing = invoke(
        "validate",
        path,
        "--map",
        "Source=Old PC",
        "--map",
        "Destination=Replacement",
        "--map",
        "Users=Nobody",
    )
    assert missing.exit_code == 2 and 'Users="Nobody" names no column' in missing.output


def test_a_footer_row_is_skipped_with_a_note(tmp_path: Path) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\n\nTotal: 1 machine,,\n")
    out = tmp_path / "f.json"
    result = invoke("validate", path, "--json", out, "--report", tmp_path / "f.xlsx")
    assert result.exit_code == 0, result.output  # not an invalid row making the run exit 3
    assert len(rows_of(out)) == 1
    notes = json.loads(out.read_text(encoding="utf-8"))["summary"]["notes"]
    assert notes == [
        "'wave.csv' read as UTF-8, columns separated by commas",
        "Skipped 1 row that is not a pair: 'wave.csv' row 4 'Total: 1 machine'",
    ]


def test_a_users_like_column_not_read_stops_the_job(tmp_path: Path) -> None:
    """Users in a column the header does not read would not be migrated: nothing is done until
    the sheet says what the column is (tests/test_columns.py has the rest)."""
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Users,Last User\nCON-PC0003,CON-NB0003,2,CONTOSO\\a,CONTOSO\\b\n",
    )
    out = tmp_path / "w.json"
    result = invoke("validate", path, "--json", out, "--report", tmp_path / "w.xlsx")
    assert result.exit_code == 2, result.output
    assert "cmassoc: error: CMA306 'wave.csv' column E 'Last User'" in result.output
    assert not out.exists()
    result = invoke(
        "validate", path, "--ignore-column", "Last User", "--json", out, "--report", tmp_path / "w.xlsx"
    )
    assert result.exit_code == 0, result.output
    notes = json.loads(out.read_text(encoding="utf-8"))["summary"]["notes"]
    assert notes == [
        "'wave.csv' read as UTF-8, columns separated by commas",
        "1 column not read, carried into the report as it is: 'wave.csv' column E 'Last User' (--ignore-column)",
    ]


def test_messages_name_the_users_own_columns(tmp_path: Path, site_path: Path) -> None:
    out = tmp_path / "r.json"
    result = invoke(
        "run",
        SAMPLES / "wave-01.xlsx",
        "--demo",
        site_path,
        "--dry-run",
        "--json",
        out,
        "--report",
        tmp_path / "r.xlsx",
    )
    assert result.exit_code == 3
    columns = {m["column"] for r in rows_of(out) for m in r["messages"] if m["column"]}
    # names (Old Computer), users (User Names) and the in-place row (New Computer); no behaviour
    # of the sample is wrong, and Ticket is only carried
    assert columns == {"Old Computer", "New Computer", "User Names"}, columns


def test_a_user_without_domain_gets_one_message(tmp_path: Path) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior,Users\nCON-PC0003,CON-NB0003,2,wendy\n")
    out = tmp_path / "u.json"
    assert invoke("validate", path, "--json", out, "--report", tmp_path / "u.xlsx").exit_code == 3
    [row] = rows_of(out)
    errors = [m["text"] for m in row["messages"] if m["level"] == "error"]
    assert len(errors) == 1 and "add the domain" in errors[0]
