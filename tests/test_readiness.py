"""Readiness (issue 29.1): each pair's warnings and the site's state migration points, in every dry
run and run, the same on the demo site, over WinRM and through the AdminService; warnings, not
errors, unless --strict-readiness; `doctor --wave` says the same and changes nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from openpyxl import load_workbook

from importer import messages
from importer.model import UsersFrom
from importer.site.demo.provider import DemoSite
from tests.support.helpers import (
    SAMPLES,
    association_keys,
    ids_by_name,
    invoke,
    remote_args,
    run_on,
    run_remote,
    sheet,
)
from tests.support.wsman_endpoint import Endpoint

WAVE_01 = SAMPLES / "wave-01.xlsx"
WAVE_03 = SAMPLES / "wave-03.csv"


def run_json(tmp_path: Path, path: Path, site_path: Path, *extra: str) -> tuple[Result, dict[str, Any]]:
    out = tmp_path / "r.json"
    out.unlink(missing_ok=True)
    done = invoke("run", path, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx", *extra)
    return done, json.loads(out.read_text(encoding="utf-8"))


def warned(rows: list[dict[str, Any]]) -> list[tuple[int, str, list[str]]]:
    """(row, source, readiness codes) of every row with a readiness warning."""
    return [(r["row"], r["source"], [w["code"] for w in r["readiness"]]) for r in rows if r["readiness"]]


def text_of(rows: list[dict[str, Any]], row: int) -> str:
    [found] = [r for r in rows if r["row"] == row]
    return " | ".join(w["text"] for w in found["readiness"])


def test_a_dry_run_warns_of_the_samples_inactive_other_site_and_never_seen_pairs(
    tmp_path: Path, site_path: Path
) -> None:
    before = association_keys(site_path)
    done, data = run_json(tmp_path, WAVE_01, site_path, "--dry-run")
    assert done.exit_code == 3, done.output  # two invalid and two unresolved rows, as before
    rows = data["rows"]
    assert warned(rows) == [
        (6, "CON-PC0003", ["CMA503"]),  # lists CONTOSO\carol.d, never seen there
        (8, "CON-PC0005", ["CMA501"]),  # its client was last active 40 days ago
        (11, "CON-PC0008", ["CMA502"]),  # assigned to site PR2
    ]
    ids = ids_by_name(site_path)
    assert text_of(rows, 6) == (
        f"CONTOSO\\carol.d was never seen on CON-PC0003 ({ids['CON-PC0003']}) (primary users CONTOSO\\bob.m, "
        "last logon CONTOSO\\bob.m): nothing would be captured or restored for that account"
    )
    assert "(40 days ago), more than --inactive-days 14" in text_of(rows, 8)
    assert f"CON-PC0008 ({ids['CON-PC0008']}) is assigned to site PR2, not DEM" in text_of(rows, 11)
    # Warnings, not errors: the pairs are still planned, and nothing changed on the site.
    assert [r["status"] for r in rows if r["readiness"]] == ["planned"] * 3
    assert association_keys(site_path) == before
    summary = data["summary"]
    assert summary["readiness"] == {"CMA501": 1, "CMA502": 1, "CMA503": 1}
    assert [w["code"] for w in summary["site_readiness"]] == ["CMA507"]
    assert summary["site_readiness"][0]["text"] == (
        "state migration points accepting captures: SMP01.contoso.com (restored states kept 1 day)"
    )
    assert (
        "Readiness: 3 pairs with warnings: the old computer's client is inactive (CMA501): 1; "
        "a computer belongs to another site (CMA502): 1; a listed user was never seen on the old computer "
        "(CMA503): 1"
    ) in done.output


def test_a_run_warns_of_a_source_without_a_client_and_one_the_site_marks_inactive(
    tmp_path: Path, site_path: Path
) -> None:
    done, data = run_json(tmp_path, WAVE_03, site_path)
    assert done.exit_code == 0, done.output  # warnings never change the exit status
    rows = data["rows"]
    assert [r["status"] for r in rows] == ["created"] * 5
    assert warned(rows) == [(3, "CON-PC0034", ["CMA501"]), (6, "CON-KIOSK01", ["CMA500"])]
    assert "by the site's own client status (ClientActiveStatus 0" in text_of(rows, 3)
    kiosk = ids_by_name(site_path)["CON-KIOSK01"]
    assert text_of(rows, 6) == (
        f"CON-KIOSK01 ({kiosk}) has no ConfigMgr client: its user state cannot be captured until it has one"
    )
    assert all(not r["messages"] for r in rows[-1:])  # folded into readiness: no message of its own


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("60", [(3, "CON-PC0034", ["CMA501"]), (6, "CON-KIOSK01", ["CMA500"])]),
        ("5", [(3, "CON-PC0034", ["CMA501"]), (6, "CON-KIOSK01", ["CMA500"])]),
    ],
)
def test_inactive_days_is_the_threshold(
    tmp_path: Path, site_path: Path, days: str, expected: list[tuple[int, str, list[str]]]
) -> None:
    _done, data = run_json(tmp_path, WAVE_03, site_path, "--dry-run", "--inactive-days", days)
    assert warned(data["rows"]) == expected
    said = text_of(data["rows"], 3)
    if days == "5":  # seen 9 days ago: inactive by the threshold, before the site's own status
        assert "last active" in said and "(9 days ago), more than --inactive-days 5" in said
    else:
        assert "ClientActiveStatus 0" in said
    _done, data = run_json(tmp_path, WAVE_01, site_path, "--dry-run", "--inactive-days", days)
    assert ("CMA501" in [c for _, _, codes in warned(data["rows"]) for c in codes]) is (days == "5")


def test_strict_readiness_refuses_the_pairs_that_are_not_ready(tmp_path: Path, site_path: Path) -> None:
    done, data = run_json(tmp_path, WAVE_01, site_path, "--strict-readiness")
    assert done.exit_code == 3
    rows = {r["row"]: r for r in data["rows"]}
    assert [n for n, r in rows.items() if r["status"] == "conflict"] == [6, 8, 11]
    assert [n for n, r in rows.items() if r["status"] == "created"] == [7, 9, 10]
    refusal = rows[8]["messages"][-1]
    assert refusal["level"] == "error"
    assert refusal["text"].startswith(
        "not ready, so not created (--strict-readiness): the client of CON-PC0005"
    )
    ids = ids_by_name(site_path)
    on_site = set(association_keys(site_path))
    assert (ids["CON-PC0005"], ids["CON-NB0005"]) not in on_site
    assert (ids["CON-PC0004"], ids["CON-NB0004"]) in on_site
    assert data["summary"]["strict_readiness"] is True


def test_strict_readiness_refusal_carries_its_code(site: DemoSite) -> None:
    result = run_on(WAVE_01, site, strict_readiness=True, dry_run=True)
    refused = [r for r in result.rows if r.readiness and r.has_errors]
    assert [r.row for r in refused] == [6, 8, 11]
    assert all(r.messages[-1].code is messages.READY_REFUSED for r in refused)
    assert [r.readiness[0].code for r in refused] == [
        messages.READY_USER_NEVER_SEEN,
        messages.READY_INACTIVE,
        messages.READY_OTHER_SITE,
    ]


def test_users_taken_from_the_site_were_seen_there(tmp_path: Path, site: DemoSite) -> None:
    # CON-PC0026's primary user is CONTOSO\yara.h; CON-PC0027's are zack.i and amy.j.
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        "CON-PC0026,CON-NB0026,2,\n"
        "CON-PC0027,CON-NB0027,1,CONTOSO\\zack.i;CONTOSO\\nobody.x;CONTOSO\\ghost.y\n"
        "CON-PC0028,CON-NB0028,0,\n",
    )
    result = run_on(path, site, dry_run=True, users_from=UsersFrom.PRIMARY)
    assert result.rows[0].users == ["CONTOSO\\yara.h"]
    assert [[w.code.code for w in r.readiness] for r in result.rows] == [[], ["CMA503"], []]
    assert (
        result.rows[1]
        .readiness[0]
        .text.startswith("CONTOSO\\nobody.x, CONTOSO\\ghost.y were never seen on CON-PC0027")
    )


@pytest.mark.parametrize(
    ("change", "code", "text"),
    [
        (
            "UPDATE state_migration_points SET SMPQuiesceState = 1",
            "CMA505",
            "state migration points: every one is in restore-only mode (SMP01.contoso.com): no capture is "
            "accepted",
        ),
        ("DELETE FROM state_migration_points", "CMA504", "state migration points: none on this site"),
        (
            "INSERT INTO state_migration_points VALUES ('SMP02.contoso.com', 1, 0)",
            "CMA507",
            "state migration points accepting captures: SMP01.contoso.com (restored states kept 1 day)",
        ),
        (
            "UPDATE state_migration_points SET SMPStoreDeletionDelayTimeInMinutes = 10080",
            "CMA507",
            "state migration points accepting captures: SMP01.contoso.com (restored states kept 7 days)",
        ),
    ],
)
def test_state_migration_points_once_for_the_site(
    tmp_path: Path, site_path: Path, change: str, code: str, text: str
) -> None:
    with sqlite3.connect(site_path) as db:
        db.execute(change)
    done, data = run_json(tmp_path, WAVE_03, site_path, "--dry-run")
    assert done.exit_code == 0
    assert data["summary"]["site_readiness"] == [{"code": code, "text": text}]
    assert all(code not in [w["code"] for w in r["readiness"]] for r in data["rows"])  # not per pair
    assert f"Readiness: {code} {text}" in done.output
    labels = {
        r[0]: r[1] for r in load_workbook(tmp_path / "r.xlsx")["Summary"].iter_rows(values_only=True) if r
    }
    assert labels["State migration points"] == f"{code} {text}"


def test_unreadable_site_control_file_is_unknown_never_no(tmp_path: Path, endpoint: Endpoint) -> None:
    endpoint.server.unreadable = ("SMS_SCI_SysResUse", "SMS_CombinedDeviceResources")
    result, rows = run_remote(endpoint, WAVE_01, tmp_path)
    assert result.exit_code == 3, result.output
    assert [r["status"] for r in rows].count("created") == 6  # the run goes on
    summary = json.loads((tmp_path / "remote.json").read_text(encoding="utf-8"))["summary"]
    codes = [w["code"] for w in summary["site_readiness"]]
    assert codes == ["CMA508", "CMA506"]
    texts = [w["text"] for w in summary["site_readiness"]]
    assert texts[0].startswith("SMS_CombinedDeviceResources could not be read (0x80041003")
    assert texts[1].startswith("state migration points: unknown, the site control file could not be read")
    # Activity unread: no inactive warning is guessed; what could be read still warns.
    assert warned(rows) == [(6, "CON-PC0003", ["CMA503"]), (11, "CON-PC0008", ["CMA502"])]


def test_excel_report_has_a_readiness_column_and_counts(tmp_path: Path, site_path: Path) -> None:
    run_json(tmp_path, WAVE_01, site_path, "--dry-run")
    book = load_workbook(tmp_path / "r.xlsx")
    results = list(book["Results"].iter_rows(values_only=True))
    at = results[0].index("Readiness")
    assert results[0][at - 1] == "Collections"  # among the tool's columns, before the sheet's own
    shown = {r[1]: r[at] for r in results[1:]}
    assert shown[8].startswith("CMA501 the client of CON-PC0005")
    assert shown[4] is None
    labels = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r}
    assert labels["Readiness warnings (pairs)"] == (
        "the old computer's client is inactive (CMA501): 1; a computer belongs to another site (CMA502): 1; "
        "a listed user was never seen on the old computer (CMA503): 1"
    )
    assert labels["Inactive after (days)"] == 14


def test_doctor_wave_says_the_same_and_changes_nothing(tmp_path: Path, site_path: Path) -> None:
    before = association_keys(site_path)
    done = invoke("doctor", "--demo", site_path, "--wave", WAVE_01)
    assert done.exit_code == 0, done.output
    assert "note    wave readiness" in done.output
    assert "wave-01.xlsx: 3 of 8 pairs with readiness warnings; 4 rows not checked" in done.output
    assert "  Wave 01 row 8: CON-PC0005 -> CON-NB0005\n    CMA501 the client of CON-PC0005" in done.output
    assert "Readiness: CMA507 state migration points accepting captures" in done.output
    as_json = invoke("doctor", "--demo", site_path, "--wave", WAVE_01, "--json", "--inactive-days", "60")
    data = json.loads(as_json.output)
    assert data["readiness"]["counts"] == {"CMA502": 1, "CMA503": 1}
    assert [(r["row"], [w["code"] for w in r["readiness"]]) for r in data["readiness"]["rows"]] == [
        (6, ["CMA503"]),
        (11, ["CMA502"]),
    ]
    assert association_keys(site_path) == before
    assert not list(tmp_path.glob("*.xlsx")) and not list(SAMPLES.glob("wave-01-report-*"))


def test_doctor_wave_over_winrm(endpoint: Endpoint) -> None:
    done = invoke("doctor", *remote_args(endpoint), "--wave", WAVE_03, "--json")
    data = json.loads(done.output)
    assert data["passed"] is True, done.output
    assert data["readiness"]["counts"] == {"CMA500": 1, "CMA501": 1}
    assert [w["code"] for w in data["readiness"]["site"]] == ["CMA507"]


def test_a_class_the_adminservice_does_not_offer_is_not_read_not_fatal(
    tmp_path: Path, site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.helpers import PASSWORD, USERNAME, remote_env
    from tests.support.odata_endpoint import OFFERED_CLASSES, ODataEndpoint
    from tests.test_adminservice import run_via

    remote_env(monkeypatch)
    service = ODataEndpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir)
    service.classes = tuple(
        c for c in OFFERED_CLASSES if c not in ("SMS_CombinedDeviceResources", "SMS_SCI_SysResUse")
    )
    service.start()
    try:
        result, rows = run_via(service, WAVE_01, tmp_path, "--dry-run")
    finally:
        service.stop()
    assert result.exit_code == 3, result.output
    assert [r["status"] for r in rows].count("planned") == 6
    summary = json.loads((tmp_path / "as.json").read_text(encoding="utf-8"))["summary"]
    assert [w["code"] for w in summary["site_readiness"]] == ["CMA508", "CMA506"]
    assert "does not offer SMS_CombinedDeviceResources" in summary["site_readiness"][0]["text"]
    assert warned(rows) == [(6, "CON-PC0003", ["CMA503"]), (11, "CON-PC0008", ["CMA502"])]
