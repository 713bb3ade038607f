from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from importer.cli import cli
from importer.demo.samples import create_sample_site
from importer.demo.site import DemoSite

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
EXAMPLES = Path(__file__).resolve().parent / "examples"


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
