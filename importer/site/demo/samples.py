"""The sample inventory shipped with the package, for `--demo` and `demo-site create`."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from importer import messages as M
from importer.site.demo.builder import create_site


def _data(name: str) -> Path:
    return Path(str(resources.files("importer.site.demo") / "data" / name))


def create_sample_site(
    path: Path,
    inventory: Path | None = None,
    associations: Path | None = None,
    site_code: str = "DEM",
) -> None:
    """Without an inventory, the sample one and its existing associations are used."""
    if inventory is None:
        inventory = _data("demo-inventory.csv")
        associations = associations or _data("demo-associations.csv")
    create_site(path, inventory, associations, site_code)


def ensure_default_site(path: Path) -> None:
    if not path.exists():
        create_sample_site(path)
        said = M.Notice(M.DEMO_SITE_CREATED, f"created demo site {path.absolute()} from the sample inventory")
        print(f"cmassoc: {M.notice_line(said)}", file=sys.stderr)
