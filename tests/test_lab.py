"""Opt-in tests against a real SMS Provider, for an admin to run once on a lab before the first wave.

Read-only (a dry run and `cmassoc doctor`): set CMASSOC_LAB_SERVER, CMASSOC_LAB_SITE_CODE,
CMASSOC_USERNAME and CMASSOC_PASSWORD (optionally CMASSOC_LAB_AUTH, CMASSOC_LAB_CA_BUNDLE and
CMASSOC_LAB_SHEET, a wave of lab computers).

Writing, with CMASSOC_LAB_WRITE=1 as well: CMASSOC_LAB_PAIR0 and CMASSOC_LAB_PAIR2 name two
pairs of lab computers ("OLDPC,NEWPC") with no association yet, and CMASSOC_LAB_DOMAIN the
NetBIOS domain for the test user (default CONTOSO). The test creates one behaviour-0 and one
behaviour-2 association with a non-ASCII user name, reads them back, records what
AddAssociationEx answers for a pair that already exists (and whether it overwrote the users),
reads both recovery keys (GetEncryptDecryptKey on each instance, as cmassoc does, and once on the
class, to settle what the SDK leaves unsaid) and writes them with `cmassoc keys` into an
encrypted workbook, then deletes both with `cmassoc undo`. The findings are printed and written to
CMASSOC_LAB_FINDINGS (default ./cmassoc-lab-findings.json); they describe each key (its length,
its alphabet) and never hold one.

New hardware, with CMASSOC_LAB_WRITE=1 and CMASSOC_LAB_NEW_MAC (a MAC address no computer of
the site has): imports a computer named CMASSOC-LAB01 with ImportMachineEntry, records how
many seconds pass before SMS_R_System shows it (cmassoc never waits for that: it uses the
ResourceID the import returns), and deletes it again.

Through the AdminService: CMASSOC_LAB_VIA=adminservice runs every one of these through it
(CMASSOC_LAB_CA_BUNDLE then names the "SMS Issuing" root or your PKI's CA); the doctor check
then also records what the service's $metadata offers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from importer.site.provider import GET_KEY, SMS_STATE_MIGRATION, MethodCall, add_association_call
from tests.support.helpers import SAMPLES, invoke

LAB = os.environ.get("CMASSOC_LAB_SERVER")
WRITE = os.environ.get("CMASSOC_LAB_WRITE") == "1"

pytestmark = [pytest.mark.lab, pytest.mark.skipif(not LAB, reason="CMASSOC_LAB_SERVER is not set")]


def lab_args() -> list[str]:
    args = [
        "--server",
        str(LAB),
        "--site-code",
        os.environ["CMASSOC_LAB_SITE_CODE"],
        "--auth",
        os.environ.get("CMASSOC_LAB_AUTH", "ntlm"),
        "--via",
        os.environ.get("CMASSOC_LAB_VIA", "winrm"),
    ]
    if os.environ.get("CMASSOC_LAB_CA_BUNDLE"):
        args += ["--ca-bundle", os.environ["CMASSOC_LAB_CA_BUNDLE"]]
    return args


def lab_site_options() -> Any:
    from importer.cli.site_options import SiteOptions

    return SiteOptions(
        server=LAB,
        site_code=os.environ["CMASSOC_LAB_SITE_CODE"],
        auth=os.environ.get("CMASSOC_LAB_AUTH", "ntlm"),
        via=os.environ.get("CMASSOC_LAB_VIA", "winrm"),
        ca_bundle=os.environ.get("CMASSOC_LAB_CA_BUNDLE"),
    )


def test_doctor_against_the_lab() -> None:
    result = invoke("doctor", *lab_args())
    print(result.output)
    assert result.exit_code == 0, result.output


def test_dry_run_against_the_lab(tmp_path: Path) -> None:
    sheet = os.environ.get("CMASSOC_LAB_SHEET") or str(SAMPLES / "wave-03.csv")
    out = tmp_path / "lab.json"
    result = invoke("run", sheet, *lab_args(), "--dry-run", "--json", out, "--report", tmp_path / "lab.xlsx")
    assert result.exit_code in (0, 3), result.output  # a lab sheet may well hold unknown names
    rows = json.loads(out.read_text())["rows"]
    assert rows
    assert {r["status"] for r in rows} <= {"planned", "exists", "invalid", "unresolved", "failed"}


@pytest.mark.skipif(not WRITE, reason="CMASSOC_LAB_WRITE=1 is not set")
def test_create_read_readd_and_undo_on_the_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importer.cli.connect import connect_provider
    from importer.environment import Environment
    from importer.site.gateway import Site

    domain = os.environ.get("CMASSOC_LAB_DOMAIN", "CONTOSO")
    user, other = f"{domain}\\Jürgen.Çelik", f"{domain}\\Zoë.Lab"
    pair0 = os.environ["CMASSOC_LAB_PAIR0"].split(",")
    pair2 = os.environ["CMASSOC_LAB_PAIR2"].split(",")
    sheet = tmp_path / "lab-write.csv"
    sheet.write_text(
        f"Source,Destination,Behavior,Users\n{pair0[0]},{pair0[1]},0,\n{pair2[0]},{pair2[1]},2,{user}\n",
        encoding="utf-8",
    )
    out = tmp_path / "write.json"
    made = invoke("run", sheet, *lab_args(), "--json", out, "--report", tmp_path / "write.xlsx")
    print(made.output)
    assert made.exit_code == 0, made.output
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [r["status"] for r in rows] == ["created", "created"]
    keys = [(r["source_resource_id"], r["restore_resource_id"]) for r in rows]

    findings: dict[str, object] = {"server": LAB, "pairs": keys}
    options = lab_site_options()
    provider = connect_provider(options, Environment.from_os())
    try:
        site = Site(provider)
        found = {e.key: e for e in site.associations_by_pair(keys, users=True)}
        assert set(found) == set(keys)
        assert found[keys[0]].behavior == 0 and found[keys[1]].behavior == 2
        assert found[keys[1]].users == (user,)  # a non-ASCII name round-trips exactly
        findings["behaviour_0_users_on_site"] = list(found[keys[0]].users or ())
        # What does AddAssociationEx say for a pair that exists? And does it overwrite the users?
        [again] = provider.call([add_association_call(*keys[1], 2, [other])])
        findings["readd_existing_pair"] = again.describe() if not again.ok else "returned 0 (success)"
        after = {e.key: e for e in site.associations_by_pair([keys[1]], users=True)}
        findings["readd_overwrote_users"] = after[keys[1]].users != (user,)
        findings["users_after_readd"] = list(after[keys[1]].users or ())
        # GetEncryptDecryptKey: on each instance (what cmassoc calls), and once on the class.
        readings = site.recovery_keys(keys)
        findings["get_key_on_instance"] = [_described(readings[k]) for k in keys]
        [static] = provider.call([MethodCall(SMS_STATE_MIGRATION, GET_KEY, {})])
        findings["get_key_on_class"] = (
            static.describe()
            if static.error is not None
            else f"returned {static.return_value}, {'a key' if static.out.get('Key') else 'no key'}"
        )
        seen = [r.key.reveal() for r in readings.values() if r.key is not None]
    finally:
        provider.close()
    monkeypatch.setenv(
        "CMASSOC_KEYS_PASSWORD", os.environ.get("CMASSOC_KEYS_PASSWORD") or "lab-" + os.urandom(8).hex()
    )
    workbook = tmp_path / "lab-keys.xlsx"
    read = invoke("keys", out, *lab_args(), "--out", workbook)
    print(read.output)
    assert read.exit_code == 0, read.output
    findings["keys_command"] = read.output.splitlines()[-2] if read.output.strip() else ""
    path = Path(os.environ.get("CMASSOC_LAB_FINDINGS", "cmassoc-lab-findings.json"))
    text = json.dumps(findings, indent=1, ensure_ascii=False)
    assert all(key not in text and key not in read.output for key in seen)  # never a key
    path.write_text(text, encoding="utf-8")
    print(text)

    undone = invoke(
        "undo", out, *lab_args(), "--json", tmp_path / "undo.json", "--report", tmp_path / "undo.xlsx"
    )
    print(undone.output)
    assert undone.exit_code == 0, undone.output
    statuses = [r["status"] for r in json.loads((tmp_path / "undo.json").read_text(encoding="utf-8"))["rows"]]
    assert statuses == ["deleted", "deleted"]


@pytest.mark.skipif(
    not (WRITE and os.environ.get("CMASSOC_LAB_NEW_MAC")), reason="CMASSOC_LAB_NEW_MAC is not set"
)
def test_import_a_computer_and_time_until_it_is_queryable() -> None:
    import time

    from importer.check.values import parse_mac
    from importer.cli.connect import connect_provider
    from importer.environment import Environment
    from importer.site.gateway import Site
    from importer.site.provider import delete_resource_call, import_machine_call

    mac = parse_mac(os.environ["CMASSOC_LAB_NEW_MAC"], "CMASSOC_LAB_NEW_MAC").value
    assert mac, "CMASSOC_LAB_NEW_MAC is not a MAC address"
    options = lab_site_options()
    provider = connect_provider(options, Environment.from_os())
    findings: dict[str, object] = {}
    try:
        site = Site(provider)
        [made] = provider.call([import_machine_call("CMASSOC-LAB01", None, mac, False)])
        assert made.ok, made.describe()
        rid = made.out.get("ResourceID")
        findings["import_answer"] = dict(made.out)
        started, seen = time.monotonic(), None
        while time.monotonic() - started < 300 and seen is None:
            if any(r.resource_id == rid for r in site.systems("Name", ["CMASSOC-LAB01"])):
                seen = time.monotonic() - started
            else:
                time.sleep(5)
        findings["seconds_until_queryable_by_name"] = seen
        [gone] = provider.call([delete_resource_call(int(str(rid)))])
        findings["delete_answer"] = gone.describe() if not gone.ok else "returned 0 (success)"
    finally:
        provider.close()
    path = Path(os.environ.get("CMASSOC_LAB_FINDINGS", "cmassoc-lab-findings.json")).with_suffix(
        ".import.json"
    )
    path.write_text(json.dumps(findings, indent=1), encoding="utf-8")
    print(json.dumps(findings, indent=1))


def _described(reading: Any) -> str:
    """What a key reading was, never the key: its length and alphabet, or why there is none."""
    import re

    if reading.key is None:
        return reading.problem  # type: ignore[no-any-return]
    text = reading.key.reveal()
    alphabet = "Base64" if re.fullmatch(r"[A-Za-z0-9+/=]+", text) else "not Base64"
    return f"returned 0, a key of {len(text)} characters ({alphabet})"
