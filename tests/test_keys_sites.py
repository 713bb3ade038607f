"""Recovery keys as each kind of site gives them (issue 27, point 4): the demo site makes a key
with each association and forgets it with it; the WinRM bootstrap calls GetEncryptDecryptKey on
the association instance, batched, and the loopback endpoint holds it to what the script
assumes; the AdminService calls it on the instance route where $metadata offers it and says
plainly where not; doctor says whether the account may read keys."""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from importer import messages
from importer.site.demo.provider import DemoSite
from importer.site.provider import GET_KEY, SMS_STATE_MIGRATION, MethodCall, recovery_key_call
from importer.site.winrm import wire
from importer.site.winrm.shell import _shown
from tests.support.helpers import PASSWORD, SAMPLES, USERNAME, ids_by_name, invoke, remote_args, remote_env
from tests.support.keys import KEYS_PASSWORD, key_rows, site_keys
from tests.support.odata_endpoint import ODataEndpoint
from tests.support.wsman_endpoint import Endpoint

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "release-0.1.0"
BASE64_KEY = re.compile(r"[A-Za-z0-9+/]{254}[A-Za-z0-9+/=]{2}")


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", KEYS_PASSWORD)


@pytest.fixture
def service(site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ODataEndpoint]:
    remote_env(monkeypatch)
    server = ODataEndpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir).start()
    yield server
    server.stop()


def via(service: ODataEndpoint) -> list[str | Path]:
    return [
        *("--server", service.address, "--via", "adminservice", "--site-code", "DEM"),
        *("--ca-bundle", service.ca_bundle, "--retry-wait", "0"),
    ]


def keys_of(tmp_path: Path, name: str, *site: str | Path, wave: Path = SAMPLES / "wave-03.csv") -> Path:
    out = tmp_path / f"{name}.xlsx"
    done = invoke("keys", wave, *site, "--out", out)
    assert done.exit_code == 0, done.output
    return out


def ran(tmp_path: Path, site_path: Path, wave: Path = SAMPLES / "wave-03.csv") -> None:
    """The wave's pairs made on the demo site (so that they have keys to read)."""
    done = invoke(
        "run", wave, "--demo", site_path, "--json", tmp_path / "r.json", "--report", tmp_path / "r.xlsx"
    )
    assert done.exit_code in (0, 3), done.output


def comparable(path: Path) -> list[tuple[object, ...]]:
    return [(r["Row"], r["Source"], r["Recovery key"], r["Note"]) for r in key_rows(path)]


# -- the demo site ------------------------------------------------------------------------


def test_the_demo_site_makes_a_key_with_each_association_and_forgets_it(site_path: Path) -> None:
    site = DemoSite(site_path)
    try:
        ids = ids_by_name(site_path)
        source, restore = ids["CON-PC0020"], ids["CON-NB0020"]
        [made] = site.call([MethodCall(SMS_STATE_MIGRATION, "AddAssociationEx", _params(source, restore))])
        assert made.ok
        [read] = site.call([recovery_key_call(source, restore)])
        assert read.return_value == 0 and BASE64_KEY.fullmatch(str(read.out["Key"]))
        assert len(base64.b64decode(str(read.out["Key"]))) == 192  # USMT's form: 256 characters at most
        assert site_keys(site_path)[(source, restore)] == read.out["Key"]
        other = site.call([recovery_key_call(ids["CON-PC0021"], ids["CON-NB0021"])])
        assert other[0].error is not None and other[0].error.code == 0x80041002  # no association
        [gone] = site.call([MethodCall(SMS_STATE_MIGRATION, "DeleteAssociation", _params(source, restore))])
        assert gone.ok
        [after] = site.call([recovery_key_call(source, restore)])
        assert after.error is not None and after.error.code == 0x80041002
        assert (source, restore) not in site_keys(site_path)
        # Only an instance names the key it gives: the class method, or one given input, is refused.
        static, given = site.call(
            [
                MethodCall(SMS_STATE_MIGRATION, GET_KEY, {}),
                MethodCall(SMS_STATE_MIGRATION, GET_KEY, {"Key": "x"}, {"SourceClientResourceID": 1}),
            ]
        )
        assert static.error is not None and given.error is not None
        assert "Key" not in repr(site.snapshot())  # `demo-site show` never shows a key
    finally:
        site.close()
    keys = site_keys(site_path)
    assert len(set(keys.values())) == len(keys) == 4  # the sample site's own, each its key


def _params(source: int, restore: int) -> dict[str, object]:
    return {"SourceClientResourceID": source, "RestoreClientResourceID": restore, "MigrationBehavior": 0}


def test_a_demo_site_of_release_0_1_0_gives_its_associations_keys(tmp_path: Path) -> None:
    path = tmp_path / "demo-site.db"
    shutil.copyfile(FIXTURES / "demo-site.db", path)
    with sqlite3.connect(path) as db:
        pairs = db.execute(
            "SELECT SourceClientResourceID, RestoreClientResourceID FROM associations"
        ).fetchall()
    assert len(pairs) == 10
    DemoSite(path).close()  # opening upgrades it
    keys = site_keys(path)
    assert set(keys) == {(int(s), int(r)) for s, r in pairs}
    assert all(BASE64_KEY.fullmatch(k) for k in keys.values()) and len(set(keys.values())) == 10
    out = tmp_path / "k.xlsx"
    run_id = "20261207-054048-b541"
    shutil.copyfile(FIXTURES / "cmassoc-journal.db", tmp_path / "cmassoc-journal.db")
    done = invoke("keys", run_id, "--demo", path, "--journal", tmp_path / "cmassoc-journal.db", "--out", out)
    assert done.exit_code == 0, done.output
    assert "Recovery keys of 12 pairs: 8 with a key, 4 not looked up" in done.output


# -- WinRM -------------------------------------------------------------------------------


def test_winrm_reads_keys_on_the_instance_in_batches(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    ran(tmp_path, site_path, SAMPLES / "wave-01.xlsx")
    local = keys_of(tmp_path, "demo", "--demo", site_path, wave=SAMPLES / "wave-01.xlsx")
    endpoint.received.clear()
    remote = keys_of(
        tmp_path, "winrm", *remote_args(endpoint, "--batch-size", "3"), wave=SAMPLES / "wave-01.xlsx"
    )
    assert comparable(remote) == comparable(local)
    batches = [
        [op for op in b["ops"] if op.get("method") == GET_KEY]
        for b in endpoint.received
        if any(op.get("method") == GET_KEY for op in b["ops"])
    ]
    assert [len(b) for b in batches] == [3, 3, 2]  # 8 associations, 3 calls per round trip
    for op in (op for b in batches for op in b):
        assert op["class"] == SMS_STATE_MIGRATION and op["params"] == {}
        assert sorted(op["instance"]) == ["RestoreClientResourceID", "SourceClientResourceID"]


def test_the_endpoint_holds_calls_to_what_the_bootstrap_assumes(endpoint: Endpoint, site_path: Path) -> None:
    from importer.site.winrm.provider import WinRMProvider
    from importer.site.winrm.settings import WinRMSettings

    ids = ids_by_name(site_path)
    known = (ids["CON-PC0001"], ids["CON-NB0001"])
    settings = WinRMSettings(
        endpoint.address, "DEM", username=USERNAME, password=PASSWORD, ca_bundle=endpoint.ca_bundle
    )
    provider = WinRMProvider(settings)
    try:
        ok, static, given, half, hostile = provider.call(
            [
                recovery_key_call(*known),
                MethodCall(SMS_STATE_MIGRATION, GET_KEY, {}),
                MethodCall(SMS_STATE_MIGRATION, GET_KEY, {"Key": ""}, dict(zip(_KEYS, known, strict=True))),
                MethodCall(SMS_STATE_MIGRATION, GET_KEY, {}, {"SourceClientResourceID": known[0]}),
                MethodCall(SMS_STATE_MIGRATION, GET_KEY, {}, {"SourceClientResourceID": "1 OR 1=1", "X": 2}),
            ]
        )
        assert ok.ok and ok.out["Key"] == site_keys(site_path)[known]
        assert static.error is not None and static.error.code == 0x8004103A  # no instance: no key
        assert given.error is not None and given.error.code == 0x80070057  # no in-parameters
        assert half.error is not None and half.error.code == 0x8004103A  # both keys or none
        assert hostile.error is not None and hostile.error.code == 0x80070057  # Get-InstancePath
        endpoint.server.recover_user_state = False
        [denied] = provider.call([recovery_key_call(*known)])
        assert denied.error is not None and denied.error.code == 0x80041003
    finally:
        provider.close()
    script = (
        Path(__file__).resolve().parents[1] / "importer" / "site" / "winrm" / "bootstrap.ps1"
    ).read_text()
    assert "takes no in-parameters" in script and "GetEncryptDecryptKey" in script


_KEYS = ("SourceClientResourceID", "RestoreClientResourceID")


def test_a_refused_key_says_so_in_its_row(tmp_path: Path, endpoint: Endpoint, site_path: Path) -> None:
    ran(tmp_path, site_path, SAMPLES / "wave-01.xlsx")
    endpoint.server.recover_user_state = False
    out = keys_of(tmp_path, "refused", *remote_args(endpoint), wave=SAMPLES / "wave-01.xlsx")
    rows = key_rows(out)
    assert [str(r["Note"])[:6] for r in rows] == ["CMA413"] * 8 + ["CMA414"] * 4
    assert all(r["Recovery key"] is None for r in rows)
    assert "the site refused its key: 0x80041003 Access denied" in rows[0]["Note"]


def test_no_key_in_winrm_debug_output(
    tmp_path: Path, endpoint: Endpoint, site_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ran(tmp_path, site_path, SAMPLES / "wave-01.xlsx")
    out = tmp_path / "k.xlsx"
    done = invoke("--debug", "keys", SAMPLES / "wave-01.xlsx", *remote_args(endpoint), "--out", out)
    assert done.exit_code == 0, done.output
    keys = site_keys(site_path)
    for key in keys.values():
        assert key not in done.output and key not in caplog.text
    # A reply line --debug would mention (one to an earlier batch) is named, never shown.
    line = wire.reply_line("1f", [{"return_value": 0, "out": {"Key": next(iter(keys.values()))}}]).strip()
    assert _shown(line) == f"a reply to batch 1f ({len(line):,} bytes, not shown)"
    from importer.errors import ProtocolError

    with pytest.raises(ProtocolError) as malformed:
        wire.call_result({"out": {"Key": "s3cret-key"}}, "a call")
    assert "s3cret-key" not in str(malformed.value) and "['out']" in str(malformed.value)


# -- the AdminService ------------------------------------------------------------------------


def test_the_adminservice_reads_keys_on_the_instance_route(
    tmp_path: Path, service: ODataEndpoint, site_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ran(tmp_path, site_path, SAMPLES / "wave-01.xlsx")
    local = keys_of(tmp_path, "demo", "--demo", site_path, wave=SAMPLES / "wave-01.xlsx")
    remote = tmp_path / "as.xlsx"
    done = invoke("--debug", "keys", SAMPLES / "wave-01.xlsx", *via(service), "--out", remote)
    assert done.exit_code == 0, done.output
    assert comparable(remote) == comparable(local)
    routes = [unquote(u) for u in service.urls if GET_KEY in u]
    assert len(routes) == 8
    assert all(
        re.fullmatch(
            r"/AdminService/wmi/SMS_StateMigration\(SourceClientResourceID=\d+,RestoreClientResourceID=\d+\)"
            r"/AdminService\.GetEncryptDecryptKey",
            route,
        )
        for route in routes
    )
    assert sum("$metadata" in u for u in service.urls) == 1  # read once
    for key in site_keys(site_path).values():
        assert key not in done.output and key not in caplog.text


@pytest.mark.parametrize(
    ("offered", "said"),
    [
        ("none", "offers no GetEncryptDecryptKey action"),
        ("class", "binds GetEncryptDecryptKey only to Collection(SMS_StateMigration), not to an association"),
    ],
)
def test_where_the_adminservice_offers_no_keys_it_says_so(
    tmp_path: Path, service: ODataEndpoint, site_path: Path, offered: str, said: str
) -> None:
    ran(tmp_path, site_path)
    if offered == "none":
        service.methods = tuple(m for m in service.methods if GET_KEY not in m)
    else:
        service.instance_methods = tuple(m for m in service.instance_methods if GET_KEY not in m)
    out = tmp_path / "k.xlsx"
    done = invoke("keys", SAMPLES / "wave-03.csv", *via(service), "--out", out)
    assert done.exit_code == 1
    assert "does not offer recovery keys" in done.output and said in done.output
    assert "--via winrm" in done.output and "Traceback" not in done.output
    assert not out.exists() and not any(GET_KEY in u for u in service.urls)


# -- doctor -----------------------------------------------------------------------------------


def _recovery(*args: str | Path) -> dict[str, str]:
    done = invoke("doctor", *args, "--json")
    [check] = [c for c in json.loads(done.output)["checks"] if c["name"] == "recovery keys"]
    return dict(check)


def test_doctor_says_whether_the_account_may_read_keys(endpoint: Endpoint, site_path: Path) -> None:
    demo = _recovery("--demo", site_path)
    assert demo["outcome"] == "ok" and "StateMigration.Recover User State" in demo["detail"]
    assert "View Recovery Information" in demo["detail"]
    held = _recovery(*remote_args(endpoint))
    assert held["outcome"] == "ok"
    endpoint.server.recover_user_state = False
    lacking = _recovery(*remote_args(endpoint))
    assert lacking["outcome"] == "note" and "does not hold" in lacking["detail"] and lacking["advice"]


def test_doctor_over_the_adminservice_says_what_it_cannot_tell(service: ODataEndpoint) -> None:
    assert _recovery(*via(service))["outcome"] == "ok"
    service.instance_methods = tuple(m for m in service.instance_methods if GET_KEY not in m)
    no_route = _recovery(*via(service))
    assert no_route["outcome"] == "note" and "gives no keys" in no_route["detail"]
    assert "--via winrm" in no_route["advice"]
    service.methods = tuple(m for m in service.methods if "UserHasPermissions" not in m)
    unknown = _recovery(*via(service))
    assert unknown["outcome"] == "note" and unknown["detail"].startswith("cannot tell")


def test_codes_of_the_rows_are_in_the_catalog() -> None:
    assert messages.CATALOG["CMA410"] is messages.KEY_READ
    assert {c for c in messages.CATALOG if 400 <= int(c[3:]) <= 449} == {
        "CMA400", "CMA401", "CMA402", "CMA403", "CMA404", "CMA405",
        "CMA410", "CMA411", "CMA412", "CMA413", "CMA414",
        "CMA420", "CMA421", "CMA422", "CMA423",
    }  # fmt: skip
