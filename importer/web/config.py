"""What `cmassoc serve`'s web application is configured with: its store and worker, the
site's label, the upload limit and the input limits, and a trusted proxy's user header."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from importer import InputLimits
from importer.web.store import Role, Store
from importer.web.worker import Worker


@dataclass
class WebConfig:
    store: Store
    worker: Worker
    site_label: str  # "demo site demo-site.db" or "DEM on cm01.contoso.com"
    upload_limit: int = 50 * 1024 * 1024
    limits: InputLimits = field(default_factory=InputLimits)
    trusted_user_header: str | None = None  # set by a reverse proxy doing Windows logon
    trusted_roles: Mapping[str, Role] = field(default_factory=dict)
