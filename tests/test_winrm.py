"""The real pywinrm client, end to end, against the loopback WS-Management endpoint."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from importer.cli import cli
from importer.site.demo.samples import create_sample_site
from importer.site.provider import SMS_R_SYSTEM, Query
from importer.site.winrm.provider import WinRMProvider
from importer.site.winrm.settings import WinRMSettings
from importer.site.winrm.shell import encoded_command
from tests.support.helpers import (
    PASSWORD,
    SAMPLES,
    SETUP_SENDS,
    USERNAME,
    association_keys,
    invoke,
    remote_args,
    run_remote,
    site_snapshot,
)
from tests.support.wsman_endpoint import Endpoint, Fault

WAVES = ["wave-01.xlsx", "wave-02-users-sheet.xlsx", "wave-03.csv", "wave-mistakes.xlsx"]


def comparable(rows: list[dict]) -> list[tuple]:  # type: ignore[type-arg]
    return [
        (
            r["sheet"],
            r["row"],
            r["source"],
            r["destination"],
            r["source_resource_id"],
            r["restore_resource_id"],
            r["behavior"],
            r["users"],
            r["status"],
            [m["text"] for m in r["messages"]],
            [(w["code"], w["text"]) for w in r["readiness"]],
        )
        for r in rows
    ]


def associations(path: Path) -> list[dict]:  # type: ignore[type-arg]
    items = site_snapshot(path)["associations"]
    assert isinstance(items, list)
    return [{k: v for k, v in a.items() if k != "created"} for a in items]


def test_sample_waves_match_the_demo_run(tmp_path: Path, endpoint: Endpoint, site_path: Path) -> None:
    local = tmp_path / "local.db"
    create_sample_site(local)
    for wave in WAVES:
        out = tmp_path / "local.json"
        expected = invoke(
            "run", SAMPLES / wave, "--demo", local, "--json", out, "--report", tmp_path / "l.xlsx"
        )
        result, rows = run_remote(endpoint, SAMPLES / wave, tmp_path)
        assert result.exit_code == expected.exit_code, result.output
        assert comparable(rows) == comparable(json.loads(out.read_text())["rows"])
    assert associations(site_path) == associations(local)
    assert endpoint.requests["Create"] == len(WAVES)  # one shell per run ...
    assert endpoint.requests["Command"] == len(WAVES)  # ... and one powershell.exe
    assert endpoint.requests["Delete"] == len(WAVES)  # closed at the end (WinRM shell quotas)


def test_batches_cost_two_requests_each(tmp_path: Path, endpoint: Endpoint) -> None:
    sheet = tmp_path / "w.csv"
    numbers = [n for n in range(3, 30) if n != 13][:25]
    sheet.write_text(
        "Source,Destination,Behavior\n" + "".join(f"CON-PC{n:04d},CON-NB{n:04d},0\n" for n in numbers)
    )
    result, rows = run_remote(endpoint, sheet, tmp_path, "--batch-size", "10")
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in rows] == ["created"] * 25
    creates = [b for b in endpoint.received if any(op["op"] == "call" for op in b["ops"])]
    assert [len(b["ops"]) for b in creates] == [10, 10, 5]
    # hello, site type, names, existing associations, 3 creation batches: one Send + one Receive each
    assert endpoint.requests["Send"] == len(endpoint.received) == SETUP_SENDS + 3
    assert endpoint.requests["Receive"] == SETUP_SENDS + 3 + 1  # + the READY line


def test_spreadsheet_text_only_travels_as_data(endpoint: Endpoint) -> None:
    hostile = [
        "x' OR Name LIKE '%",
        "A'$(calc)",
        "`whoami`",
        "a; Remove-Item C:\\ -Recurse",
        "line\nbreak",
        'dq"uote',
        "Jürgen-Ωμέγα",
        "\\\\server\\share",
        "$env:PATH",
        "@(1,2)|%{$_}",
    ]
    settings = WinRMSettings(
        endpoint.address,
        "DEM",
        username=USERNAME,
        password=PASSWORD,
        ca_bundle=endpoint.ca_bundle,
    )
    provider = WinRMProvider(settings)
    try:
        provider.connect()
        query = Query(SMS_R_SYSTEM, ("ResourceID", "Name"), tuple((("Name", h),) for h in hostile))
        [result] = provider.query([query])
    finally:
        provider.close()
    assert result.error is None
    assert result.rows == []
    [sent] = [b for b in endpoint.received if b["ops"][0]["op"] == "query"]
    assert sent["ops"][0]["keys"] == ["Name"]
    assert sent["ops"][0]["values"] == hostile
    # The command line is the constant bootstrap: nothing of the data is in it.
    [(command, arguments)] = endpoint.command_lines
    assert command == "powershell.exe"
    assert arguments.endswith("-EncodedCommand " + encoded_command())


def test_hostile_but_valid_names_and_users_reach_the_site_unchanged(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    odd_source, odd_destination = "A'$(CALC)", "B`{~}!#%^&"
    import sqlite3

    with sqlite3.connect(site_path) as db:
        db.execute("INSERT INTO computers (ResourceID, Name) VALUES (90000001, ?)", (odd_source,))
        db.execute("INSERT INTO computers (ResourceID, Name) VALUES (90000002, ?)", (odd_destination,))
    sheet = tmp_path / "w.csv"
    sheet.write_text(
        "Source\tDestination\tBehavior\tUsers\n"
        f"{odd_source}\t{odd_destination}\t1\tCONTOSO\\o'brien$(x);CONTOSO\\Jürgen`a;CONTOSO\\{{x}}&y\n",
        encoding="utf-8",
    )
    result, rows = run_remote(endpoint, sheet, tmp_path)
    assert result.exit_code == 0, result.output
    assert rows[0]["status"] == "created"
    [created] = [a for a in associations(site_path) if a["source_resource_id"] == 90000001]
    assert created["users"] == ["CONTOSO\\o'brien$(x)", "CONTOSO\\Jürgen`a", "CONTOSO\\{x}&y"]


def wave(tmp_path: Path, count: int = 25) -> Path:
    sheet = tmp_path / "w.csv"
    numbers = [n for n in range(3, 30) if n != 13][:count]
    sheet.write_text(
        "Source,Destination,Behavior,Users\n"
        + "".join(f"CON-PC{n:04d},CON-NB{n:04d},2,CONTOSO\\u{n}\n" for n in numbers)
    )
    return sheet


def assert_complete(site_path: Path, rows: list[dict], created: int) -> None:  # type: ignore[type-arg]
    keys = association_keys(site_path)
    assert len(keys) == 4 + created  # 4 were there before; none twice
    assert [r["status"] for r in rows].count("created") == created


@pytest.mark.parametrize(
    "fault",
    [
        Fault("Send", "503"),
        Fault("Receive", "503"),
        Fault("Send", "wsman", code=2150859046, wmi=0x800706BA),  # RPC server unavailable
        Fault("Send", "shell-gone"),  # idle timeout, WinRM restart, laptop asleep
        Fault("Receive", "shell-gone"),
        Fault("Send", "400"),  # pywinrm after a reconnect with message encryption
        Fault("Send", "wsman", code=0x803381A5),  # WS-Management quota
        Fault("Send", "drop-before"),
        Fault("Send", "drop-after"),  # applied on the server, reply lost
        Fault("Receive", "drop-after"),
        Fault("Receive", "exit"),  # powershell.exe died
        Fault("Create", "503"),
    ],
    ids=lambda f: f"{f.action}-{f.kind}-{f.code or ''}",
)
def test_transient_faults_are_retried_without_duplicates(
    tmp_path: Path, endpoint: Endpoint, site_path: Path, fault: Fault
) -> None:
    # Let the hello, lookups and plan pass, then fault the first creation batch (Create faults hit at once).
    skip = {"Send": SETUP_SENDS, "Receive": SETUP_SENDS + 1, "Create": 0}[fault.action]
    endpoint.faults = [Fault(fault.action, "pass") for _ in range(skip)] + [fault]
    result, rows = run_remote(endpoint, wave(tmp_path), tmp_path, "--batch-size", "10")
    assert result.exit_code == 0, result.output
    assert_complete(site_path, rows, 25)
    assert "retrying" in result.output
    # The server works on a batch when it is sent: a fault on its Receive, or one that drops the
    # Send's reply, comes after the work (the batch of 10 is read back, not sent again); any
    # other comes before it (the batch is sent again).
    applied = fault.action == "Receive" or fault.kind == "drop-after"
    confirmed = [r for r in rows if any("confirmed" in m["text"] for m in r["messages"])]
    assert len(confirmed) == (10 if applied else 0)
    assert PASSWORD not in result.output


def test_slow_reply_hits_the_read_timeout_and_is_retried(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    endpoint.faults = [Fault("Receive", "pass") for _ in range(4)] + [Fault("Receive", "slow", seconds=7)]
    result, rows = run_remote(
        endpoint, wave(tmp_path, 5), tmp_path, "--operation-timeout", "5", "--read-timeout", "6"
    )
    assert result.exit_code == 0, result.output
    assert "no answer within 6 s" in result.output
    assert_complete(site_path, rows, 5)


def test_operation_timeout_on_receive_is_just_polled_again(
    tmp_path: Path, endpoint: Endpoint, site_path: Path
) -> None:
    endpoint.faults = [Fault("Receive", "optimeout"), Fault("Receive", "pass"), Fault("Receive", "optimeout")]
    result, rows = run_remote(endpoint, wave(tmp_path, 5), tmp_path)
    assert result.exit_code == 0, result.output
    assert "retrying" not in result.output
    assert_complete(site_path, rows, 5)


def test_provider_gone_for_good(tmp_path: Path, endpoint: Endpoint, site_path: Path) -> None:
    # Create, Command, READY, then the setup batches (a Send and a Receive each) go through
    setup = 3 + 2 * SETUP_SENDS
    endpoint.faults = [Fault("", "pass") for _ in range(setup)] + [Fault("", "503") for _ in range(200)]
    result, rows = run_remote(endpoint, wave(tmp_path, 12), tmp_path, "--batch-size", "10", "--retries", "3")
    assert result.exit_code == 1, result.output
    assert "still failed after 3 attempts" in result.output
    assert [r["status"] for r in rows] == ["unknown"] * 10 + ["not sent"] * 2  # honest: never "failed"
    texts = [r["messages"][-1]["text"] for r in rows]
    reason = texts[-1].removeprefix("not sent (").removesuffix(")")  # why the run stopped
    assert "still failed after 3 attempts" in reason
    unknown = (
        f"outcome unknown ({reason}): run the same sheet again; if it was created it will show as exists"
    )
    assert texts == [unknown] * 10 + [f"not sent ({reason})"] * 2
    assert len(association_keys(site_path)) == 4


@pytest.mark.parametrize(
    ("setup", "extra", "fragment"),
    [
        ("bad-password", [], "rejected the credentials of CONTOSO\\svc-cmassoc (HTTP 401)"),
        ("401", [], "rejected the credentials"),
        ("access-denied", [], "access denied"),
        ("no-ca", [], "TLS failure"),
        ("site", [], "site code XYZ not found"),
        ("http400", [], "HTTP 400"),
    ],
)
def test_permanent_faults_are_one_clear_line_and_not_retried(
    tmp_path: Path,
    endpoint: Endpoint,
    site_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
    extra: list[str],
    fragment: str,
) -> None:
    args = remote_args(endpoint)
    if setup == "bad-password":
        monkeypatch.setenv("CMASSOC_PASSWORD", "wrong")
    elif setup == "401":
        endpoint.faults = [Fault("Create", "401")]
    elif setup == "access-denied":
        endpoint.faults = [Fault("Create", "wsman", code=5)]
    elif setup == "no-ca":
        args = [a for a in args if a not in ("--ca-bundle", endpoint.ca_bundle)]
    elif setup == "site":
        args[args.index("DEM")] = "XYZ"
    elif setup == "http400":
        endpoint.faults = [Fault("Create", "400")]
    before = site_snapshot(site_path)
    result = CliRunner().invoke(cli, [str(a) for a in ["run", wave(tmp_path, 3), *args, *extra]])
    assert result.exit_code == 1, result.output
    assert fragment in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("cmassoc: error:")]
    assert len(lines) == 1
    assert "Traceback" not in result.output
    assert "retrying" not in result.output
    # a wrong password or an untrusted certificate stops the first request before WinRM takes
    # it; the rest open their shell once, and never again
    assert endpoint.requests["Create"] == (0 if setup in ("bad-password", "no-ca") else 1)
    assert PASSWORD not in result.output
    assert site_snapshot(site_path) == before
    assert not list(tmp_path.glob("*-report-*.xlsx"))


def test_wrong_host_and_refused_connection(tmp_path: Path, endpoint: Endpoint) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    for server, fragment in (
        (f"127.0.0.1:{closed}", "refused the connection: WinRM is not listening there"),
        ("no-such-host.invalid", "host name not found"),
    ):
        args = remote_args(endpoint)
        args[args.index(endpoint.address)] = server
        result = CliRunner().invoke(cli, [str(a) for a in ["run", wave(tmp_path, 1), *args]])
        assert result.exit_code == 1, result.output
        assert fragment in result.output
        assert "retrying" not in result.output


def test_credentials_never_come_from_a_flag(
    tmp_path: Path, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CMASSOC_PASSWORD")
    result = CliRunner().invoke(cli, [str(a) for a in ["run", wave(tmp_path, 1), *remote_args(endpoint)]])
    assert result.exit_code == 2
    assert "no password for CONTOSO\\svc-cmassoc" in result.output
    flag = CliRunner().invoke(cli, ["run", "x.csv", "--password", "x"])
    assert flag.exit_code == 2
    assert "No such option" in flag.output


@pytest.mark.parametrize("auth", ["basic", "certificate"])
def test_logons_that_map_to_local_accounts_are_refused(tmp_path: Path, endpoint: Endpoint, auth: str) -> None:
    result = CliRunner().invoke(
        cli, [str(a) for a in ["run", wave(tmp_path, 1), *remote_args(endpoint), "--auth", auth]]
    )
    assert result.exit_code == 2, result.output
    assert f"--auth {auth} cannot work with ConfigMgr" in result.output
    assert "local account cannot hold a ConfigMgr security role" in result.output
    assert endpoint.requests["Create"] == 0


def test_config_file_makes_a_short_command(tmp_path: Path, endpoint: Endpoint) -> None:
    config = tmp_path / "cmassoc.toml"
    config.write_text(
        f'server = "{endpoint.address}"\nsite_code = "DEM"\nauth = "ntlm"\n'
        f'ca_bundle = "{endpoint.ca_bundle}"\nbatch_size = 2\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    result = invoke(
        "--config", config, "run", wave(tmp_path, 3), "--json", out, "--report", tmp_path / "r.xlsx"
    )
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in json.loads(out.read_text())["rows"]] == ["created"] * 3
    assert json.loads(out.read_text())["summary"]["batch_size"] == 2
    config.write_text('password = "x"\n', encoding="utf-8")
    refused = CliRunner().invoke(cli, ["--config", str(config), "validate", "x.csv"])
    assert refused.exit_code == 2
    assert "passwords do not belong in a file" in refused.output


def test_insecure_flag_warns(tmp_path: Path, endpoint: Endpoint) -> None:
    args = [a for a in remote_args(endpoint) if a not in ("--ca-bundle", endpoint.ca_bundle)]
    result = CliRunner().invoke(
        cli,
        [
            str(a)
            for a in [
                "run",
                wave(tmp_path, 1),
                *args,
                "--insecure-skip-tls-verify",
                "--dry-run",
                "--report",
                tmp_path / "r.xlsx",
            ]
        ],
    )
    assert result.exit_code == 0, result.output
    assert "WARNING: the server's certificate is not checked" in result.output


def test_password_appears_nowhere(tmp_path: Path, endpoint: Endpoint) -> None:
    endpoint.faults = [Fault("Send", "pass") for _ in range(3)] + [Fault("Send", "drop-before")]
    out, report = tmp_path / "r.json", tmp_path / "r.xlsx"
    result = CliRunner().invoke(
        cli,
        [
            str(a)
            for a in [
                "--debug",
                "run",
                wave(tmp_path, 3),
                *remote_args(endpoint),
                "--json",
                out,
                "--report",
                report,
            ]
        ],
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert PASSWORD not in out.read_text(encoding="utf-8")
    assert PASSWORD.encode() not in report.read_bytes()
    assert PASSWORD not in repr(WinRMSettings("h", "DEM", username="u", password=PASSWORD))


def test_wire_format_round_trips_and_refuses_mixed_matches() -> None:
    from importer.site.provider import SMS_STATE_MIGRATION, QueryResult
    from importer.site.winrm import wire

    query = Query(
        SMS_STATE_MIGRATION,
        ("SourceClientResourceID",),
        (
            (("SourceClientResourceID", 1), ("RestoreClientResourceID", 2)),
            (("SourceClientResourceID", 3), ("RestoreClientResourceID", 4)),
        ),
        ("UserNames",),
    )
    line = wire.encode_line({"id": "1", "ops": [wire.query_op(query)]})
    assert wire.query_from_op(wire.decode_line(line)["ops"][0]) == query
    rows = [{"SourceClientResourceID": 1, "UserNames": [{"UserName": "A\\b", "LocaleID": 0}]}]
    packed = wire.query_result_dict(QueryResult(rows=rows), ["SourceClientResourceID", "UserNames"])
    assert wire.query_result(packed).rows == rows
    mixed = Query(
        SMS_STATE_MIGRATION, ("X",), ((("SourceClientResourceID", 1),), (("RestoreClientResourceID", 2),))
    )
    with pytest.raises(ValueError, match="same properties"):
        wire.query_op(mixed)


def test_ntlm_the_default_auth(tmp_path: Path, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    """requests_ntlm's handshake against pyspnego's NTLM acceptor, over HTTPS (no message encryption)."""
    assert endpoint.auth == "ntlm"
    args = remote_args(endpoint)
    assert "--auth" not in args  # ntlm is what a run uses unless told otherwise
    out = tmp_path / "n.json"
    result = CliRunner().invoke(
        cli,
        [str(a) for a in ["run", wave(tmp_path, 3), *args, "--json", out, "--report", tmp_path / "n.xlsx"]],
    )
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in json.loads(out.read_text())["rows"]] == ["created"] * 3
    monkeypatch.setenv("CMASSOC_PASSWORD", "not-the-password")
    refused = CliRunner().invoke(cli, [str(a) for a in ["run", wave(tmp_path, 3), *args]])
    assert refused.exit_code == 1
    assert "rejected the credentials" in refused.output
