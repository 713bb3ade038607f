from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

from importer.cli import cli
from importer.demo.samples import create_sample_site
from importer.demo.site import DemoSite

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


USERNAME = "CONTOSO\\svc-cmassoc"
PASSWORD = "S3cr3t-P@ss!w0rd"  # must never show up in any output


@pytest.fixture(scope="session")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certs")


@pytest.fixture
def endpoint(site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """A loopback WS-Management endpoint in front of the `site_path` demo site."""
    from tests.wsman_endpoint import Endpoint

    monkeypatch.setenv("CMASSOC_USERNAME", USERNAME)
    monkeypatch.setenv("CMASSOC_PASSWORD", PASSWORD)
    for proxy in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(proxy, raising=False)
    server = Endpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir).start()
    yield server
    server.stop()


def remote_args(endpoint: Endpoint, *extra: str | Path) -> list[str | Path]:
    """`cmassoc run` options that reach the loopback endpoint through pywinrm."""
    return [
        "--server",
        endpoint.address,
        "--site-code",
        "DEM",
        "--auth",
        "basic",
        "--ca-bundle",
        endpoint.ca_bundle,
        "--retry-wait",
        "0",
        *extra,
    ]
