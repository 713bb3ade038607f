"""--copy-collections (issue 29.2): each new computer gets the old one's direct rules, except in
built-in collections, skipped ones and those a task sequence is deployed to; a collection whose
limiting collection lacks the new computer is reported, not copied; every rule added is journaled
and undone, and a re-run adds none. The same on the demo site, over WinRM and the AdminService,
with every query within WMI's limits."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from importer import messages
from importer.config import load_config
from importer.environment import Environment
from importer.errors import InputError
from importer.site.demo.provider import DemoSite
from importer.site.demo.samples import create_sample_site
from importer.site.provider import QUERY_LIMITS, over_limits, wql
from importer.site.winrm import wire
from tests.support.helpers import (
    PASSWORD,
    SAMPLES,
    USERNAME,
    association_keys,
    ids_by_name,
    invoke,
    run_remote,
    site_snapshot,
)
from tests.support.wsman_endpoint import Endpoint

WAVE_01 = SAMPLES / "wave-01.xlsx"
SAMPLE_RULES = 14  # the old computers' own direct rules in the sample site


def run_json(tmp_path: Path, path: Path, site_path: Path, *extra: str) -> tuple[Result, dict[str, Any]]:
    out = tmp_path / "r.json"
    out.unlink(missing_ok=True)
    done = invoke("run", path, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx", *extra)
    return done, json.loads(out.read_text(encoding="utf-8"))


def rules_of(site_path: Path, prefix: str = "CON-NB") -> dict[str, list[str]]:
    """Per computer whose name starts so: the collections it holds a direct rule in."""
    with sqlite3.connect(site_path) as db:
        found = db.execute(
            "SELECT c.Name, r.CollectionID FROM collection_rules r JOIN computers c ON c.ResourceID = r.ResourceID "
            "WHERE c.Name LIKE ? ORDER BY c.Name, r.CollectionID",
            (prefix + "%",),
        ).fetchall()
    out: dict[str, list[str]] = {}
    for name, cid in found:
        out.setdefault(name, []).append(cid)
    return out


def all_rules(site_path: Path) -> int:
    with sqlite3.connect(site_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM collection_rules").fetchone()[0])


# Wave 01 on the sample site: what each created pair's new computer gets, with Legacy VPN Client
# skipped. CON-PC0003 and 0006 are in Finance Apps, limited to All Workstations (old computers
# only): not copied. CON-PC0004 is in a built-in collection and, like 0005, in the task sequence's.
COPIED = {"CON-NB0003": ["DEM00015"], "CON-NB0004": ["DEM00015"], "CON-NB0006": ["DEM00015"]}
COPIED["CON-NB0008"] = ["DEM00015"]


def test_new_computers_get_the_old_ones_direct_rules_and_undo_takes_them_back(
    tmp_path: Path, site_path: Path
) -> None:
    done, data = run_json(
        tmp_path, WAVE_01, site_path, "--copy-collections", "--skip-collection", "Legacy VPN Client"
    )
    assert done.exit_code == 3, done.output
    assert rules_of(site_path) == COPIED
    rows = {r["row"]: r for r in data["rows"]}
    assert {n: r["copied_collections"] for n, r in rows.items() if r["status"] == "created"} == {
        6: ["DEM00015"],
        7: ["DEM00015"],
        8: [],
        9: ["DEM00015"],
        10: [],
        11: ["DEM00015"],
    }
    assert rows[7]["collections"] == [
        "DEM00013 (OSD - Windows 11 Upgrade): not copied, a task sequence is deployed to it "
        "(--include-collection DEM00013 copies it)",
        "DEM00014 (All Workstations): member by a query rule, not copied",
        "DEM00015 (Office 365 Apps): copied",
        "SMSDM003 (All Desktop and Server Clients): built-in, not copied",
    ]
    assert rows[9]["collections"] == [
        "DEM00012 (Finance Apps): not copied, DEM00014 (All Workstations) does not hold CON-NB0006",
        "DEM00014 (All Workstations): member by a query rule, not copied",
        "DEM00015 (Office 365 Apps): copied",
        "DEM00016 (Legacy VPN Client): not copied (--skip-collection)",
    ]
    assert [m["text"] for m in rows[6]["messages"]] == [
        "DEM00012 (Finance Apps) was not copied: its limiting collection DEM00014 (All Workstations) does not "
        "hold CON-NB0003; run the sheet again once it does"
    ]
    summary = data["summary"]
    assert (summary["copy_collections"], summary["copied_collections"]) == (True, 4)
    assert summary["skip_collections"] == "Legacy VPN Client"
    assert "Also: 4 collection memberships added (4 copied from the old computers)" in done.output
    # Again: nothing added twice.
    again, second = run_json(
        tmp_path, WAVE_01, site_path, "--copy-collections", "--skip-collection", "DEM00016"
    )
    assert again.exit_code == 3
    assert all(r["copied_collections"] == [] for r in second["rows"])
    assert "DEM00015 (Office 365 Apps): already a member" in second["rows"][2]["collections"]
    assert rules_of(site_path) == COPIED
    # Undo the first run: the copied rules go, the old computers keep theirs.
    undone = invoke("undo", summary["run_id"], "--demo", site_path, "--report", tmp_path / "u.xlsx")
    assert undone.exit_code == 0, undone.output
    assert rules_of(site_path) == {}
    assert all_rules(site_path) == SAMPLE_RULES


def test_include_collection_copies_one_with_a_task_sequence(tmp_path: Path, site_path: Path) -> None:
    done, data = run_json(
        tmp_path, WAVE_01, site_path, "--copy-collections", "--include-collection", "dem00013"
    )
    assert done.exit_code == 3, done.output
    got = rules_of(site_path)
    assert got["CON-NB0004"] == ["DEM00013", "DEM00015"]
    assert got["CON-NB0005"] == ["DEM00013"]
    assert got["CON-NB0006"] == ["DEM00015", "DEM00016"]  # nothing skipped this time
    assert "SMSDM003" not in got["CON-NB0004"]  # built-in: never
    assert data["summary"]["copied_collections"] == 8


def test_an_option_naming_no_membership_is_said(tmp_path: Path, site_path: Path) -> None:
    _done, data = run_json(
        tmp_path,
        SAMPLES / "wave-03.csv",
        site_path,
        "--dry-run",
        "--copy-collections",
        "--skip-collection",
        "Nope",
    )
    assert data["summary"]["notes"][-1] == (
        "--skip-collection Nope: no old computer of the wave is a direct member of it"
    )
    bad = invoke("run", SAMPLES / "wave-03.csv", "--demo", site_path, "--skip-collection", "X", "--dry-run")
    assert bad.exit_code == 2 and "go with --copy-collections" in bad.output


def test_skip_collections_from_the_config_file_add_to_the_option(
    tmp_path: Path, site_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cmassoc.toml").write_text('skip_collections = ["Office 365 Apps"]\n', encoding="utf-8")
    done, data = run_json(
        tmp_path, WAVE_01, site_path, "--copy-collections", "--skip-collection", "Legacy VPN Client"
    )
    assert done.exit_code == 3, done.output
    assert rules_of(site_path) == {}
    assert data["summary"]["skip_collections"] == "Legacy VPN Client, Office 365 Apps"
    Path("cmassoc.toml").write_text("skip_collections = [1]\n", encoding="utf-8")
    bad = invoke("run", WAVE_01, "--demo", site_path, "--dry-run")
    assert bad.exit_code == 2 and "'skip_collections' must be a list of strings" in bad.output
    with pytest.raises(InputError) as raised:
        load_config(Path("cmassoc.toml"), Environment.from_os())
    assert raised.value.code is messages.COPY_SKIP_LIST


def test_a_computer_this_run_imports_waits_for_its_limiting_collection(
    tmp_path: Path, site_path: Path
) -> None:
    """Wave 04 imports CON-NB0101 for CON-PC0038 (Office 365 Apps, limited to All Systems; Finance
    Apps, limited to All Workstations): the first is copied at once, the second is pending."""
    wave = SAMPLES / "wave-04-new-hardware.xlsx"
    done, data = run_json(tmp_path, wave, site_path, "--users-from", "primary", "--copy-collections")
    assert done.exit_code == 3, done.output
    first = data["rows"][0]
    assert (first["destination"], first["new_computer"], first["status"]) == (
        "CON-NB0101",
        "imported by this run",
        "created",
    )
    assert first["copied_collections"] == ["DEM00015"]
    assert rules_of(site_path)["CON-NB0101"] == ["DEM00010", "DEM00015"]  # the sheet's, and the copy
    assert (
        "DEM00012 (Finance Apps): not copied, pending evaluation of DEM00014 (All Workstations)"
        in first["collections"]
    )
    assert [m["text"] for m in first["messages"] if "not copied" in m["text"]] == [
        "DEM00012 (Finance Apps) was not copied: pending evaluation, CON-NB0101 is imported by this run and "
        "its limiting collection DEM00014 (All Workstations) does not hold it yet; run the sheet again later"
    ]
    undone = invoke("undo", data["summary"]["run_id"], "--demo", site_path, "--report", tmp_path / "u.xlsx")
    assert undone.exit_code == 0, undone.output
    assert rules_of(site_path) == {}
    assert "CON-NB0101" not in ids_by_name(site_path)  # the imported computer is gone too


def test_demo_site_show_lists_collections(site_path: Path) -> None:
    listed = site_snapshot(site_path)["collections"]
    assert isinstance(listed, list)
    collections = {c["id"]: c for c in listed}
    assert collections["DEM00013"] == {
        "id": "DEM00013",
        "name": "OSD - Windows 11 Upgrade",
        "limit": "SMS00001",
        "direct_members": ["CON-PC0004", "CON-PC0005"],
        "task_sequence": True,
    }
    assert collections["DEM00012"]["limit"] == "DEM00014"
    assert collections["SMS00001"]["limit"] is None
    assert [c for c, v in collections.items() if v["task_sequence"]] == ["DEM00013"]
    points = site_snapshot(site_path)["state_migration_points"]
    assert points == [{"server": "SMP01.contoso.com", "restore_only": False, "deletion_delay_minutes": 1440}]


def test_over_winrm_and_the_adminservice_as_on_the_demo_site(
    tmp_path: Path, site_path: Path, endpoint: Endpoint, cert_dir: Path
) -> None:
    from tests.support.odata_endpoint import ODataEndpoint
    from tests.test_adminservice import run_via

    local, service_site = tmp_path / "local.db", tmp_path / "service.db"
    create_sample_site(local)
    create_sample_site(service_site)
    args = ("--copy-collections", "--skip-collection", "DEM00016")
    _done, expected = run_json(tmp_path, WAVE_01, local, *args)
    over_winrm, winrm_rows = run_remote(endpoint, WAVE_01, tmp_path, *args)
    service = ODataEndpoint(lambda: DemoSite(service_site), USERNAME, PASSWORD, cert_dir).start()
    try:
        over_as, as_rows = run_via(service, WAVE_01, tmp_path, *args)
    finally:
        service.stop()
    assert over_winrm.exit_code == over_as.exit_code == 3, over_as.output

    def seen(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (r["row"], r["status"], r["collections"], r["copied_collections"], r["readiness"]) for r in rows
        ]

    assert seen(as_rows) == seen(winrm_rows) == seen(expected["rows"])
    assert rules_of(site_path) == rules_of(service_site) == rules_of(local) == COPIED


def test_every_query_stays_within_wmi_limits(tmp_path: Path, cert_dir: Path, monkeypatch: Any) -> None:
    """130 pairs (more than one WQL query holds: 50 values) with readiness and --copy-collections,
    over the loopback endpoint whose site refuses a query past WMI's limits."""
    from tests.support.helpers import remote_env

    remote_env(monkeypatch)
    lines = ["Name,ResourceID,Client,PrimaryUsers"]
    lines += [f"CON-PC{n:04d},{16777216 + n},1,CONTOSO\\u{n}" for n in range(1, 131)]
    lines += [f"CON-NB{n:04d},{16778216 + n},0," for n in range(1, 131)]
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("\n".join(lines) + "\n", encoding="utf-8")
    site_path = tmp_path / "big.db"
    assert invoke("demo-site", "create", site_path, "--inventory", inventory).exit_code == 0
    wave = tmp_path / "big.csv"
    wave.write_text(
        "Source,Destination,Behavior,Users\n"
        + "".join(f"CON-PC{n:04d},CON-NB{n:04d},2,CONTOSO\\u{n};CONTOSO\\x{n}\n" for n in range(1, 131)),
        encoding="utf-8",
    )
    server = Endpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir).start()
    try:
        result, rows = run_remote(server, wave, tmp_path, "--copy-collections", "--batch-size", "5000")
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in rows] == ["created"] * 130
    assert len(association_keys(site_path)) == 130
    assert sum(1 for r in rows if [w["code"] for w in r["readiness"]] == ["CMA503"]) == 130
    assert rules_of(site_path) == COPIED | {
        "CON-NB0006": ["DEM00015", "DEM00016"],
        "CON-NB0008": ["DEM00015", "DEM00016"],
        "CON-NB0033": ["DEM00015"],
        "CON-NB0038": ["DEM00015"],
    }
    queries = [
        wire.query_from_op(op) for b in server.received for op in b["ops"] if op["op"] in ("query", "get")
    ]
    plain = [q for q in queries if not q.by_key]
    assert all(over_limits(q, QUERY_LIMITS) is None for q in plain)
    assert all(" IN (" in wql(q) for q in plain if q.matches)
    by_class: dict[str, int] = {}
    for q in plain:
        by_class[q.class_name] = max(by_class.get(q.class_name, 0), len(q.matches))
    # Each class the readiness and collection reads ask was cut to 50 values a query at most.
    for name in (
        "SMS_CombinedDeviceResources",
        "SMS_UserMachineRelationship",
        "SMS_FullCollectionMembership",
    ):
        assert by_class[name] == QUERY_LIMITS.terms, name
    assert all(len(q.matches) <= 200 for q in queries if q.by_key)
