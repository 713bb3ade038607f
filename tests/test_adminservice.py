"""The AdminService way in (--via adminservice), end to end: requests against the loopback
OData endpoint (HTTPS, throwaway CA, NTLM through pyspnego's acceptor) in front of a demo site."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner, Result

from importer.cli import cli
from importer.site.adminservice import odata
from importer.site.demo.provider import DemoSite
from importer.site.demo.samples import create_sample_site
from importer.site.provider import SMS_R_SYSTEM, SMS_STATE_MIGRATION, MethodCall, Query, add_association_call
from tests.support.helpers import (
    PASSWORD,
    SAMPLES,
    USERNAME,
    association_keys,
    invoke,
    pairs_sheet,
    remote_env,
    run_remote,
)
from tests.support.odata_endpoint import Fault, ODataEndpoint, _parse_filter
from tests.test_winrm import WAVES, associations, comparable


@pytest.fixture
def service(site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ODataEndpoint]:
    remote_env(monkeypatch)
    server = ODataEndpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir).start()
    yield server
    server.stop()


def via(service: ODataEndpoint, *extra: str | Path) -> list[str | Path]:
    return [
        "--server",
        service.address,
        "--via",
        "adminservice",
        "--site-code",
        "DEM",
        "--ca-bundle",
        service.ca_bundle,
        "--retry-wait",
        "0",
        *extra,
    ]


def run_via(
    service: ODataEndpoint, sheet: Path, tmp_path: Path, *extra: str | Path
) -> tuple[Result, list[dict[str, Any]]]:
    out = tmp_path / "as.json"
    out.unlink(missing_ok=True)
    args = ["run", sheet, *via(service, *extra), "--json", out, "--report", tmp_path / "as.xlsx"]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"] if out.exists() else []
    return result, rows


def adds(service: ODataEndpoint) -> list[tuple[int, int]]:
    """Every AddAssociationEx the service received (its body), as pairs."""
    return [
        (b["SourceClientResourceID"], b["RestoreClientResourceID"])
        for b in service.bodies
        if isinstance(b, dict) and "MigrationBehavior" in b
    ]


def test_sample_waves_give_the_same_rows_and_site_via_demo_winrm_and_adminservice(
    tmp_path: Path, service: ODataEndpoint, site_path: Path, cert_dir: Path
) -> None:
    from tests.support.wsman_endpoint import Endpoint

    local, remote = tmp_path / "local.db", tmp_path / "winrm.db"
    create_sample_site(local)
    create_sample_site(remote)
    winrm = Endpoint(lambda: DemoSite(remote), USERNAME, PASSWORD, cert_dir).start()
    created = 0
    try:
        for wave in WAVES:
            out = tmp_path / "local.json"
            expected = invoke(
                "run", SAMPLES / wave, "--demo", local, "--json", out, "--report", tmp_path / "l.xlsx"
            )
            local_rows = comparable(json.loads(out.read_text())["rows"])
            over_winrm, winrm_rows = run_remote(winrm, SAMPLES / wave, tmp_path)
            over_as, as_rows = run_via(service, SAMPLES / wave, tmp_path)
            assert over_as.exit_code == over_winrm.exit_code == expected.exit_code, over_as.output
            assert comparable(as_rows) == comparable(winrm_rows) == local_rows
            created += [r["status"] for r in as_rows].count("created")
    finally:
        winrm.stop()
    assert associations(site_path) == associations(remote) == associations(local)
    assert service.handshakes >= 1
    # one POST per association made, each made once: 18 over the four sample waves
    assert service.requests["POST"] == len(adds(service)) == len(set(adds(service))) == created == 18
    # Every request is a filtered query, a read by key or a method call: never a whole class.
    assert {request_kind(u) for u in service.urls} == {
        ("SMS_Site", True),
        ("SMS_R_System", True),
        ("SMS_StateMigration", True),
        ("SMS_StateMigration(key)", False),
        ("SMS_StateMigration.AddAssociationEx", False),
        ("SMS_CombinedDeviceResources", True),  # readiness: client activity
        ("SMS_UserMachineRelationship", True),  # readiness: who was seen on the old computer
        ("SMS_SCI_SysResUse", True),  # readiness: the state migration points
    }


def request_kind(url: str) -> tuple[str, bool]:
    """What a request asks for: the class (a keyed instance as `(key)`, a method after a dot),
    and whether it is filtered."""
    parts = urlsplit(url)
    path = re.sub(r"\(.*\)$", "(key)", unquote(parts.path)).removeprefix("/AdminService/wmi/")
    return path, "$filter" in parse_qs(parts.query)


def test_new_hardware_status_export_and_undo_via_adminservice(
    tmp_path: Path, service: ODataEndpoint, site_path: Path
) -> None:
    before = association_keys(site_path)
    result, rows = run_via(
        service, SAMPLES / "wave-04-new-hardware.xlsx", tmp_path, "--users-from", "primary"
    )
    assert result.exit_code == 3, result.output  # the sample's last two rows need attention
    assert [r["status"] for r in rows] == ["created"] * 4 + ["conflict", "unresolved"]
    assert [r["new_computer"] for r in rows] == ["imported by this run"] * 4 + ["not imported", None]
    found = re.search(r"run (\d{8}-\d{6}-[0-9a-f]{4})", result.output)
    assert found, result.output
    run_id = found.group(1)
    status = invoke("status", tmp_path / "as.json", *via(service), "--report", tmp_path / "s.xlsx")
    assert status.exit_code == 0, status.output
    exported = invoke("export", tmp_path / "export.csv", *via(service))
    assert exported.exit_code == 0, exported.output
    # a header, then every association: the sample site's and the four this run created
    assert (tmp_path / "export.csv").read_text(encoding="utf-8").count("\n") == 1 + len(before) + 4
    undone = invoke("undo", run_id, *via(service), "--report", tmp_path / "u.xlsx")
    assert undone.exit_code == 0, undone.output
    assert sorted(association_keys(site_path)) == sorted(before)


def test_one_request_per_call_several_at_once(tmp_path: Path, service: ODataEndpoint) -> None:
    sheet = pairs_sheet(tmp_path, 12)
    result, rows = run_via(service, sheet, tmp_path, "--concurrency", "4")
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in rows] == ["created"] * 12
    assert service.requests["POST"] == 12 == len(adds(service)) == len(set(adds(service)))
    assert service.handshakes <= 4 + 1  # one per connection (a thread each), not per request


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("503"), "created"),
        (Fault("drop-before"), "created"),
        (Fault("drop-after"), "created"),  # the work was done, the reply lost: found, not sent again
        (Fault("slow", seconds=7), "created"),  # past the read timeout: retried
    ],
)
def test_transient_faults_are_reconciled_and_never_send_twice(
    tmp_path: Path, service: ODataEndpoint, site_path: Path, fault: Fault, expected: str
) -> None:
    service.faults.append(fault)
    sheet = pairs_sheet(tmp_path, 3)
    extra = ("--read-timeout", "6", "--operation-timeout", "5") if fault.kind == "slow" else ()
    result, rows = run_via(service, sheet, tmp_path, "--concurrency", "1", *extra)
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in rows] == [expected] * 3
    sent = adds(service)
    # A call the service never carried out (503, dropped before) is sent again after the
    # reconcile; one it carried out (its reply dropped or too late) is found, not sent again.
    done_anyway = fault.kind in ("drop-after", "slow")
    assert len(set(sent)) == 3 and len(sent) == (3 if done_anyway else 4), sent
    keys = association_keys(site_path)
    assert len(keys) == len(set(keys))  # nothing on the site twice
    assert not service.faults  # the fault was met


def test_a_refused_call_fails_only_its_row_with_the_wmi_code(tmp_path: Path, service: ODataEndpoint) -> None:
    service.faults.append(Fault("500", code=0x80041001))
    result, rows = run_via(service, pairs_sheet(tmp_path, 3), tmp_path, "--concurrency", "1")
    assert result.exit_code == 3, result.output
    assert [r["status"] for r in rows] == ["failed", "created", "created"]
    text = rows[0]["messages"][-1]["text"]
    assert "0x80041001" in text and "injected" in text
    assert len(adds(service)) == 3  # the refused one was sent once, not retried


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault("401", method="GET"), "rejected the credentials"),
        (Fault("403", method="GET"), "may not use the AdminService"),
    ],
)
def test_logon_refusals_are_one_line_and_not_retried(
    tmp_path: Path, service: ODataEndpoint, site_path: Path, fault: Fault, said: str
) -> None:
    before = association_keys(site_path)
    service.faults.append(fault)
    result, _ = run_via(service, pairs_sheet(tmp_path, 2), tmp_path, "--retries", "5")
    assert result.exit_code == 1, result.output
    assert said in result.output and "Traceback" not in result.output
    assert service.requests["GET"] == 1  # not retried
    assert association_keys(site_path) == before


def test_a_method_the_service_does_not_offer(tmp_path: Path, service: ODataEndpoint, site_path: Path) -> None:
    before = association_keys(site_path)
    service.methods = tuple(m for m in service.methods if not m.endswith("AddAssociationEx"))
    result, rows = run_via(service, pairs_sheet(tmp_path, 2), tmp_path)
    assert result.exit_code == 1, result.output
    assert "does not offer SMS_StateMigration.AddAssociationEx" in result.output
    assert "--via winrm" in result.output
    assert association_keys(site_path) == before
    # the refusal came with the batch in flight: its rows' outcome is not known to the run
    assert [r["status"] for r in rows] == ["unknown", "unknown"]
    stopped = (
        f"{service.address}: this site's AdminService does not offer SMS_StateMigration.AddAssociationEx "
        "(HTTP 404). Use --via winrm, or check the ConfigMgr version (static methods on the WMI route need "
        "1910 or later): cmassoc doctor --via adminservice lists what it offers."
    )
    unknown = (
        f"outcome unknown ({stopped}): run the same sheet again; if it was created it will show as exists"
    )
    assert [r["messages"][-1]["text"] for r in rows] == [unknown, unknown]


def test_an_untrusted_certificate_says_how_to_trust_it(tmp_path: Path, service: ODataEndpoint) -> None:
    args = [a for a in via(service) if a not in ("--ca-bundle", service.ca_bundle)]
    result = invoke("run", pairs_sheet(tmp_path, 1), *args, "--dry-run", "--report", tmp_path / "r.xlsx")
    assert result.exit_code == 1, result.output
    assert (
        "not trusted" in result.output and "SMS Issuing" in result.output and "--ca-bundle" in result.output
    )


def test_bearer_token(
    tmp_path: Path, site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ODataEndpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir, token="tok-123").start()
    try:
        monkeypatch.setenv("CMASSOC_TOKEN", "tok-123")
        result, rows = run_via(server, pairs_sheet(tmp_path, 2), tmp_path, "--auth", "bearer")
        assert result.exit_code == 0, result.output
        assert [r["status"] for r in rows] == ["created", "created"]
        monkeypatch.setenv("CMASSOC_TOKEN", "wrong")
        refused, _ = run_via(server, pairs_sheet(tmp_path, 2), tmp_path, "--auth", "bearer")
        assert refused.exit_code == 1 and "HTTP 401" in refused.output
        assert "tok-123" not in refused.output and "wrong" not in refused.output
    finally:
        server.stop()


def test_password_appears_nowhere(tmp_path: Path, service: ODataEndpoint) -> None:
    result, _ = run_via(service, pairs_sheet(tmp_path, 2), tmp_path, "--debug")
    texts = [result.output, (tmp_path / "as.json").read_text(encoding="utf-8")]
    assert all(PASSWORD not in t for t in texts)


def test_doctor_reads_what_the_service_offers(service: ODataEndpoint) -> None:
    ok = invoke("doctor", *via(service), "--json")
    report = json.loads(ok.output)
    assert ok.exit_code == 0, ok.output
    names = {c["name"]: c["outcome"] for c in report["checks"]}
    assert names["classes and methods offered"] == "ok" and names["ConfigMgr version"] == "ok"
    assert names["TLS certificate"] == "ok" and names["authentication"] == "ok"
    service.classes = tuple(c for c in service.classes if c != SMS_STATE_MIGRATION)
    bad = invoke("doctor", *via(service))
    assert bad.exit_code == 1
    assert "does not offer SMS_StateMigration" in bad.output and "--via winrm" in bad.output


def test_urls_are_data_only_and_chunked() -> None:
    hostile = "x' or 1 eq 1 or Name eq 'y"
    query = Query(
        SMS_R_SYSTEM, ("ResourceID", "Name"), tuple((("Name", f"PC{i}{hostile}"),) for i in range(3))
    )
    url = odata.query_url("https://h/AdminService", query)
    assert " " not in url and "'" in url  # percent-encoded, quotes doubled
    filter_text = odata.filter_text(query.matches)
    assert _parse_filter(filter_text) == query.matches  # what goes in comes out, as data
    call = add_association_call(5, 6, 2, ["CONTOSO\\a'b"])
    method, target, body = odata.call_request("https://h/AdminService", call)
    assert (method, target) == ("POST", "https://h/AdminService/wmi/SMS_StateMigration.AddAssociationEx")
    assert (
        body is not None
        and body["UserNames"][0]["@odata.type"] == "#AdminService.SMS_StateMigrationUserNames"
    )
    assert odata.from_json(body)["UserNames"][0]["__class"] == "SMS_StateMigrationUserNames"
    delete = MethodCall(SMS_R_SYSTEM, "Delete", {}, {"ResourceID": 7})
    assert odata.call_request("https://h/AdminService", delete)[:2] == (
        "DELETE",
        "https://h/AdminService/wmi/SMS_R_System(ResourceID=7)",
    )
    error, coded = odata.error_of(
        {
            "error": {
                "code": "0x80041001",
                "message": "Generic failure",
                "innererror": {"ErrorCode": 1078462229, "Description": "x"},
            }
        },
        500,
    )
    assert coded and error.code == 0x80041001 and error.extended["ErrorCode"] == 1078462229


def test_long_filters_are_split_never_cut(service: ODataEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    from importer.site.adminservice.provider import AdminServiceProvider
    from importer.site.adminservice.settings import AdminServiceSettings

    names = [f"CON-PC{n:04d}" for n in range(1, 50)]
    query = Query(SMS_R_SYSTEM, ("ResourceID", "Name"), tuple((("Name", n),) for n in names))
    settings = AdminServiceSettings(
        service.address, "DEM", username=USERNAME, password=PASSWORD, ca_bundle=service.ca_bundle
    )
    import importer.site.adminservice.provider as module

    monkeypatch.setattr(module, "MAX_URL", 400)
    provider = AdminServiceProvider(settings)
    try:
        [result] = provider.query([query])
    finally:
        provider.close()
    assert result.error is None
    # every record of the 40 names the site has (CON-PC0007 and CON-PC0013 have two)
    expected = sorted([*names[:40], "CON-PC0007", "CON-PC0013"])
    assert sorted(str(r["Name"]) for r in result.rows) == expected
    assert max(len(u) for u in service.urls) <= 400 - len(f"https://{service.address}") + 40
    # 49 names halved until each URL fits: 25 + 24, then four of 12 or 13, then eight of 6 or 7
    assert service.requests["GET"] == 8


def test_an_answer_past_the_limit_is_refused_not_read(
    tmp_path: Path, service: ODataEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importer.site.adminservice.provider as module

    monkeypatch.setattr(module, "MAX_ANSWER", 300)  # the names lookup answers far more
    result, _ = run_via(service, pairs_sheet(tmp_path, 3), tmp_path)
    assert result.exit_code == 1, result.output
    assert "more than cmassoc reads" in result.output and "Traceback" not in result.output


def test_ntlm_carries_the_tls_channel_binding(
    tmp_path: Path, site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service that enforces Extended Protection accepts the logon: the NTLM handshake binds
    to the TLS certificate (RFC 5929). The acceptor checks the binding it is given."""
    remote_env(monkeypatch)
    server = ODataEndpoint(
        lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir, extended_protection=True
    ).start()
    try:
        result, rows = run_via(server, pairs_sheet(tmp_path, 2), tmp_path)
        assert result.exit_code == 0, result.output
        assert [r["status"] for r in rows] == ["created", "created"]
        import importer.site.adminservice.auth as auth

        monkeypatch.setattr(auth, "_channel_bindings", lambda _response: None)  # as if none were sent
        refused, _ = run_via(server, pairs_sheet(tmp_path, 2), tmp_path)
        assert refused.exit_code == 1 and "HTTP 401" in refused.output
    finally:
        server.stop()
