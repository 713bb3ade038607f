"""Creating a demo site: a new SQLite file with the current schema, filled from an inventory
CSV (and optionally its existing associations) with the site's code, its administrative users
and its collections."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from importer import db
from importer.errors import InputError
from importer.site.demo.schema import SITE_STEPS, new_recovery_key, now

# Collections of a new demo site: (CollectionID, Name, CollectionType 1 user / 2 device).
DEMO_COLLECTIONS = (
    ("SMS00001", "All Systems", 2),
    ("DEM00010", "Windows 11 Deployment", 2),
    ("DEM00011", "Wave Refresh - Pilot", 2),
    ("DEM00020", "Migration Users", 1),
)

# Administrative users of a new demo site: (LogonName, AccountType 0 user / 1 group, roles).
DEMO_ADMINS = (
    ("CONTOSO\\ConfigMgr OSD Admins", 1, "Operating System Deployment Manager"),
    ("CONTOSO\\svc-cmassoc", 0, "Operating System Deployment Manager;Read-only Analyst"),
)


def create_site(
    path: Path,
    inventory: Path,
    associations: Path | None = None,
    site_code: str = "DEM",
) -> None:
    """Build a demo site from an inventory CSV (and optionally existing associations)."""
    import pandas as pd

    if path.exists():
        raise InputError(f"'{path}' already exists.", "Delete it or choose another path.")
    try:
        computers = pd.read_csv(inventory, dtype=str, keep_default_na=False)
        pairs = (
            pd.read_csv(associations, dtype=str, keep_default_na=False) if associations is not None else None
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read demo inventory: {exc}") from exc
    required = {"Name", "ResourceID"}
    if not required <= set(computers.columns):
        raise InputError(f"'{inventory.name}' needs the columns Name and ResourceID.")

    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(db.connect(path)) as conn:
        db.upgrade(conn, SITE_STEPS)
        with db.transaction(conn):
            _fill(conn, site_code, computers, pairs)


def _fill(conn: sqlite3.Connection, site_code: str, computers: Any, pairs: Any) -> None:
    """A new site's rows, from the inventory and the associations read."""

    def flag(value: str, default: int) -> int:
        return int(value) if value.strip() else default

    conn.execute("INSERT INTO site (site_code) VALUES (?)", (site_code,))
    conn.executemany("INSERT INTO admins VALUES (?, ?, ?)", DEMO_ADMINS)
    conn.executemany("INSERT INTO collections VALUES (?, ?, ?)", DEMO_COLLECTIONS)
    for rec in computers.to_dict("records"):
        domain, _, user = str(rec.get("LastLogonUser", "")).rpartition("\\")
        conn.execute(
            "INSERT INTO computers (ResourceID, Name, Domain, Obsolete, Active, Client, Decommissioned, "
            "MAC, SMBIOSGUID, CreationDate, LastLogonUserDomain, LastLogonUserName) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                int(rec["ResourceID"]),
                rec["Name"],
                rec.get("Domain", ""),
                flag(rec.get("Obsolete", ""), 0),
                flag(rec.get("Active", ""), 1),
                flag(rec.get("Client", ""), 1),
                flag(rec.get("Decommissioned", ""), 0),
                rec.get("MAC", ""),
                rec.get("SMBIOSGUID", ""),
                rec.get("CreationDate", ""),
                domain,
                user,
            ),
        )
        for primary in filter(None, (u.strip() for u in str(rec.get("PrimaryUsers", "")).split(";"))):
            conn.execute("INSERT INTO affinity VALUES (?, ?, 1, '1')", (int(rec["ResourceID"]), primary))
    if pairs is not None:
        for rec in pairs.to_dict("records"):
            key = (int(rec["SourceResourceID"]), int(rec["RestoreResourceID"]))
            conn.execute(
                "INSERT INTO associations (SourceClientResourceID, RestoreClientResourceID, "
                "MigrationBehavior, MigrationStatus, Created, RecoveryKey) VALUES (?, ?, ?, ?, ?, ?)",
                (*key, int(rec["Behavior"]), flag(rec.get("Status", ""), 0), now(), new_recovery_key()),
            )
            for user in filter(None, (u.strip() for u in rec.get("Users", "").split(";"))):
                conn.execute("INSERT INTO association_users VALUES (?, ?, ?, 0)", (*key, user))
