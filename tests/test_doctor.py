"""`cmassoc doctor` against the loopback endpoint, with each failure injected in turn."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from importer import messages as M
from importer.cli import cli
from importer.messages import Code
from tests.support.helpers import remote_args, site_snapshot
from tests.support.wsman_endpoint import Endpoint, Fault

ALL = [
    "name resolution",
    "TCP port",
    "TLS certificate",
    "authentication",
    "remote shell",
    "PowerShell",
    "namespace",
    "site type",
    "read SMS_R_System",
    "read SMS_StateMigration",
    "security role",
    "recovery keys",
]


def doctor(*args: str | Path) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(cli, ["doctor", *[str(a) for a in args], "--json"])
    data = json.loads(result.stdout)
    text = CliRunner().invoke(cli, ["doctor", *[str(a) for a in args]])
    assert text.exit_code == result.exit_code
    return result.exit_code, data, text.stdout


def outcomes(data: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["outcome"] for c in data["checks"]}


def test_a_healthy_site_passes_every_check(endpoint: Endpoint, site_path: Path) -> None:
    before = site_snapshot(site_path)
    code, data, text = doctor(*remote_args(endpoint))
    assert code == 0, text
    assert [c["name"] for c in data["checks"]] == ALL
    assert set(outcomes(data).values()) == {"ok"}
    assert {c["code"] for c in data["checks"]} == {None}  # ok needs no code
    [roles] = [c["detail"] for c in data["checks"] if c["name"] == "security role"]
    assert "Operating System Deployment Manager (via CONTOSO\\ConfigMgr OSD Admins)" in roles
    assert "version 5.1" in text and "FullLanguage" in text
    assert "All checks passed." in text
    assert site_snapshot(site_path) == before  # nothing changes


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("failure", "failed", "said", "fragment"),
    [
        # the check that fails, its code, and what of the case its words name ("": nothing more)
        ("dns", "name resolution", M.HOST_NOT_FOUND, "no-such-host.invalid"),
        ("port", "TCP port", M.PORT_CLOSED, ""),
        ("tls", "TLS certificate", M.TLS_NOT_TRUSTED, "unable to get local issuer certificate"),
        ("password", "authentication", M.CREDENTIALS_REJECTED, ""),
        ("shell", "remote shell", M.SHELL_REFUSED, ""),
        ("clm", "PowerShell", M.CONSTRAINED_LANGUAGE, "ConstrainedLanguage"),
        ("amsi", "PowerShell", M.SCRIPT_BLOCKED_BY_ANTIVIRUS, ""),
        ("site-code", "namespace", M.SITE_CODE_NOT_FOUND, "XYZ"),
        ("cas", "site type", M.NOT_PRIMARY_SITE, "central administration site"),
        ("unreadable", "read SMS_StateMigration", M.CLASS_NOT_READABLE, "0x80041003"),
        ("no-role", "security role", M.NOT_AN_ADMINISTRATIVE_USER, ""),
    ],
)
def test_each_failure_is_named_with_what_to_do(
    endpoint: Endpoint,
    site_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
    failed: str,
    said: Code,
    fragment: str,
) -> None:
    args = remote_args(endpoint)
    if failure == "dns":
        args[args.index(endpoint.address)] = "no-such-host.invalid"
    elif failure == "port":
        args[args.index(endpoint.address)] = f"127.0.0.1:{closed_port()}"
    elif failure == "tls":
        args = [a for a in args if a not in ("--ca-bundle", endpoint.ca_bundle)]
    elif failure == "password":
        monkeypatch.setenv("CMASSOC_PASSWORD", "wrong")
    elif failure == "shell":
        endpoint.faults = [
            Fault("Create", "wsman", code=2150859180, text="remote shell access is not allowed")
        ]
        endpoint.faults.append(
            Fault("Create", "wsman", code=2150859180, text="remote shell access is not allowed")
        )
    elif failure == "clm":
        endpoint.server.language = "ConstrainedLanguage"
    elif failure == "amsi":
        endpoint.server.amsi_blocks = True
    elif failure == "site-code":
        args[args.index("DEM")] = "XYZ"
    elif failure == "cas":
        with sqlite3.connect(site_path) as db:
            db.execute("UPDATE site SET site_type = 4")
    elif failure == "unreadable":
        endpoint.server.unreadable = ("SMS_StateMigration",)
    elif failure == "no-role":
        endpoint.server.groups = ("CONTOSO\\Domain Users",)
        with sqlite3.connect(site_path) as db:
            db.execute("DELETE FROM admins WHERE AccountType = 0")
    code, data, text = doctor(*args)
    assert code == 1, text
    got = outcomes(data)
    assert got[failed] == "FAIL", text
    [check] = [c for c in data["checks"] if c["name"] == failed]
    assert check["code"] == said.code, check
    assert fragment in check["detail"] + check["advice"], check
    assert f"{said}: " in text  # the console shows it too
    assert check["advice"], "every FAIL says what to do"
    assert [c["name"] for c in data["checks"]][: ALL.index(failed) + 1] == ALL[: ALL.index(failed) + 1]
    earlier = ALL[: ALL.index(failed)]
    assert [got[name] for name in earlier] == ["ok"] * len(earlier), text  # as on a healthy site
    assert "FAIL" in text and "->" in text
    assert "Traceback" not in text


def test_a_custom_role_cannot_be_confirmed(endpoint: Endpoint, site_path: Path) -> None:
    with sqlite3.connect(site_path) as db:
        db.execute("UPDATE admins SET RoleNames = 'Wave Team'")
    code, data, _text = doctor(*remote_args(endpoint))
    assert code == 0  # a note, not a failure
    [role] = [c for c in data["checks"] if c["name"] == "security role"]
    assert (role["outcome"], role["code"]) == ("note", M.ROLE_NOT_CONFIRMED.code)
    assert "Wave Team" in role["detail"]  # the role it could not judge


def test_doctor_on_the_demo_site(site_path: Path) -> None:
    code, data, _text = doctor("--demo", site_path)
    assert code == 0
    assert outcomes(data)["security role"] == "note"
