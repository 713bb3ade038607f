from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from importer.cli import cli
from importer.pipeline import run_wave
from importer.read.wave import read_wave
from importer.results import RunOptions, RunResult
from importer.site.demo.provider import DemoSite
from importer.site.demo.samples import create_sample_site
from importer.site.gateway import build_site
from importer.site.provider import Provider
from importer.site.retry import RetryPolicy

if TYPE_CHECKING:
    from tests.wsman_endpoint import Endpoint

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
EXAMPLES = Path(__file__).resolve().parent / "examples"


@pytest.fixture(autouse=True)
def journal_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test journals into its own folder, never next to the shipped samples."""
    path = tmp_path / "journal.db"
    monkeypatch.setenv("CMASSOC_JOURNAL", str(path))
    monkeypatch.delenv("CMASSOC_DEMO_LATENCY", raising=False)
    return path


@pytest.fixture
def site_path(tmp_path: Path) -> Path:
    """A fresh demo site built from the sample inventory and its existing associations."""
    path = tmp_path / "site.db"
    create_sample_site(path)
    return path


@pytest.fixture
def site(site_path: Path) -> Iterator[DemoSite]:
    provider = DemoSite(site_path)
    yield provider
    provider.close()


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


# What a run sends before its first creation batch: hello, the site's type, the names, and
# the associations already touching those computers (a Send and a Receive each; the first
# Receive reads the READY line).
SETUP_SENDS = 4
USERNAME = "CONTOSO\\svc-cmassoc"
PASSWORD = "S3cr3t-P@ss!w0rd"  # must never show up in any output


@pytest.fixture(scope="session")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certs")


@pytest.fixture
def endpoint(site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """A loopback WS-Management endpoint in front of the `site_path` demo site."""
    from tests.wsman_endpoint import Endpoint

    remote_env(monkeypatch)
    server = Endpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir).start()
    yield server
    server.stop()


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
