"""New hardware in the same sheet: import computers the site does not know, add them to
collections, take users from the site, and undo all of it, on the demo site and over WinRM."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from importer.check.values import parse_mac, parse_smbios_guid
from importer.read.wave import read_wave
from importer.site.demo.provider import DemoSite
from importer.site.demo.samples import create_sample_site
from importer.site.provider import CallResult, MethodCall
from tests.support.flaky import FlakyProvider
from tests.support.helpers import NO_WAIT, SAMPLES, invoke, run_on, run_remote, sheet
from tests.support.wsman_endpoint import Endpoint

WAVE = SAMPLES / "wave-04-new-hardware.xlsx"
WIZARD = SAMPLES / "import-wizard.csv"


def rows_of(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return rows


def query(site: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(site) as db:
        return db.execute(sql, args).fetchall()


def computer(site: Path, name: str) -> list[tuple[Any, ...]]:
    return query(site, "SELECT ResourceID, MAC, SMBIOSGUID, Client FROM computers WHERE Name = ?", name)


def rules(site: Path) -> list[tuple[Any, ...]]:
    """The direct rules of every computer but the sample's old ones (their own memberships)."""
    return query(
        site,
        "SELECT CollectionID, ResourceID FROM collection_rules WHERE ResourceID IN "
        "(SELECT ResourceID FROM computers WHERE Name NOT LIKE 'CON-PC%') ORDER BY ResourceID",
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("00-1a-2b-3c-4d-5e", "00:1A:2B:3C:4D:5E"),
        ("001A2B3C4D5E", "00:1A:2B:3C:4D:5E"),
        ("001a.2b3c.4d5e", "00:1A:2B:3C:4D:5E"),
        ("00:1a:2b:3c:4d:5e", "00:1A:2B:3C:4D:5E"),
        ("00:00:00:00:00:00", None),
        ("FF-FF-FF-FF-FF-FF", None),
        ("01:00:5E:00:00:FB", None),
        ("00:1A:2B:3C:4D", None),
    ],
)
def test_mac_addresses_in_any_common_form(text: str, value: str | None) -> None:
    assert parse_mac(text, "MAC").value == value


@pytest.mark.parametrize(
    "text",
    [
        "{4c4c4544-0042-3510-8052-b8c04f4c4b32}",
        "4C4C4544-0042-3510-8052-B8C04F4C4B32",
        "4c4c454400423510 8052b8c04f4c4b32",
    ],
)
def test_smbios_guids_with_or_without_braces(text: str) -> None:
    parsed = parse_smbios_guid(text, "GUID")
    if " " in text:
        assert parsed.value is None
    else:
        assert parsed.value == "4C4C4544-0042-3510-8052-B8C04F4C4B32"


def test_the_console_wizard_file_with_and_without_its_header(tmp_path: Path) -> None:
    bare = read_wave(WIZARD)
    assert [r.values["Name"] for r in bare.rows] == ["CON-NB0111", "CON-NB0112", "CON-NB0113"]
    assert [r.row for r in bare.rows] == [1, 2, 3]
    assert bare.notes == [
        "'import-wizard.csv' read as UTF-8, columns separated by commas",
        "'import-wizard.csv' has no header row: read as the console's Import Computer Information file "
        "(Name = the new computer, SMBIOS GUID, MAC Address, Source Computer)",
    ]
    headed = sheet(
        tmp_path,
        "Name,SMBIOS GUID,MAC Address,Source Computer\nCON-NB0111,,00:1A:2B:3C:00:6F,CON-PC0016\n",
        "headed.csv",
    )
    out = tmp_path / "v.json"
    result = invoke("validate", headed, "--behavior", "0", "--json", out, "--report", tmp_path / "v.xlsx")
    assert result.exit_code == 0, result.output
    [row] = rows_of(out)
    assert (row["source"], row["destination"], row["mac"]) == (
        "CON-PC0016",
        "CON-NB0111",
        "00:1A:2B:3C:00:6F",
    )


def test_primary_users_column_of_a_device_export_is_read_as_users(tmp_path: Path) -> None:
    path = sheet(
        tmp_path, "Source,Destination,Behavior,Primary User(s)\nCON-PC0003,CON-NB0003,2,CONTOSO\\ann\n"
    )
    out = tmp_path / "v.json"
    assert invoke("validate", path, "--json", out, "--report", tmp_path / "v.xlsx").exit_code == 0
    assert rows_of(out)[0]["users"] == ["CONTOSO\\ann"]


def test_one_mac_or_guid_on_two_new_computers_invalidates_both(tmp_path: Path) -> None:
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,MAC,GUID\n"
        "CON-PC0003,NEW01,0,00:1A:2B:3C:00:01,\n"
        "CON-PC0004,NEW02,0,00-1a-2b-3c-00-01,\n"
        "CON-PC0005,NEW03,0,,4C4C4544-0042-3510-8052-000000000001\n"
        "CON-PC0006,NEW04,0,,{4c4c4544-0042-3510-8052-000000000001}\n"
        "CON-PC0007,NEW05,0,00:1A:2B:3C:00:05,\n",
    )
    out = tmp_path / "v.json"
    assert invoke("validate", path, "--json", out, "--report", tmp_path / "v.xlsx").exit_code == 3
    rows = rows_of(out)
    assert [r["status"] for r in rows] == ["invalid"] * 4 + ["valid"]
    assert "given for several new computers (NEW01, NEW02)" in rows[0]["messages"][-1]["text"]


def test_an_unknown_destination_without_mac_or_guid_says_to_add_one(tmp_path: Path, site_path: Path) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,NEW99,0\n")
    result = run_on(path, FlakyProvider(DemoSite(site_path)))
    [row] = result.rows
    assert row.status is not None and row.status.value == "unresolved"
    assert "add its MAC address or SMBIOS GUID" in row.messages[-1].text


def test_the_sample_wave_imports_associates_and_joins_then_undo_takes_it_back(
    tmp_path: Path, site_path: Path
) -> None:
    before_computers = query(site_path, "SELECT COUNT(*) FROM computers")
    dry = tmp_path / "dry.json"
    result = invoke(
        "run",
        WAVE,
        "--demo",
        site_path,
        "--users-from",
        "primary",
        "--dry-run",
        "--json",
        dry,
        "--report",
        tmp_path / "dry.xlsx",
    )
    assert result.exit_code == 3, result.output
    assert [r["new_computer"] for r in rows_of(dry)[:4]] == ["to import"] * 4
    assert computer(site_path, "CON-NB0101") == []  # a dry run imports nothing
    out = tmp_path / "run.json"
    result = invoke(
        "run",
        WAVE,
        "--demo",
        site_path,
        "--users-from",
        "primary",
        "--json",
        out,
        "--report",
        tmp_path / "run.xlsx",
    )
    assert result.exit_code == 3, result.output
    rows = rows_of(out)
    assert [r["status"] for r in rows] == ["created"] * 4 + ["conflict", "unresolved"]
    assert [r["new_computer"] for r in rows] == ["imported by this run"] * 4 + ["not imported", None]
    assert [r["users_from"] for r in rows[:4]] == ["primary user"] * 4
    assert rows[3]["users"] == ["CONTOSO\\zack.i", "CONTOSO\\amy.j"]
    assert "already belongs to CON-NB0040" in rows[4]["messages"][-1]["text"]
    [(rid, mac, guid, client)] = computer(site_path, "CON-NB0101")
    assert (rid, mac, client) == (rows[0]["restore_resource_id"], "00:1A:2B:3C:00:65", 0)
    assert guid == "4C4C4544-0042-3510-8052-000000000065"
    assert rules(site_path) == [("DEM00010", r["restore_resource_id"]) for r in rows[:4]]
    assert all(r["collections"] == ["DEM00010 (Windows 11 Deployment): added"] for r in rows[:4])
    keys = query(site_path, "SELECT SourceClientResourceID, RestoreClientResourceID FROM associations")
    assert all((r["source_resource_id"], r["restore_resource_id"]) in keys for r in rows[:4])

    undone = invoke(
        "undo", out, "--demo", site_path, "--json", tmp_path / "u.json", "--report", tmp_path / "u.xlsx"
    )
    assert undone.exit_code == 0, undone.output
    assert rules(site_path) == []
    assert computer(site_path, "CON-NB0101") == []
    assert query(site_path, "SELECT COUNT(*) FROM computers") == before_computers


def test_keep_imported_and_rules_that_were_there_before(tmp_path: Path, site_path: Path) -> None:
    with sqlite3.connect(site_path) as db:  # CON-NB0003 was put in the collection by hand before
        [(nb3,)] = db.execute("SELECT ResourceID FROM computers WHERE Name = 'CON-NB0003'").fetchall()
        db.execute("INSERT INTO collection_rules VALUES ('DEM00010', ?, 'by hand')", (nb3,))
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,MAC,Collection\n"
        "CON-PC0003,CON-NB0003,0,,DEM00010\n"
        "CON-PC0004,NEWPC04,0,00:1A:2B:00:00:04,Windows 11 Deployment\n",
    )
    out = tmp_path / "r.json"
    assert (
        invoke("run", path, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx").exit_code
        == 0
    )
    rows = rows_of(out)
    assert rows[0]["collections"] == ["DEM00010 (Windows 11 Deployment): already a member"]
    assert rows[0]["new_computer"] is None
    new_id = rows[1]["restore_resource_id"]
    undone = invoke("undo", out, "--demo", site_path, "--keep-imported", "--report", tmp_path / "u.xlsx")
    assert undone.exit_code == 0, undone.output
    assert rules(site_path) == [("DEM00010", nb3)]  # the hand-made rule stays; ours is gone
    assert computer(site_path, "NEWPC04")[0][0] == new_id  # kept


@pytest.mark.parametrize(
    ("collection", "fragment"),
    [
        ("Migration Users", "is a user collection"),
        ("SMS00001", "is a built-in collection"),
        ("No Such Collection", "is not on the site"),
    ],
)
def test_collections_that_cannot_take_a_computer_are_refused(
    tmp_path: Path, site_path: Path, collection: str, fragment: str
) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\n")
    out = tmp_path / "r.json"
    result = invoke(
        "run",
        path,
        "--demo",
        site_path,
        "--collection",
        collection,
        "--json",
        out,
        "--report",
        tmp_path / "r.xlsx",
    )
    assert result.exit_code == 3, result.output
    [row] = rows_of(out)
    assert row["status"] == "conflict" and fragment in row["messages"][-1]["text"]
    assert query(site_path, "SELECT COUNT(*) FROM associations") == [(4,)]  # nothing done for the row


def test_overwrite_existing_record_is_printed_recorded_and_takes_over(
    tmp_path: Path, site_path: Path
) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior,MAC\nCON-PC0028,CON-NB0105,0,00:15:5D:00:00:50\n")
    out = tmp_path / "r.json"
    result = invoke(
        "run",
        path,
        "--demo",
        site_path,
        "--overwrite-existing-record",
        "--json",
        out,
        "--report",
        tmp_path / "r.xlsx",
    )
    assert result.exit_code == 0, result.output
    assert "--overwrite-existing-record" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"]["overwrite_existing_record"] is True
    [row] = data["rows"]
    assert "taking over the record of CON-NB0040" in " ".join(m["text"] for m in row["messages"])
    assert computer(site_path, "CON-NB0040") == []  # that record now bears the new name
    assert computer(site_path, "CON-NB0105")[0][1] == "00:15:5D:00:00:50"


@pytest.mark.parametrize(
    ("how", "users"), [("primary", ["CONTOSO\\yara.h"]), ("last-logon", ["CONTOSO\\dina.m"])]
)
def test_users_from_the_site(tmp_path: Path, site_path: Path, how: str, users: list[str]) -> None:
    source = "CON-PC0026" if how == "primary" else "CON-PC0028"
    path = sheet(
        tmp_path, f"Source,Destination,Behavior,Users\n{source},CON-NB0003,2,\nCON-PC0005,CON-NB0005,2,\n"
    )
    out = tmp_path / "r.json"
    result = invoke(
        "run", path, "--demo", site_path, "--users-from", how, "--json", out, "--report", tmp_path / "r.xlsx"
    )
    assert result.exit_code == 3, result.output
    rows = rows_of(out)
    assert (rows[0]["status"], rows[0]["users"]) == ("created", users)
    assert rows[0]["users_from"] == ("primary user" if how == "primary" else "last logon")
    assert rows[1]["status"] == "invalid"  # the site knows no users of CON-PC0005: still invalid
    plain = invoke("validate", path, "--json", tmp_path / "v.json", "--report", tmp_path / "v.xlsx")
    assert plain.exit_code == 3  # without --users-from, both rows need users in the sheet


class StopsAfterImports(FlakyProvider):
    """The provider goes away for good right after the first import batch has landed."""

    imports = 0

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        if calls and calls[0].method == "ImportMachineEntry":
            StopsAfterImports.imports += len(calls)
            return self.inner.call(calls)
        if calls and calls[0].method == "AddAssociationEx" and self.faults:
            self.faults.insert(0, "always")
        return super().call(calls)


def test_a_stop_between_import_and_association_resumes_without_importing_twice(
    tmp_path: Path, site_path: Path, journal_path: Path
) -> None:
    from importer.journal.listener import resume_or_start
    from importer.journal.storage import Journal
    from importer.pipeline import run_wave
    from importer.results import RunOptions
    from importer.site.demo.provider import DemoSite
    from importer.site.gateway import build_site
    from importer.site.retry import RetryPolicy

    path = sheet(tmp_path, "Source,Destination,Behavior,MAC\nCON-PC0003,NEWPC03,0,00:1A:2B:00:00:03\n")
    wave = read_wave(path)
    options = RunOptions(retry=RetryPolicy(attempts=2, wait_first=0, wait_max=0))
    journal = Journal(journal_path)
    site = DemoSite(site_path)
    flaky = StopsAfterImports(site, faults=["always"])
    first = run_wave(
        wave, build_site(flaky, options), options, resume_or_start(journal, wave, site.info, options)
    )
    assert first.stopped_by is not None and StopsAfterImports.imports == 1
    [(new_id, _mac, _guid, _client)] = computer(site_path, "NEWPC03")
    with sqlite3.connect(site_path) as db:  # as if the imported record could not be queried yet
        db.execute("UPDATE computers SET Name = 'NOT-YET' WHERE ResourceID = ?", (new_id,))
    second = run_wave(
        wave,
        build_site(FlakyProvider(site), options),
        options,
        resume_or_start(journal, wave, site.info, options),
    )
    journal.close()
    site.close()
    [row] = second.rows
    assert StopsAfterImports.imports == 1  # not imported twice
    assert (row.status.value if row.status else None, row.restore_resource_id) == ("created", new_id), (
        row.messages
    )
    assert row.hardware is not None and row.hardware.value == "imported by this run"


def test_new_hardware_over_winrm_matches_the_demo_site(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    local = tmp_path / "local.db"
    create_sample_site(local)
    out = tmp_path / "local.json"
    expected = invoke(
        "run",
        WAVE,
        "--demo",
        local,
        "--users-from",
        "primary",
        "--json",
        out,
        "--report",
        tmp_path / "l.xlsx",
    )
    result, rows = run_remote(endpoint, WAVE, tmp_path, "--users-from", "primary")
    assert result.exit_code == expected.exit_code == 3, result.output

    def comparable(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (r["row"], r["status"], r["new_computer"], r["users"], r["collections"], r["restore_resource_id"])
            for r in items
        ]

    assert comparable(rows) == comparable(rows_of(out))
    assert rules(site_path) == rules(local)
    calls = [op for batch in endpoint.received for op in batch["ops"] if op["op"] == "call"]
    imports = [c for c in calls if c["method"] == "ImportMachineEntry"]
    joins = [c for c in calls if c["method"] == "AddMembershipRules"]
    # the sheet's MACs, whatever their form there, go in colon form; a GUID without its braces
    assert [
        (c["params"]["NetbiosName"], c["params"]["MACAddress"], c["params"]["SMBIOSGUID"]) for c in imports
    ] == [
        ("CON-NB0101", "00:1A:2B:3C:00:65", "4C4C4544-0042-3510-8052-000000000065"),
        ("CON-NB0102", "00:1A:2B:3C:00:66", "4C4C4544-0042-3510-8052-000000000066"),
        ("CON-NB0103", "00:1A:2B:3C:00:67", "4C4C4544-0042-3510-8052-000000000067"),
        ("CON-NB0104", "", "4C4C4544-0042-3510-8052-000000000068"),
    ]
    assert joins == [
        {
            "op": "call",
            "class": "SMS_Collection",
            "method": "AddMembershipRules",
            "params": {"collectionRules": joins[0]["params"]["collectionRules"]},
            "instance": {"CollectionID": "DEM00010"},
        }
    ]
    assert [r["__class"] for r in joins[0]["params"]["collectionRules"]] == ["SMS_CollectionRuleDirect"] * 4
    undone = invoke(
        "undo",
        tmp_path / "remote.json",
        *[str(a) for a in _remote(endpoint)],
        "--report",
        tmp_path / "u.xlsx",
    )
    assert undone.exit_code == 0, undone.output
    assert rules(site_path) == [] and computer(site_path, "CON-NB0101") == []


def _remote(endpoint: Endpoint) -> list[str | Path]:
    from tests.support.helpers import remote_args

    return remote_args(endpoint)


def test_a_resumed_run_keeps_the_collections_it_joined_before_it_stopped_so_undo_removes_them(
    tmp_path: Path, site_path: Path, journal_path: Path
) -> None:
    from importer.after.undo import UndoOptions, undo_run
    from importer.journal.listener import resume_or_start
    from importer.journal.storage import Journal
    from importer.pipeline import run_wave
    from importer.results import RunOptions
    from importer.site.gateway import build_site

    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Collection\nCON-PC0003,CON-NB0003,0,DEM00010\n"
        "CON-PC0004,CON-NB0004,0,DEM00010\n",
    )
    wave = read_wave(path)
    options = RunOptions(batch_size=1, retry=NO_WAIT)
    journal = Journal(journal_path)
    site = DemoSite(site_path)
    # batch 1 is associated and joined; batch 2's association never gets through
    first = run_wave(
        wave,
        build_site(FlakyProvider(site, faults=[None, None, "always"]), options),
        options,
        resume_or_start(journal, wave, site.info, options),
    )
    assert first.stopped_by is not None and len(rules(site_path)) == 1
    second = run_wave(
        wave, build_site(site, options), options, resume_or_start(journal, wave, site.info, options)
    )
    assert [r.status.value if r.status else None for r in second.rows] == ["created", "created"]
    assert len(rules(site_path)) == 2
    assert second.run_id is not None
    undone = undo_run(journal, journal.run(second.run_id), build_site(site, options), UndoOptions(options))
    journal.close()
    site.close()
    assert undone.stopped_by is None
    assert rules(site_path) == []  # both rules, the one joined before the stop too
