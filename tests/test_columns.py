"""No meaningful column is silently ignored (issue 26, point 1): a column not read that looks
like behaviours or users stops the job before anything is sent, --map or --ignore-column goes
on; known columns (a cmdlet's or our own export's) are carried; the others are named once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient

from importer import messages
from importer.after.export import HEADERS as EXPORT_HEADERS
from importer.check.values import parse_behavior
from importer.model import Behavior
from importer.read import aliases
from importer.read.columns import UnreadColumnsError
from importer.read.wave import read_wave
from importer.report.excel_report import DETAIL_COLUMNS, FIRST_COLUMNS, STORE_COLUMNS
from importer.web.store import Store
from importer.web.worker import Worker
from tests.support.helpers import EXAMPLES, invoke, sheet, site_snapshot
from tests.test_web import csrf_of, finished, login
from tests.test_web import web as web  # the fixture

COLUMNS = EXAMPLES / "columns"
USMT = COLUMNS / "usmt-behaviour.csv"


def run(tmp_path: Path, site: Path, path: Path, *options: str) -> tuple[int, str, dict[str, Any] | None]:
    """`cmassoc run` on the demo site: exit status, console, and the JSON report if written."""
    out = tmp_path / "r.json"
    result = invoke("run", path, "--demo", site, *options, "--json", out, "--report", tmp_path / "r.xlsx")
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return result.exit_code, result.output, report


def associations(site: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = site_snapshot(site)["associations"]  # type: ignore[assignment]
    return found


def error_code(output: str) -> str:
    found: list[str] = re.findall(r"^cmassoc: error: (CMA\d{3}) ", output, re.M)
    assert len(found) == 1, output  # one line
    return found[0]


# A column of behaviours that is not read ---------------------------------------------------------


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_a_usmt_behaviour_column_stops_the_run_before_anything_is_sent(
    tmp_path: Path, site_path: Path, dry_run: list[str]
) -> None:
    before = site_snapshot(site_path)
    status, output, report = run(tmp_path, site_path, USMT, *dry_run)
    assert (status, error_code(output), report) == (2, "CMA305", None)
    assert "'usmt-behaviour.csv' column D 'USMT behaviour'" in output
    assert '--map Behavior="USMT behaviour"' in output and '--ignore-column "USMT behaviour"' in output
    assert site_snapshot(site_path) == before
    assert not (tmp_path / "r.xlsx").exists()


def test_validate_stops_on_it_too(tmp_path: Path) -> None:
    result = invoke("validate", USMT, "--report", tmp_path / "v.xlsx")
    assert (result.exit_code, error_code(result.output)) == (2, "CMA305")
    with pytest.raises(UnreadColumnsError) as stop:
        read_wave(USMT)
    assert stop.value.code is messages.UNREAD_BEHAVIOR_COLUMN
    assert stop.value.columns == [("USMT behaviour", "Behavior")]


def test_map_reads_it_and_behaviour_1_reaches_the_site(tmp_path: Path, site_path: Path) -> None:
    status, _, report = run(tmp_path, site_path, USMT, "--map", "Behavior=USMT behaviour")
    assert report is not None and status == 0
    assert [(r["status"], r["behavior"]) for r in report["rows"]] == [("created", 1)] * 3
    made = {a["source_name"]: (a["restore_name"], a["behavior"], a["users"]) for a in associations(site_path)}
    assert made["CON-PC0003"] == ("CON-NB0003", 1, ["CONTOSO\\bob.m"])
    assert made["CON-PC0004"] == ("CON-NB0004", 1, ["CONTOSO\\dan.r"])
    assert made["CON-PC0005"] == ("CON-NB0005", 1, ["CONTOSO\\eve.s"])


def test_ignore_column_lets_it_run_with_the_default_and_says_so(tmp_path: Path, site_path: Path) -> None:
    status, output, report = run(tmp_path, site_path, USMT, "--ignore-column", "usmt BEHAVIOUR")
    assert report is not None and status == 0
    assert [(r["status"], r["behavior"]) for r in report["rows"]] == [("created", 2)] * 3
    assert report["rows"][0]["values"]["USMT behaviour"] == "1"  # carried as typed
    notice = (
        "2 columns not read, carried into the report as they are: 'usmt-behaviour.csv' column D "
        "'USMT behaviour' (--ignore-column), 'usmt-behaviour.csv' column E 'Ticket'"
    )
    assert notice in report["summary"]["notes"]
    assert f"cmassoc: CMA308 {notice}" in output


def test_an_ignore_column_naming_no_column_is_one_clear_error(tmp_path: Path, site_path: Path) -> None:
    before = site_snapshot(site_path)
    status, output, report = run(tmp_path, site_path, USMT, "--ignore-column", "USMT behavior")
    assert (status, error_code(output), report) == (2, "CMA309", None)
    assert "--ignore-column 'USMT behavior': no pairs sheet has such a column" in output
    assert site_snapshot(site_path) == before
    empty = invoke("validate", USMT, "--ignore-column", " ", "--report", tmp_path / "v.xlsx")
    assert empty.exit_code == 2 and "--ignore-column" in empty.output


def test_several_columns_stop_in_one_message(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "Source,Destination,USMT behaviour,Who\nCON-PC0003,CON-NB0003,1,CONTOSO\\a\n",
    )
    result = invoke("validate", path, "--report", tmp_path / "v.xlsx")
    assert (result.exit_code, error_code(result.output)) == (2, "CMA305")
    assert "column C 'USMT behaviour'" in result.output and "column D 'Who'" in result.output
    assert invoke("validate", path, "--map", "Behavior=USMT behaviour", "--map", "Users=Who").exit_code == 0


# Migration type is the site's, not the behaviour -----------------------------------------------


def test_a_migration_type_column_of_1_and_2_is_refused_with_both_meanings(
    tmp_path: Path, site_path: Path
) -> None:
    path = COLUMNS / "migration-type.csv"
    status, output, report = run(tmp_path, site_path, path)
    assert (status, error_code(output), report) == (2, "CMA307", None)
    assert "MigrationType is how the site stored the user state (1 side-by-side, 2 in-place)" in output
    assert "the migration behaviour is 0 capture and restore all user accounts, 1 capture all" in output
    status, _, report = run(tmp_path, site_path, path, "--map", "Behavior=Migration type", "--dry-run")
    assert report is not None and status == 0
    assert [r["behavior"] for r in report["rows"]] == [1, 2]
    status, _, report = run(tmp_path, site_path, path, "--ignore-column", "Migration type", "--dry-run")
    assert report is not None and status == 0
    assert [r["behavior"] for r in report["rows"]] == [2, 2]


def test_a_migration_type_column_beside_a_behaviour_column_is_carried(tmp_path: Path) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior,Migration type\nCON-PC0003,CON-NB0003,0,1\n")
    wave = read_wave(path)
    assert [n for n in wave.notes if getattr(n, "code", None) is messages.UNREAD_COLUMNS] == []


# Accounts in a column that is not read ------------------------------------------------------------


def test_a_column_of_domain_users_under_who_stops(tmp_path: Path, site_path: Path) -> None:
    path = COLUMNS / "who.csv"
    status, output, report = run(tmp_path, site_path, path)
    assert (status, error_code(output), report) == (2, "CMA306", None)
    assert "'who.csv' column D 'Who' holds 'CONTOSO\\bob.m' and 'CONTOSO\\dan.r'" in output
    status, _, report = run(tmp_path, site_path, path, "--map", "Users=Who")
    assert report is not None and status == 0
    assert [r["users"] for r in report["rows"]] == [["CONTOSO\\bob.m"], ["CONTOSO\\dan.r"]]


@pytest.mark.parametrize(
    ("header", "cells", "code"),
    [
        ("Owner", ["ann@contoso.com", "ben@contoso.com"], None),  # e-mail beside a Users column
        ("Floor", ["1", "2"], None),  # numbers beside a Behavior column
        ("Extra users", ["x", ""], None),  # a users-like header beside a Users column
        ("Secondary", ["CONTOSO\\x; CONTOSO\\y", ""], "CMA306"),  # accounts are accounts
        ("Profile option", ["Capture and restore all user accounts", ""], "CMA305"),  # words are words
        ("Behaviour note", ["", ""], None),  # nothing in it: nothing ignored
    ],
)
def test_what_stops_beside_read_users_and_behaviour_columns(
    tmp_path: Path, header: str, cells: list[str], code: str | None
) -> None:
    lines = [f"Source,Destination,Behavior,Users,{header}"]
    lines += [f"CON-PC000{i + 3},CON-NB000{i + 3},2,CONTOSO\\u{i},{c}" for i, c in enumerate(cells)]
    path = sheet(tmp_path, "\n".join(lines) + "\n")
    result = invoke("validate", path, "--report", tmp_path / "v.xlsx")
    assert result.exit_code == (0 if code is None else 2), result.output
    if code is not None:
        assert error_code(result.output) == code


@pytest.mark.parametrize(
    ("header", "cells", "code"),
    [
        ("Floor", ["1", "2"], "CMA305"),  # no behaviour column: every row would take the default
        ("Owner", ["ann@contoso.com", "ben@contoso.com"], "CMA306"),  # no users column
        ("Last logon user", ["ann", "ben"], "CMA306"),
        ("Ticket", ["INC-1", "INC-2"], None),
    ],
)
def test_what_stops_when_the_sheet_reads_no_behaviour_and_no_users(
    tmp_path: Path, header: str, cells: list[str], code: str | None
) -> None:
    lines = [f"Source,Destination,{header}"]
    lines += [f"CON-PC000{i + 3},CON-NB000{i + 3},{c}" for i, c in enumerate(cells)]
    path = sheet(tmp_path, "\n".join(lines) + "\n")
    result = invoke("validate", path, "--behavior", "0", "--report", tmp_path / "v.xlsx")
    assert result.exit_code == (0 if code is None else 2), result.output
    if code is not None:
        assert error_code(result.output) == code


def test_a_status_names_such_a_column_instead_of_stopping(tmp_path: Path, site_path: Path) -> None:
    out = tmp_path / "s.json"
    result = invoke("status", USMT, "--demo", site_path, "--json", out, "--report", tmp_path / "s.xlsx")
    assert result.exit_code == 0, result.output
    notes = json.loads(out.read_text(encoding="utf-8"))["summary"]["notes"]
    assert "'usmt-behaviour.csv' column D 'USMT behaviour'" in notes[-1]


# Sheets a tool wrote run as they are ---------------------------------------------------------------


def test_a_cmdlet_export_runs_and_only_the_teams_columns_are_named(tmp_path: Path, site_path: Path) -> None:
    status, _, report = run(tmp_path, site_path, EXAMPLES / "cmdlet-export.csv", "--dry-run")
    assert report is not None and status == 3  # its last row is a behaviour-2 pair without users
    assert [r["status"] for r in report["rows"]] == ["exists", "exists", "planned", "invalid"]
    assert report["summary"]["notes"][-1] == (
        "2 columns not read, carried into the report as they are: 'cmdlet-export.csv' column V "
        "'Expected', 'cmdlet-export.csv' column W 'Why'"
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_cmassoc_export_with_a_teams_column_runs(tmp_path: Path, site_path: Path, suffix: str) -> None:
    out = tmp_path / f"export{suffix}"
    assert invoke("export", out, "--demo", site_path).exit_code == 0
    if suffix == ".csv":  # the team adds its own column
        lines = out.read_text(encoding="utf-8-sig").splitlines()
        out.write_text("\n".join([f"{lines[0]},Ticket", *(f"{ln},T-1" for ln in lines[1:])]) + "\n")
    status, _, report = run(tmp_path, site_path, out)
    assert report is not None and status == 0
    assert {r["status"] for r in report["rows"]} == {"exists"}
    named = [n for n in report["summary"]["notes"] if "not read" in n]
    ticket = "1 column not read, carried into the report as it is: 'export.csv' column J 'Ticket'"
    assert named == ([ticket] if suffix == ".csv" else [])


def test_every_export_and_report_column_is_read_or_known() -> None:
    ours = [*EXPORT_HEADERS, *FIRST_COLUMNS, *DETAIL_COLUMNS, *STORE_COLUMNS, "Users on the site"]
    unknown = [h for h in ours if aliases.field_for(h) is None and not aliases.is_known_column(h)]
    assert unknown == ["Migration type"]  # beside the status report's Behaviour column: carried
    assert aliases.squash(unknown[0]) == aliases.MIGRATION_TYPE


# Behaviours as people write them ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("1", 1),
        ("2", 2),
        ("0 - All users", 0),
        ("1 - Capture all user accounts and restore specified accounts", 1),
        ("2 (capture and restore specified user accounts)", 2),
        ("Capture and restore all user accounts", 0),  # the console's labels
        ("Capture all user accounts and restore specified accounts", 1),
        ("Capture and restore specified user accounts", 2),
        ("CaptureAndRestoreAllUserAccounts", 0),  # the cmdlets' names
        ("CaptureAllUserAccountsAndRestoreSpecifiedAccounts", 1),
        ("CaptureAndRestoreSpecifiedUserAccounts", 2),
        ("CAPTUREANDRESTOREALL", 0),  # the WMI names
        ("CAPTUREALLRESTORESPECIFIED", 1),
        ("CAPTUREANDRESTORESPECIFIED", 2),
        ("all users", 0),
        ("All user accounts", 0),
        ("specified users", 2),  # the console's default
        ("Specified user accounts", 2),
    ],
)
def test_each_behaviour_spelling_reads_as_its_number(text: str, expected: int) -> None:
    parsed = parse_behavior(text, "Behaviour")
    assert (parsed.value, parsed.messages) == (Behavior(expected), [])


@pytest.mark.parametrize(
    ("text", "code", "choices"),
    [
        ("all", "CMA301", ["0 (capture and restore all", "1 (capture all user accounts and restore"]),
        ("Capture all", "CMA301", ["0 (capture and restore all", "1 (capture all user accounts and restore"]),
        (
            "specified",
            "CMA301",
            ["1 (capture all user accounts and restore", "2 (capture and restore specified"],
        ),
        ("restore specified", "CMA301", ["1 (capture all", "2 (capture and restore specified"]),
        ("1 - all users", "CMA302", ["1 (capture all", "0 (capture and restore all"]),
        ("0 - specified users", "CMA302", ["0 (capture and restore all", "2 (capture and restore specified"]),
        ("3", "CMA300", ["use 0", "1 (capture all, restore specified)", "2 (capture and restore specified)"]),
        ("-1", "CMA300", ["use 0"]),
    ],
)
def test_an_ambiguous_or_wrong_behaviour_is_refused_with_the_choices(
    text: str, code: str, choices: list[str]
) -> None:
    parsed = parse_behavior(text, "Behaviour")
    [message] = parsed.messages
    assert (parsed.value, message.code.code if message.code else None, message.column) == (
        None,
        code,
        "Behaviour",
    )
    assert all(choice in message.text for choice in choices), message.text


def test_the_behavior_option_refuses_an_ambiguous_default() -> None:
    result = invoke("validate", COLUMNS / "who.csv", "--behavior", "all")
    assert result.exit_code == 2 and "could mean 0" in result.output


# The notice of other columns: console, JSON, Excel -------------------------------------------------


def test_the_notice_of_other_columns_is_on_the_console_in_the_json_and_the_excel_report(
    tmp_path: Path,
) -> None:
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Users,Ticket,Desk,Empty\nCON-PC0003,CON-NB0003,0,,INC-1,4.17,\n",
    )
    out, xlsx = tmp_path / "v.json", tmp_path / "v.xlsx"
    result = invoke("validate", path, "--json", out, "--report", xlsx)
    assert result.exit_code == 0, result.output
    notice = (
        "2 columns not read, carried into the report as they are: 'wave.csv' column E 'Ticket', "
        "'wave.csv' column F 'Desk'"
    )  # the empty column holds nothing to ignore
    assert f"cmassoc: CMA308 {notice}" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["notes"][-1] == notice
    book = openpyxl.load_workbook(xlsx, read_only=True)
    cells = [c for row in book["Summary"].iter_rows(values_only=True) for c in row if c]
    assert f"CMA308 {notice}" in cells  # a short note stands on the Summary, with its code as on the console
    results = list(book["Results"].iter_rows(values_only=True))
    assert results[1][results[0].index("Ticket")] == "INC-1"  # carried as today
    [note] = [n for n in read_wave(path).notes if getattr(n, "code", None) is messages.UNREAD_COLUMNS]
    assert note == notice


# The web upload page offers the same two ways on --------------------------------------------------


def test_the_upload_page_offers_both_ways_on_and_checks_again(
    web: tuple[TestClient, Store, Worker],
) -> None:
    client, store, _ = web
    csrf = login(client, "pia")
    answer = client.post(
        "/upload",
        data={"csrf": csrf, "behavior": "2"},
        files={"sheet": (USMT.name, USMT.read_bytes(), "text/csv")},
    )
    assert answer.status_code == 400
    page = answer.text
    assert "CMA305 &#39;usmt-behaviour.csv&#39; column D &#39;USMT behaviour&#39;" in page
    assert 'name="add_map" value="Behavior=USMT behaviour"' in page
    assert 'name="add_ignore" value="USMT behaviour"' in page
    pending = re.search(r'name="pending" value="([0-9a-f]{32})"', page)
    assert pending is not None
    wave_id = pending.group(1)
    again = client.post(
        "/upload",
        data={
            "csrf": csrf_of(page),
            "pending": wave_id,
            "add_map": "Behavior=USMT behaviour",
            "map": "",
            "ignore": "",
        },
    )
    assert again.status_code == 200 and str(again.url).endswith(f"/waves/{wave_id}")
    assert "3 rows: 3 valid" in again.text
    wave = store.wave(wave_id)
    assert wave is not None and json.loads(wave.options)["mapping"] == {"behavior": "USMT behaviour"}
    # the dry run reads the wave the same way: behaviour 1
    job = client.post(f"/waves/{wave_id}/dry-run", data={"csrf": csrf})
    assert "Done" in finished(client, str(job.url))
    [dry] = [a for a in store.actions(wave_id) if a.kind == "dry run"]
    rows = client.get(f"/waves/{wave_id}/reports/{dry.id}.json").json()["rows"]
    assert [(r["status"], r["behavior"]) for r in rows] == [("planned", 1)] * 3
    # the other way: a new upload, left out
    answer = client.post(
        "/upload",
        data={"csrf": csrf, "behavior": "2", "ignore": "USMT behaviour"},
        files={"sheet": (USMT.name, USMT.read_bytes(), "text/csv")},
    )
    assert answer.status_code == 200 and "3 rows: 3 valid" in answer.text
    # a wave that was read is not checked again this way
    refused = client.post("/upload", data={"csrf": csrf, "pending": wave_id, "add_ignore": "Ticket"})
    assert refused.status_code == 409
    bad = client.post("/upload", data={"csrf": csrf, "pending": "0" * 32, "add_ignore": "Ticket"})
    assert bad.status_code == 404
    wrong = client.post(
        "/upload",
        data={"csrf": csrf, "behavior": "2", "map": "Behaviour USMT behaviour"},
        files={"sheet": (USMT.name, USMT.read_bytes(), "text/csv")},
    )
    assert wrong.status_code == 400 and "write FIELD=Header" in wrong.text
