"""The fixtures every test may take: its own journal, a fresh demo site, the loopback endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from importer.site.demo.provider import DemoSite
from importer.site.demo.samples import create_sample_site
from tests.support.helpers import PASSWORD, USERNAME, remote_env

if TYPE_CHECKING:
    from tests.support.wsman_endpoint import Endpoint


@pytest.fixture(autouse=True)
def journal_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test journals into its own folder, never next to the shipped samples."""
    path = tmp_path / "journal.db"
    monkeypatch.setenv("CMASSOC_JOURNAL", str(path))
    monkeypatch.delenv("CMASSOC_DEMO_LATENCY", raising=False)
    return path


@pytest.fixture(autouse=True)
def user_data(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps its index of runs (and serve's folder) in a user data folder of its own,
    never the real home's."""
    folder = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    monkeypatch.setenv("LOCALAPPDATA", str(folder))
    return folder


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


@pytest.fixture(scope="session")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certs")


@pytest.fixture
def endpoint(site_path: Path, cert_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """A loopback WS-Management endpoint in front of the `site_path` demo site."""
    from tests.support.wsman_endpoint import Endpoint

    remote_env(monkeypatch)
    server = Endpoint(lambda: DemoSite(site_path), USERNAME, PASSWORD, cert_dir).start()
    yield server
    server.stop()
