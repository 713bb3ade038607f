"""The demo site's SQLite schema: the tables a simulated ConfigMgr site keeps, the numbered
steps (SITE_STEPS) that bring a file from any earlier release up to them, and the form the
stamps in those tables take."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import sqlite3

from importer import db

# WMI's DateTime for "no value": what the store dates hold until a task sequence sets them.
DMTF_NO_VALUE = "00000000000000.000000+***"

_SCHEMA = """
CREATE TABLE site (site_code TEXT NOT NULL, site_type INTEGER NOT NULL DEFAULT 2);
CREATE TABLE admins (
    LogonName TEXT NOT NULL COLLATE NOCASE,
    AccountType INTEGER NOT NULL DEFAULT 0,
    RoleNames TEXT NOT NULL DEFAULT ''
);
CREATE TABLE computers (
    ResourceID INTEGER PRIMARY KEY,
    Name TEXT NOT NULL COLLATE NOCASE,
    Domain TEXT NOT NULL DEFAULT '',
    Obsolete INTEGER NOT NULL DEFAULT 0,
    Active INTEGER NOT NULL DEFAULT 1,
    Client INTEGER NOT NULL DEFAULT 1,
    Decommissioned INTEGER NOT NULL DEFAULT 0,
    MAC TEXT NOT NULL DEFAULT '',
    SMBIOSGUID TEXT NOT NULL DEFAULT '',
    CreationDate TEXT NOT NULL DEFAULT '',
    LastLogonUserDomain TEXT NOT NULL DEFAULT '',
    LastLogonUserName TEXT NOT NULL DEFAULT ''
);
CREATE INDEX computers_name ON computers (Name);
CREATE TABLE collections (
    CollectionID TEXT PRIMARY KEY COLLATE NOCASE,
    Name TEXT NOT NULL,
    CollectionType INTEGER NOT NULL DEFAULT 2  -- 1 user, 2 device
);
CREATE TABLE collection_rules (
    CollectionID TEXT NOT NULL COLLATE NOCASE,
    ResourceID INTEGER NOT NULL,
    RuleName TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (CollectionID, ResourceID)
);
CREATE TABLE affinity (
    ResourceID INTEGER NOT NULL,
    UniqueUserName TEXT NOT NULL,
    IsActive INTEGER NOT NULL DEFAULT 1,
    Types TEXT NOT NULL DEFAULT '1'  -- type numbers joined by semicolons, 1 = primary user
);
CREATE TABLE associations (
    SourceClientResourceID INTEGER NOT NULL,
    RestoreClientResourceID INTEGER NOT NULL,
    MigrationBehavior INTEGER NOT NULL,
    MigrationStatus INTEGER NOT NULL DEFAULT 0,
    MigrationType INTEGER NOT NULL DEFAULT 1,
    StoreCreationDate TEXT NOT NULL DEFAULT '00000000000000.000000+***',
    StoreReleaseDate TEXT NOT NULL DEFAULT '00000000000000.000000+***',
    StoreDeletionDate TEXT NOT NULL DEFAULT '00000000000000.000000+***',
    StorePath TEXT NOT NULL DEFAULT '',
    Created TEXT NOT NULL,
    PRIMARY KEY (SourceClientResourceID, RestoreClientResourceID)
);
CREATE INDEX associations_restore ON associations (RestoreClientResourceID);
CREATE TABLE association_users (
    SourceClientResourceID INTEGER NOT NULL,
    RestoreClientResourceID INTEGER NOT NULL,
    UserName TEXT NOT NULL,
    LocaleID INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX association_users_pair
    ON association_users (SourceClientResourceID, RestoreClientResourceID);
"""


def new_recovery_key() -> str:
    """A key in USMT's form, as the site makes one for each association: 256 characters of the
    Base64 alphabet (192 random bytes), USMT's longest KeyString."""
    return base64.b64encode(secrets.token_bytes(192)).decode("ascii")


def now() -> str:
    """When a row was made (an association's Created, an imported computer's CreationDate)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _first_schema(conn: sqlite3.Connection) -> None:
    """Step 1: the schema of release 0.1.0. A site from before schema versions has most of it;
    those made by earlier versions lack what later ones read."""
    for statement in filter(str.strip, _SCHEMA.split(";")):
        conn.execute(re.sub(r"^(\s*CREATE (?:UNIQUE )?(?:TABLE|INDEX))", r"\1 IF NOT EXISTS", statement))
    if "site_type" not in db.columns(conn, "site"):
        conn.execute("ALTER TABLE site ADD COLUMN site_type INTEGER NOT NULL DEFAULT 2")
    if "StorePath" not in db.columns(conn, "associations"):
        conn.execute("ALTER TABLE associations ADD COLUMN StorePath TEXT NOT NULL DEFAULT ''")
    computer_columns = db.columns(conn, "computers")
    for column in ("LastLogonUserDomain", "LastLogonUserName"):
        if column not in computer_columns:
            conn.execute(f"ALTER TABLE computers ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


# Step 2: what readiness and --copy-collections read. A client's last activity is kept as days
# before "now" (LastActiveDaysAgo, NULL: never active), so a sample site never ages; a client is
# assigned to the site unless AssignedSite names another. Collections get their limiting
# collection, members by query rule, and deployments; the site gets a state migration point.
# Membership (SMS_FullCollectionMembership) is a view: a rule counts only for a computer its
# limiting collection holds, and All Systems holds every computer.
_READINESS_AND_COLLECTIONS = """
ALTER TABLE computers ADD COLUMN LastActiveDaysAgo INTEGER;
ALTER TABLE computers ADD COLUMN AssignedSite TEXT NOT NULL DEFAULT '';
UPDATE computers SET LastActiveDaysAgo = 0, AssignedSite = (SELECT site_code FROM site) WHERE Client = 1;
ALTER TABLE collections ADD COLUMN LimitToCollectionID TEXT NOT NULL DEFAULT 'SMS00001' COLLATE NOCASE;
UPDATE collections SET LimitToCollectionID = '' WHERE CollectionID = 'SMS00001' OR CollectionType = 1;
CREATE TABLE collection_query_members (
    CollectionID TEXT NOT NULL COLLATE NOCASE,
    ResourceID INTEGER NOT NULL,
    RuleName TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (CollectionID, ResourceID)
);
CREATE TABLE deployments (
    DeploymentID TEXT PRIMARY KEY,
    CollectionID TEXT NOT NULL COLLATE NOCASE,
    SoftwareName TEXT NOT NULL DEFAULT '',
    FeatureType INTEGER NOT NULL,  -- 1 application, 2 program, 7 task sequence...
    DeploymentIntent INTEGER NOT NULL DEFAULT 1  -- 1 required, 2 available
);
CREATE TABLE state_migration_points (
    ServerName TEXT NOT NULL,
    SMPQuiesceState INTEGER NOT NULL DEFAULT 0,  -- 1: restore-only mode
    SMPStoreDeletionDelayTimeInMinutes INTEGER NOT NULL DEFAULT 1440
);
INSERT INTO state_migration_points VALUES ('SMP01.contoso.com', 0, 1440);
CREATE VIEW full_membership AS
WITH RECURSIVE members (CollectionID, ResourceID, IsDirect) AS (
    SELECT 'SMS00001', ResourceID, 0 FROM computers
    UNION
    SELECT r.CollectionID, r.ResourceID, 1 FROM collection_rules r
        JOIN collections c ON c.CollectionID = r.CollectionID
        JOIN members m ON m.CollectionID = c.LimitToCollectionID AND m.ResourceID = r.ResourceID
    UNION
    SELECT q.CollectionID, q.ResourceID, 0 FROM collection_query_members q
        JOIN collections c ON c.CollectionID = q.CollectionID
        JOIN members m ON m.CollectionID = c.LimitToCollectionID AND m.ResourceID = q.ResourceID
)
SELECT m.CollectionID AS CollectionID, m.ResourceID AS ResourceID, c.Name AS Name,
    MAX(m.IsDirect) AS IsDirect
FROM members m JOIN computers c ON c.ResourceID = m.ResourceID
GROUP BY m.CollectionID, m.ResourceID
"""


def _recovery_keys(conn: sqlite3.Connection) -> None:
    """Step 3: each association keeps the key that encrypts its user state (what
    GetEncryptDecryptKey gives), made when it is made and forgotten when it is deleted. The
    associations of a site from before this step get theirs now, as a real site has one for
    each: they were made before the demo site knew of keys."""
    conn.execute("ALTER TABLE associations ADD COLUMN RecoveryKey TEXT")
    pairs = conn.execute(
        "SELECT SourceClientResourceID, RestoreClientResourceID FROM associations"
    ).fetchall()
    conn.executemany(
        "UPDATE associations SET RecoveryKey = ? "
        "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
        [(new_recovery_key(), source, restore) for source, restore in pairs],
    )


SITE_STEPS: tuple[db.Step, ...] = (
    _first_schema,
    _READINESS_AND_COLLECTIONS,
    _recovery_keys,
)  # add a step for each change: never edit one
