"""What a real SMS Provider does that a kind one would not: refusals for good, WMI's query
limits, shells that vanish, hardened servers, central administration sites, in-place
associations, odd replies. Through the real pywinrm client and the loopback endpoint
unless the point is the seam itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from importer import messages as M
from importer.cli import cli
from importer.environment import Environment
from importer.errors import InputError
from importer.messages import Code
from importer.site.dates import iso_date, parse_dmtf
from importer.site.provider import (
    QUERY_LIMITS,
    WBEM_E_FAILED,
    WBEM_E_QUOTA_VIOLATION,
    Query,
    QueryResult,
    WmiError,
    over_limits,
    wql,
)
from importer.site.records import Record
from importer.site.winrm import wire
from importer.site.winrm.clixml import decode_stderr
from importer.site.winrm.credentials import resolve_credentials
from importer.site.winrm.settings import WinRMSettings
from tests.support.flaky import FlakyProvider
from tests.support.helpers import (
    PASSWORD,
    SETUP_SENDS,
    association_keys,
    error_codes,
    ids_by_name,
    invoke,
    notice_codes,
    pairs_sheet,
    remote_args,
    run_on,
    run_remote,
    sheet,
    site_snapshot,
)
from tests.support.wsman_endpoint import AMSI_BLOCK, Endpoint, Fault

EXTENDED = {
    "Description": "Failed to insert the association: the restore client is locked by another operation",
    "ErrorCode": 1078462229,
    "Operation": "ExecMethod",
    "ParameterInfo": "SMS_StateMigration",
    "ObjectInfo": "SMS_StateMigration.RestoreClientResourceID=16777260",
    "CauseInfo": "spAddStateMigrationAssociation",
    "SQLMessage": "Violation of PRIMARY KEY constraint 'StateMigration_PK'",
    "SQLStatus": 2627,
}


def calls_sent(endpoint: Endpoint) -> list[dict[str, Any]]:
    return [op for batch in endpoint.received for op in batch["ops"] if op["op"] == "call"]


def test_a_pair_refused_for_good_fails_that_row_only_and_is_sent_once(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    ids = ids_by_name(site_path)
    refused = (ids["CON-PC0005"], ids["CON-NB0005"])
    endpoint.server.refusals[refused] = WmiError(WBEM_E_FAILED, "Generic failure", EXTENDED)
    result, rows = run_remote(endpoint, pairs_sheet(tmp_path, 6), tmp_path, "--batch-size", "10")
    assert result.exit_code == 3, result.output  # finished; one row needs attention
    assert [r["status"] for r in rows] == ["created", "created", "failed", "created", "created", "created"]
    said = rows[2]["messages"][-1]
    assert said["code"] == M.CREATE_REFUSED.code
    text = said["text"]  # the provider's own words: its error and every field of its extended status
    assert "0x80041001 Generic failure: Failed to insert" in text
    for field in (
        "ErrorCode 1078462229 (0x40480715)",
        "Operation ExecMethod",
        "ParameterInfo SMS_StateMigration",
    ):
        assert field in text
    for value in (
        "RestoreClientResourceID=16777260",
        "spAddStateMigrationAssociation",
        "StateMigration_PK",
        "2627",
    ):
        assert value in text
    sent = [
        (c["params"]["SourceClientResourceID"], c["params"]["RestoreClientResourceID"])
        for c in calls_sent(endpoint)
    ]
    assert sent.count(refused) == 1  # exactly one attempt: a refusal is not retried
    assert f"{M.RETRYING} WARNING" not in result.output
    assert refused not in association_keys(site_path)
    assert len(association_keys(site_path)) == 4 + 5


def test_generic_failure_of_one_call_is_not_transient_on_the_demo_site_either(
    tmp_path: Path, site: object
) -> None:
    assert not WmiError(WBEM_E_FAILED, "Generic failure").transient
    # A behaviour-2 source that the site already uses: the demo refuses it as the provider would.
    path = sheet(tmp_path, "Source,Destination,Behavior,Users\nCON-PC0001,CON-NB0020,2,CONTOSO\\a\n")
    flaky = FlakyProvider(site)  # type: ignore[arg-type]
    result = run_on(path, flaky)
    assert result.rows[0].status is not None and result.rows[0].status.value == "conflict"  # planned around
    assert flaky.call_batches == []


def test_no_query_grows_past_our_limits_whatever_the_batch_size(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    # 26 pairs of computers that exist, plus 150 the site does not know: 352 names.
    lines = ["Source,Destination,Behavior"]
    lines += [f"CON-PC{n:04d},CON-NB{n:04d},0" for n in range(3, 30) if n != 13]
    lines += [f"NEWPC{n:05d},NEWNB{n:05d},0" for n in range(150)]
    path = sheet(tmp_path, "\n".join(lines) + "\n")
    result, rows = run_remote(endpoint, path, tmp_path, "--batch-size", "5000")
    assert result.exit_code == 3, result.output
    assert [r["status"] for r in rows].count("created") == 26
    assert len(association_keys(site_path)) == 4 + 26
    queries = [
        wire.query_from_op(op) for b in endpoint.received for op in b["ops"] if op["op"] in ("query", "get")
    ]
    plain = [q for q in queries if not q.by_key]
    assert plain and all(over_limits(q, QUERY_LIMITS) is None for q in plain)
    assert max(len(wql(q)) for q in plain) <= QUERY_LIMITS.characters
    assert all(" IN (" in wql(q) for q in plain if q.matches)  # single-key lookups: IN, never ORs
    assert all(len(q.matches) <= 200 for q in queries if q.by_key)
    name_lookups = [q for q in plain if q.matches and q.matches[0][0][0] == "Name"]
    assert sum(len(q.matches) for q in name_lookups) == 2 * 26 + 300
    assert len(name_lookups) == 8  # many small queries (352 names, 50 a query) ...
    name_batches = [b for b in endpoint.received if any(op.get("keys") == ["Name"] for op in b["ops"])]
    assert len(name_batches) == 1  # ... in one round trip


def test_existing_pairs_are_read_by_key_with_their_users(tmp_path: Path, endpoint: Endpoint) -> None:
    # The sample site holds CON-PC0001 -> CON-NB0001 (behaviour 2, CONTOSO\alice.w).
    path = sheet(tmp_path, "Source,Destination,Behavior,Users\nCON-PC0001,CON-NB0001,2,CONTOSO\\alice.w\n")
    result, rows = run_remote(endpoint, path, tmp_path)
    assert result.exit_code == 0, result.output
    assert rows[0]["status"] == "exists"
    gets = [op for b in endpoint.received for op in b["ops"] if op["op"] == "get"]
    assert len(gets) == 1 and gets[0]["lazy"] == ["UserNames"]
    assert gets[0]["keys"] == ["SourceClientResourceID", "RestoreClientResourceID"]
    queried = [op for b in endpoint.received for op in b["ops"] if op["op"] == "query"]
    assert all(not op["lazy"] for op in queried)


class QuotaProvider(FlakyProvider):
    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        return [QueryResult(error=WmiError(WBEM_E_QUOTA_VIOLATION, "Quota violation")) for _ in queries]


def test_a_quota_answer_is_named_as_such_never_as_missing_rights(tmp_path: Path, site: object) -> None:
    result = run_on(pairs_sheet(tmp_path, 2), QuotaProvider(site))  # type: ignore[arg-type]
    assert result.stopped_code is M.QUERY_TOO_LARGE  # never QUERY_ACCESS_DENIED
    assert result.stopped_by is not None and "0x8004106C" in result.stopped_by


def test_shells_are_opened_with_an_idle_timeout(tmp_path: Path, endpoint: Endpoint) -> None:
    result, _rows = run_remote(endpoint, pairs_sheet(tmp_path, 1), tmp_path, "--shell-idle-timeout", "20")
    assert result.exit_code == 0, result.output
    assert endpoint.idle_timeouts == ["PT1200S"]
    again, _rows = run_remote(endpoint, pairs_sheet(tmp_path, 2), tmp_path)
    assert again.exit_code == 0, again.output
    assert endpoint.idle_timeouts[-1] == "PT900S"  # 15 minutes unless told otherwise


def test_a_shell_gone_mid_wave_is_replaced_and_reconciled(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    # The shell vanishes after the server did the first creation batch's work, before the reply.
    endpoint.faults = [Fault("Receive", "pass") for _ in range(SETUP_SENDS + 1)] + [
        Fault("Receive", "shell-gone")
    ]
    result, rows = run_remote(endpoint, pairs_sheet(tmp_path, 12), tmp_path, "--batch-size", "5")
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in rows] == ["created"] * 12
    assert endpoint.requests["Create"] == 2  # a new shell
    assert len(association_keys(site_path)) == 4 + 12


@pytest.mark.parametrize(
    ("server", "code"),
    [
        ({"language": "ConstrainedLanguage"}, M.CONSTRAINED_LANGUAGE),
        ({"amsi_blocks": True}, M.SCRIPT_BLOCKED_BY_ANTIVIRUS),
        ("shell-disabled", M.SHELL_REFUSED),
        ("jea-only", M.SHELL_ACCESS_DENIED),
    ],
    ids=["constrained-language", "amsi", "shell-disabled", "jea-only"],
)
def test_hardened_servers_get_one_readable_line_at_connect(
    tmp_path: Path, endpoint: Endpoint, site_path: Path, server: object, code: Code
) -> None:
    if server == "shell-disabled":
        text = "The WS-Management service does not allow remote shell access"
        endpoint.faults = [Fault("Create", "wsman", code=2150859180, text=text)]
    elif server == "jea-only":
        endpoint.faults = [Fault("Create", "wsman", code=5)]
    else:
        for key, value in server.items():  # type: ignore[attr-defined]
            setattr(endpoint.server, key, value)
    before = site_snapshot(site_path)
    result, _rows = run_remote(endpoint, pairs_sheet(tmp_path, 3), tmp_path)
    assert result.exit_code == 1, result.output
    assert error_codes(result.output) == [code.code], result.output
    assert "CLIXML" not in result.output and "_x000D_" not in result.output
    assert f"{M.RETRYING} WARNING" not in result.output
    assert endpoint.requests["Create"] == 1
    assert PASSWORD not in result.output
    assert site_snapshot(site_path) == before


def test_clixml_is_decoded_into_plain_text() -> None:
    text = decode_stderr(AMSI_BLOCK.encode())
    assert "This script contains malicious content and has been blocked by your antivirus software." in text
    assert "ScriptContainedMaliciousContent" in text
    assert "<Objs" not in text and "_x000D_" not in text
    assert decode_stderr(b"plain words\r\n") == "plain words"


def test_a_central_administration_site_is_refused(
    tmp_path: Path, site_path: Path, endpoint: Endpoint
) -> None:
    with sqlite3.connect(site_path) as db:
        db.execute("UPDATE site SET site_type = 4")
    before = site_snapshot(site_path)
    for args in (["--demo", site_path], remote_args(endpoint)):
        result = CliRunner().invoke(cli, [str(a) for a in ["run", pairs_sheet(tmp_path, 2), *args]])
        assert result.exit_code == 1, result.output
        assert error_codes(result.output) == [M.NOT_PRIMARY_SITE.code]
        assert "central administration site" in result.output  # what kind of site it is
    assert site_snapshot(site_path) == before


def test_in_place_associations_are_noted_not_conflicts(tmp_path: Path, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    with sqlite3.connect(site_path) as db:  # a refresh task sequence captured NB0003 in place
        db.execute(
            "INSERT INTO associations (SourceClientResourceID, RestoreClientResourceID, MigrationBehavior, "
            "MigrationType, MigrationStatus, Created) VALUES (?, ?, 0, 2, 1, 'now')",
            (ids["CON-NB0003"], ids["CON-NB0003"]),
        )
    path = sheet(tmp_path, "Source,Destination,Behavior,Users\nCON-PC0003,CON-NB0003,2,CONTOSO\\a\n")
    out = tmp_path / "r.json"
    result = invoke("run", path, "--demo", site_path, "--json", out, "--report", tmp_path / "r.xlsx")
    assert result.exit_code == 0, result.output
    import json

    [row] = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert row["status"] == "created"
    assert [(m["level"], m["code"]) for m in row["messages"]] == [("note", M.IN_PLACE_ON_SITE.code)]
    assert f"CON-NB0003 ({ids['CON-NB0003']})" in row["messages"][0]["text"]  # which computer


def test_a_malformed_reply_is_a_fatal_protocol_error_naming_the_batch(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    endpoint.faults = [Fault("Send", "pass") for _ in range(2)] + [Fault("Send", "malformed")]
    before = site_snapshot(site_path)
    result, rows = run_remote(endpoint, pairs_sheet(tmp_path, 3), tmp_path)
    assert result.exit_code == 1, result.output
    assert f"Stopped early: {M.UNREADABLE_REPLY} " in result.output and "batch 3" in result.output
    assert f"{M.RETRYING} WARNING" not in result.output
    assert [r["status"] for r in rows] == ["not sent"] * 3  # never read as "not on the site"
    stopped = (
        "batch 3, SMS_R_System query 1: row 1 of the reply is not a list of 10 values (\"{'ResourceID': "
        "16777259, 'Name': 'CON-NB0003', 'ResourceDomainORWorkgroup': 'CON\")."
    )
    assert [[(m["level"], m["code"], stopped in m["text"]) for m in r["messages"]] for r in rows] == [
        [("error", M.NOT_SENT.code, True)]
    ] * 3  # each says why: the batch and the reply's row
    assert site_snapshot(site_path) == before


def test_reply_shapes_are_checked_strictly() -> None:
    from importer.errors import ProtocolError

    # one code for any reply out of shape; the words name the part that is (row 1, the rows, ReturnValue)
    for bad, part in (
        (lambda: wire.query_result({"columns": ["A"], "rows": [{"A": 1}]}, "batch 7"), "row 1"),
        (lambda: wire.query_result({"columns": ["A"], "rows": {"value": [], "Count": 0}}, "batch 7"), "rows"),
        (lambda: wire.call_result({}, "batch 7"), "ReturnValue"),
    ):
        with pytest.raises(ProtocolError, match=part) as caught:
            bad()
        assert caught.value.code is M.UNREADABLE_REPLY and "batch 7" in str(caught.value)
    assert wire.query_result({"columns": ["A"], "rows": [[1]]}).rows == [{"A": 1}]


def test_dmtf_dates_read_as_dates() -> None:
    assert iso_date("20210612080000.000000+000") == "2021-06-12"
    assert iso_date("00000000000000.000000+***") == ""
    assert iso_date("2021-06-12") == "2021-06-12"
    parsed = parse_dmtf("20210612080000.000000+060")
    assert parsed is not None and parsed.utcoffset() is not None and parsed.utcoffset().seconds == 3600  # type: ignore[union-attr]
    record = Record(7, "PC", "CONTOSO", False, True, False, "20210612080000.000000+000")
    assert record.describe() == "7 (CONTOSO, created 2021-06-12)"


def test_behaviour_0_travels_without_a_user_list(tmp_path: Path, endpoint: Endpoint) -> None:
    path = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\nCON-PC0004,CON-NB0004,0\n")
    result, _rows = run_remote(endpoint, path, tmp_path)
    assert result.exit_code == 0, result.output
    params = [c["params"] for c in calls_sent(endpoint)]
    assert len(params) == 2 and all("UserNames" not in p for p in params)


def test_an_operation_timeout_above_winrm_maximum_warns(tmp_path: Path, endpoint: Endpoint) -> None:
    result, _rows = run_remote(
        endpoint, pairs_sheet(tmp_path, 1), tmp_path, "--operation-timeout", "90", "--read-timeout", "120"
    )
    assert result.exit_code == 0, result.output
    assert ("warning", M.OPERATION_TIMEOUT_ABOVE_MAX.code) in notice_codes(result.output)
    assert "--operation-timeout 90" in result.output


def test_kerberos_takes_a_principal_and_never_a_password() -> None:
    env = Environment({"CMASSOC_PASSWORD": PASSWORD})
    assert resolve_credentials("kerberos", "admin@CONTOSO.COM", env, interactive=True) == (
        "admin@CONTOSO.COM",
        None,
    )
    assert resolve_credentials("kerberos", None, env, interactive=True) == (None, None)  # the logon ticket
    with pytest.raises(InputError) as refused:
        WinRMSettings("sms01", "ABC", auth="kerberos", username="CONTOSO\\admin")
    assert refused.value.code is M.KERBEROS_PRINCIPAL
    WinRMSettings("sms01", "ABC", auth="kerberos", username="admin@CONTOSO.COM")


def test_kerberos_with_a_domain_user_is_a_clear_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMASSOC_USERNAME", "CONTOSO\\admin")
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(pairs_sheet(tmp_path, 1)),
            "--server",
            "sms01",
            "--site-code",
            "ABC",
            "--auth",
            "kerberos",
        ],
    )
    assert result.exit_code == 2, result.output
    assert error_codes(result.output) == [M.KERBEROS_PRINCIPAL.code]
    assert "Password" not in result.output
