"""Creating a demo site: a new SQLite file with the current schema, filled from an inventory
CSV (and optionally its existing associations) with the site's code, its administrative users
and its collections."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from importer import db
from importer import messages as M
from importer.errors import InputError
from importer.site.demo.schema import SITE_STEPS, new_recovery_key, now

# Collections of a new demo site: (CollectionID, Name, CollectionType 1 user / 2 device, the
# limiting collection).
DEMO_COLLECTIONS = (
    ("SMS00001", "All Systems", 2, ""),
    ("SMSDM003", "All Desktop and Server Clients", 2, "SMS00001"),
    ("DEM00010", "Windows 11 Deployment", 2, "SMS00001"),
    ("DEM00011", "Wave Refresh - Pilot", 2, "SMS00001"),
    ("DEM00012", "Finance Apps", 2, "DEM00014"),
    ("DEM00013", "OSD - Windows 11 Upgrade", 2, "SMS00001"),
    ("DEM00014", "All Workstations", 2, "SMS00001"),
    ("DEM00015", "Office 365 Apps", 2, "SMS00001"),
    ("DEM00016", "Legacy VPN Client", 2, "SMS00001"),
    ("DEM00020", "Migration Users", 1, ""),
)
# The old computers' direct memberships (collection, computer names): what --copy-collections
# copies, and what it leaves (a built-in collection, one limited to All Workstations, which holds
# no new computer, and one with a task sequence deployed to it).
DEMO_DIRECT_MEMBERS = (
    ("SMSDM003", ("CON-PC0004",)),  # a direct rule on a built-in collection: never copied
    ("DEM00012", ("CON-PC0003", "CON-PC0006", "CON-PC0038")),
    ("DEM00013", ("CON-PC0004", "CON-PC0005")),
    ("DEM00015", ("CON-PC0003", "CON-PC0004", "CON-PC0006", "CON-PC0008", "CON-PC0033", "CON-PC0038")),
    ("DEM00016", ("CON-PC0006", "CON-PC0008")),
)
# All Workstations holds the old computers by a query rule (the new ones have no inventory yet).
QUERY_MEMBERS = ("DEM00014", "Workstations by operating system", "CON-PC%")
# (DeploymentID, CollectionID, software, FeatureType 7 task sequence / 1 application, intent).
DEMO_DEPLOYMENTS = (
    ("DEM20001", "DEM00013", "Windows 11 23H2 In-Place Upgrade", 7, 1),
    ("DEM20002", "DEM00015", "Microsoft 365 Apps", 1, 1),
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
        raise InputError(f"'{path}' already exists.", "Delete it or choose another path.", code=M.FILE_EXISTS)
    try:
        computers = pd.read_csv(inventory, dtype=str, keep_default_na=False)
        pairs = (
            pd.read_csv(associations, dtype=str, keep_default_na=False) if associations is not None else None
        )
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read demo inventory: {exc}", code=M.DEMO_INVENTORY_UNREADABLE) from exc
    required = {"Name", "ResourceID"}
    if not required <= set(computers.columns):
        raise InputError(
            f"'{inventory.name}' needs the columns Name and ResourceID.", code=M.DEMO_INVENTORY_COLUMNS
        )

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
    conn.executemany(
        "INSERT INTO collections (CollectionID, Name, CollectionType, LimitToCollectionID) "
        "VALUES (?, ?, ?, ?)",
        DEMO_COLLECTIONS,
    )
    for rec in computers.to_dict("records"):
        domain, _, user = str(rec.get("LastLogonUser", "")).rpartition("\\")
        client = flag(rec.get("Client", ""), 1)
        days = str(rec.get("LastActiveDaysAgo", "")).strip()
        conn.execute(
            "INSERT INTO computers (ResourceID, Name, Domain, Obsolete, Active, Client, Decommissioned, "
            "MAC, SMBIOSGUID, CreationDate, LastLogonUserDomain, LastLogonUserName, LastActiveDaysAgo, "
            "AssignedSite) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                int(rec["ResourceID"]),
                rec["Name"],
                rec.get("Domain", ""),
                flag(rec.get("Obsolete", ""), 0),
                flag(rec.get("Active", ""), 1),
                client,
                flag(rec.get("Decommissioned", ""), 0),
                rec.get("MAC", ""),
                rec.get("SMBIOSGUID", ""),
                rec.get("CreationDate", ""),
                domain,
                user,
                # A client is active today and assigned to this site unless the inventory says
                # otherwise; a computer without one has neither.
                int(days) if days else (0 if client else None),
                rec.get("AssignedSite", "") or (site_code if client else ""),
            ),
        )
        for primary in filter(None, (u.strip() for u in str(rec.get("PrimaryUsers", "")).split(";"))):
            conn.execute("INSERT INTO affinity VALUES (?, ?, 1, '1')", (int(rec["ResourceID"]), primary))
    _fill_collections(conn)
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


def _fill_collections(conn: sqlite3.Connection) -> None:
    """The sample collections' members and deployments (computers the inventory lacks are left out)."""
    for collection_id, names in DEMO_DIRECT_MEMBERS:
        for name in names:
            conn.execute(
                "INSERT OR IGNORE INTO collection_rules SELECT ?, ResourceID, Name FROM computers "
                "WHERE Name = ? AND Obsolete = 0 AND Decommissioned = 0",
                (collection_id, name),
            )
    collection_id, rule, pattern = QUERY_MEMBERS
    conn.execute(
        "INSERT INTO collection_query_members SELECT ?, ResourceID, ? FROM computers "
        "WHERE Name LIKE ? AND Client = 1 AND Obsolete = 0 AND Decommissioned = 0",
        (collection_id, rule, pattern),
    )
    conn.executemany("INSERT INTO deployments VALUES (?, ?, ?, ?, ?)", DEMO_DEPLOYMENTS)
