"""Helpers the tests share: sample paths, sheets written on the fly, runs on a demo site, and
the options that reach the loopback WinRM endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from importer.cli import cli
from importer.pipeline import run_wave
from importer.read.wave import read_wave
from importer.results import RunOptions, RunResult
from importer.site.gateway import build_site
from importer.site.provider import Provider
from importer.site.retry import RetryPolicy

if TYPE_CHECKING:
    from tests.support.wsman_endpoint import Endpoint

ROOT = Path(__file__).resolve().parents[2]

SAMPLES = ROOT / "samples"

EXAMPLES = ROOT / "tests" / "examples"

NO_WAIT = RetryPolicy(attempts=4, max_seconds=30, wait_first=0, wait_max=0)

# Sample computers with one live record each and no association yet (CON-PC0013 has two records).
FREE = [n for n in range(3, 30) if n != 13]


def sheet(tmp_path: Path, text: str, name: str = "wave.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def pairs_sheet(tmp_path: Path, count: int) -> Path:
    """`count` behaviour-2 pairs of sample computers that have no association yet."""
    lines = ["Source,Destination,Behavior,Users"]
    lines += [f"CON-PC{n:04d},CON-NB{n:04d},2,CONTOSO\\user{n}" for n in FREE[:count]]
    return sheet(tmp_path, "\n".join(lines) + "\n")


def run_on(path: Path, provider: Provider, **options: object) -> RunResult:
    """The pipeline as a library call, without retry waits."""
    opts = RunOptions(**{"retry": NO_WAIT, **options})  # type: ignore[arg-type]
    return run_wave(read_wave(path), build_site(provider, opts), opts)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def site_snapshot(path: Path) -> dict[str, object]:
    """The site as `cmassoc demo-site show --json` prints it."""
    result = invoke("demo-site", "show", path, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def association_keys(path: Path) -> list[tuple[int, int]]:
    associations = site_snapshot(path)["associations"]
    assert isinstance(associations, list)
    return [(a["source_resource_id"], a["restore_resource_id"]) for a in associations]


def ids_by_name(path: Path) -> dict[str, int]:
    """Live ResourceIDs by name, from the site itself."""
    computers = site_snapshot(path)["computers"]
    assert isinstance(computers, list)
    return {c["name"]: c["resource_id"] for c in computers if not c["obsolete"] and not c["decommissioned"]}


# What a run sends before its first creation batch: hello, the site's type, the names, the
# associations already touching those computers, and the pairs' readiness (a Send and a Receive
# each; the first Receive reads the READY line).
SETUP_SENDS = 5

USERNAME = "CONTOSO\\svc-cmassoc"

PASSWORD = "S3cr3t-P@ss!w0rd"  # must never show up in any output


def remote_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test account in the environment, and no proxy or CA bundle from it."""
    monkeypatch.setenv("CMASSOC_USERNAME", USERNAME)
    monkeypatch.setenv("CMASSOC_PASSWORD", PASSWORD)
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(proxy, raising=False)


def remote_args(endpoint: Endpoint, *extra: str | Path) -> list[str | Path]:
    """`cmassoc run` options that reach the loopback endpoint through pywinrm."""
    return [
        "--server",
        endpoint.address,
        "--site-code",
        "DEM",
        "--ca-bundle",
        endpoint.ca_bundle,
        "--retry-wait",
        "0",
        *extra,
    ]


def run_remote(
    endpoint: Endpoint, sheet: Path, tmp_path: Path, *extra: str | Path
) -> tuple[Result, list[dict[str, Any]]]:
    out = tmp_path / "remote.json"
    out.unlink(missing_ok=True)
    result = CliRunner().invoke(
        cli,
        [
            str(a)
            for a in [
                "run",
                sheet,
                *remote_args(endpoint, *extra),
                "--json",
                out,
                "--report",
                tmp_path / "remote.xlsx",
            ]
        ],
    )
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"] if out.exists() else []
    return result, rows
