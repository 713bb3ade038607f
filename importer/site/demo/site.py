"""A simulated ConfigMgr site in one SQLite file, reached only through the Provider seam.

It enforces what ConfigMgr is known to enforce (configmgr-facts.md) and, where
ConfigMgr's behaviour is unconfirmed, takes the strict side and says so:

- A refused call answers WBEM_E_FAILED ("Generic failure") with the reason in
  SMS_ExtendedStatus, as the SMS Provider does: source = restore, obsolete or
  decommissioned records, behaviour 1/2 without users, users not DOMAIN\\user, a
  behaviour-2 source with a second association, a destination with a second source.
- AddAssociationEx on a pair that exists: WBEM_E_ALREADY_EXISTS (unconfirmed);
  ResourceID 0 or unknown: WBEM_E_NOT_FOUND (unconfirmed).
- Queries past WMI's limits (WMI_LIMITS: 16,384 characters, 100 AND/OR terms) answer
  WBEM_E_QUOTA_VIOLATION.
- UserNames is lazy: returned only when asked for as lazy (keyed reads).
- SMS_Site says what kind of site it is (primary unless created otherwise); SMS_Admin
  lists the administrative users and their role names.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, closing
from pathlib import Path
from typing import Any

from importer import db
from importer.errors import InputError
from importer.site.batching import chunks
from importer.site.provider import (
    DELETE_INSTANCE,
    SMS_ADMIN,
    SMS_COLLECTION,
    SMS_FULL_COLLECTION_MEMBERSHIP,
    SMS_R_SYSTEM,
    SMS_SITE,
    SMS_STATE_MIGRATION,
    SMS_USER_MACHINE_RELATIONSHIP,
    WBEM_E_ALREADY_EXISTS,
    WBEM_E_FAILED,
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_QUERY,
    WBEM_E_NOT_FOUND,
    WBEM_E_QUOTA_VIOLATION,
    WMI_LIMITS,
    CallResult,
    MethodCall,
    ProviderInfo,
    Query,
    QueryResult,
    WmiError,
    over_limits,
)

DMTF_NO_VALUE = "00000000000000.000000+***"
_USER = re.compile(r"^[^\\/:*?\"<>|, ]{1,15}\\[^\\\"/\[\]:;|=,+*?<>]{1,20}$")

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

# Public property name -> SQL expression, per class.
_SYSTEM_COLUMNS = {
    "ResourceID": "c.ResourceID",
    "Name": "c.Name",
    "NetbiosName": "c.Name",
    "ResourceDomainORWorkgroup": "c.Domain",
    "Obsolete": "c.Obsolete",
    "Active": "c.Active",
    "Client": "c.Client",
    "Decommissioned": "c.Decommissioned",
    "MACAddresses": "c.MAC",
    "SMBIOSGUID": "c.SMBIOSGUID",
    "CreationDate": "c.CreationDate",
    "LastLogonUserDomain": "c.LastLogonUserDomain",
    "LastLogonUserName": "c.LastLogonUserName",
}
_MIGRATION_COLUMNS = {
    "SourceClientResourceID": "a.SourceClientResourceID",
    "RestoreClientResourceID": "a.RestoreClientResourceID",
    "MigrationBehavior": "a.MigrationBehavior",
    "MigrationStatus": "a.MigrationStatus",
    "MigrationType": "a.MigrationType",
    "SourceName": "s.Name",
    "RestoreName": "r.Name",
    "SiteCode": "(SELECT site_code FROM site)",
    "StoreCreationDate": "a.StoreCreationDate",
    "StoreReleaseDate": "a.StoreReleaseDate",
    "StoreDeletionDate": "a.StoreDeletionDate",
    "StorePath": "a.StorePath",
    "UserNames": "NULL",
}
_SITE_COLUMNS = {"SiteCode": "site_code", "Type": "site_type"}
_ADMIN_COLUMNS = {"LogonName": "LogonName", "AccountType": "AccountType", "RoleNames": "RoleNames"}
_COLLECTION_COLUMNS = {"CollectionID": "CollectionID", "Name": "Name", "CollectionType": "CollectionType"}
_MEMBERSHIP_COLUMNS = {"CollectionID": "m.CollectionID", "ResourceID": "m.ResourceID", "Name": "m.Name"}
_AFFINITY_COLUMNS = {
    "ResourceID": "ResourceID",
    "UniqueUserName": "UniqueUserName",
    "IsActive": "IsActive",
    "Types": "Types",
}
ALL_SYSTEMS = "SMS00001"
_FROM = {
    SMS_COLLECTION: ("collections", _COLLECTION_COLUMNS),
    SMS_FULL_COLLECTION_MEMBERSHIP: (
        "(SELECT r.CollectionID AS CollectionID, r.ResourceID AS ResourceID, c.Name AS Name "
        "FROM collection_rules r JOIN computers c ON c.ResourceID = r.ResourceID "
        f"UNION SELECT '{ALL_SYSTEMS}', ResourceID, Name FROM computers) m",
        _MEMBERSHIP_COLUMNS,
    ),
    SMS_USER_MACHINE_RELATIONSHIP: ("affinity", _AFFINITY_COLUMNS),
    SMS_SITE: ("site", _SITE_COLUMNS),
    SMS_ADMIN: ("admins", _ADMIN_COLUMNS),
    SMS_R_SYSTEM: ("computers c", _SYSTEM_COLUMNS),
    SMS_STATE_MIGRATION: (
        "associations a LEFT JOIN computers s ON s.ResourceID = a.SourceClientResourceID "
        "LEFT JOIN computers r ON r.ResourceID = a.RestoreClientResourceID",
        _MIGRATION_COLUMNS,
    ),
}
_STRING_PROPERTIES = {
    "SiteCode",
    "CollectionID",
    "UniqueUserName",
    "LogonName",
    "Name",
    "NetbiosName",
    "ResourceDomainORWorkgroup",
    "SourceName",
    "RestoreName",
    "SMBIOSGUID",
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _dmtf_now() -> str:
    """Now, as WMI writes a DateTime (UTC offset in minutes)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S.000000+000")


class DemoSite:
    """The simulated SMS Provider (implements importer.site.provider.Provider)."""

    def __init__(self, path: Path, latency: float = 0.0) -> None:
        if not path.is_file():
            raise InputError(
                f"demo site '{path}' does not exist.", "Create it with `cmassoc demo-site create`."
            )
        self.path = path.resolve()  # the journal names the site by it, whatever the working folder
        # check_same_thread=False: the loopback WinRM endpoint in the tests serves from threads.
        self._db = db.connect(path)
        try:
            row = self._db.execute("SELECT site_code FROM site").fetchone()
            db.upgrade(self._db, SITE_STEPS)
            # Each call commits on its own, like the provider; WAL with NORMAL sync makes that a
            # write to the log instead of an fsync, and a killed process still loses nothing.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except (sqlite3.DatabaseError, db.NewerSchema) as exc:
            self._db.close()
            raise InputError(f"'{path}' is not a demo site this release can use ({exc}).") from exc
        self._site_code = str(row[0])
        # A simulated round-trip time, to watch progress or rehearse Ctrl-C and resume:
        # half before the work of a call, half after it.
        self.latency = latency

    @property
    def info(self) -> ProviderInfo:
        return ProviderInfo("demo", str(self.path), self._site_code)

    def close(self) -> None:
        self._db.close()

    # -- queries ---------------------------------------------------------------

    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        self._wait()
        results = [self._query(q) for q in queries]
        self._wait()
        return results

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency / 2)

    def _query(self, query: Query) -> QueryResult:
        if query.class_name not in _FROM:
            return QueryResult(error=WmiError(WBEM_E_INVALID_CLASS, f"Invalid class {query.class_name}"))
        table, columns = _FROM[query.class_name]
        unknown = [p for p in (*query.properties, *query.lazy) if p not in columns]
        unknown += [p for m in query.matches for p, _ in m if p not in columns]
        if unknown:
            return QueryResult(error=WmiError(WBEM_E_INVALID_QUERY, f"Invalid query: {unknown[0]}"))
        if query.lazy and not query.by_key:
            # WMI returns lazy properties only for instances read by path: ask for them so.
            return QueryResult(error=WmiError(WBEM_E_INVALID_QUERY, "lazy properties need a keyed read"))
        problem = over_limits(query, WMI_LIMITS)
        if problem is not None:
            return QueryResult(error=WmiError(WBEM_E_QUOTA_VIOLATION, f"Quota violation ({problem})"))
        wanted = list(dict.fromkeys((*query.properties, *query.lazy)))
        select = ", ".join(f"{columns[p]} AS [{p}]" for p in wanted)
        rows: list[dict[str, object]] = []
        for chunk in chunks(query.matches, 200) if query.matches else [()]:
            terms, params = [], []
            for match in chunk:
                parts = []
                for prop, value in match:
                    if prop == "MACAddresses":  # an array: a match on any of its elements
                        parts.append(f"(';' || {columns[prop]} || ';') LIKE ('%;' || ? || ';%')")
                    else:
                        collate = " COLLATE NOCASE" if prop in _STRING_PROPERTIES else ""
                        parts.append(f"{columns[prop]} = ?{collate}")
                    params.append(value)
                terms.append("(" + " AND ".join(parts) + ")")
            sql = f"SELECT {select} FROM {table} WHERE {' OR '.join(terms) or '1=1'}"
            for values in self._db.execute(sql, params):
                rows.append(dict(zip(wanted, values, strict=True)))
        for row in rows:
            if "UserNames" in row:
                key = (row["SourceClientResourceID"], row["RestoreClientResourceID"])
                row["UserNames"] = self._users(*key) if "UserNames" in query.lazy else None
            if "MACAddresses" in row:
                row["MACAddresses"] = [m for m in str(row["MACAddresses"]).split(";") if m]
            if "RoleNames" in row:
                row["RoleNames"] = [r for r in str(row["RoleNames"]).split(";") if r]
            if query.class_name == SMS_USER_MACHINE_RELATIONSHIP and "Types" in row:
                row["Types"] = [int(t) for t in str(row["Types"]).split(";") if t.strip().isdigit()]
        return QueryResult(rows=rows)

    def _users(self, source: object, restore: object) -> list[dict[str, object]]:
        cursor = self._db.execute(
            "SELECT UserName, LocaleID FROM association_users "
            "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ? ORDER BY rowid",
            (source, restore),
        )
        return [{"UserName": u, "LocaleID": loc} for u, loc in cursor]

    # -- methods ---------------------------------------------------------------

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        self._wait()
        results = self._call(calls)
        self._wait()
        return results

    def _call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        results = []
        for call in calls:
            handler = _METHODS.get((call.class_name, call.method, call.instance is not None))
            if handler is None:
                results.append(
                    CallResult(
                        error=WmiError(
                            WBEM_E_INVALID_CLASS
                            if call.class_name != SMS_STATE_MIGRATION
                            else WBEM_E_NOT_FOUND,
                            f"Method {call.class_name}.{call.method} not found",
                        )
                    )
                )
                continue
            with self._transaction():
                results.append(handler(self, call))
        return results

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return db.transaction(self._db)

    def _computers(self, *resource_ids: object) -> dict[int, tuple[Any, ...]]:
        ids = [i for i in resource_ids if isinstance(i, int) and i > 0]
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        cursor = self._db.execute(
            f"SELECT ResourceID, Name, Obsolete, Decommissioned FROM computers WHERE ResourceID IN ({marks})",
            ids,
        )
        return {int(row[0]): row for row in cursor}

    def _add_association_ex(self, call: MethodCall) -> CallResult:
        params = call.params
        source_id = params.get("SourceClientResourceID")
        restore_id = params.get("RestoreClientResourceID")
        behavior = params.get("MigrationBehavior")
        raw_users = params.get("UserNames") or []
        found = self._computers(source_id, restore_id)
        for label, rid in (
            ("SourceClientResourceID", source_id),
            ("RestoreClientResourceID", restore_id),
        ):
            computer = found.get(rid) if isinstance(rid, int) else None
            if computer is None:
                return _failure(WBEM_E_NOT_FOUND, f"{label} {rid} is not a resource of this site")
            if computer[2] or computer[3]:
                state = "obsolete" if computer[2] else "decommissioned"
                return _failure(WBEM_E_FAILED, f"{label} {rid} ({computer[1]}) is {state}")
        if source_id == restore_id:
            return _failure(WBEM_E_FAILED, "source and restore client are the same resource")
        if behavior not in (0, 1, 2):
            return _failure(WBEM_E_FAILED, f"MigrationBehavior {behavior} is not 0, 1 or 2")
        if not isinstance(raw_users, list):
            return _failure(WBEM_E_FAILED, "UserNames is not an array")
        users: list[tuple[str, int]] = []
        for item in raw_users:
            name = item.get("UserName") if isinstance(item, dict) else None
            locale = item.get("LocaleID", 0) if isinstance(item, dict) else None
            if not isinstance(name, str) or not _USER.match(name) or not isinstance(locale, int):
                return _failure(WBEM_E_FAILED, f"UserName {name!r} is not DOMAIN\\user")
            users.append((name, locale))
        if behavior in (1, 2) and not users:
            return _failure(WBEM_E_FAILED, f"MigrationBehavior {behavior} needs UserNames")
        # In-place associations (made by refresh task sequences) do not count against the rules;
        # whether ConfigMgr agrees is unconfirmed (README, lab test).
        existing = self._db.execute(
            "SELECT SourceClientResourceID, RestoreClientResourceID, MigrationBehavior "
            "FROM associations WHERE (SourceClientResourceID = ? OR RestoreClientResourceID = ?) "
            "AND SourceClientResourceID != RestoreClientResourceID",
            (source_id, restore_id),
        ).fetchall()
        for src, dst, beh in existing:
            if (src, dst) == (source_id, restore_id):
                return _failure(WBEM_E_ALREADY_EXISTS, f"association {src} -> {dst} already exists")
            if dst == restore_id:
                return _failure(WBEM_E_FAILED, f"restore client {dst} already restores from {src}")
            if 2 in (behavior, beh):
                return _failure(
                    WBEM_E_FAILED,
                    f"source {src} already has an association to {dst} and behaviour 2 allows one",
                )
        self._db.execute(
            "INSERT INTO associations (SourceClientResourceID, RestoreClientResourceID, "
            "MigrationBehavior, Created) VALUES (?, ?, ?, ?)",
            (source_id, restore_id, behavior, _now()),
        )
        if users:
            self._db.executemany(
                "INSERT INTO association_users VALUES (?, ?, ?, ?)",
                [(source_id, restore_id, name, locale) for name, locale in users],
            )
        return CallResult(return_value=0)

    def _delete_association(self, call: MethodCall) -> CallResult:
        params = call.params
        key = (params.get("SourceClientResourceID"), params.get("RestoreClientResourceID"))
        deleted = self._db.execute(
            "DELETE FROM associations WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
            key,
        ).rowcount
        if not deleted:
            return _failure(WBEM_E_NOT_FOUND, f"association {key[0]} -> {key[1]} not found")
        self._db.execute(
            "DELETE FROM association_users WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
            key,
        )
        return CallResult(return_value=0)

    def _import_machine_entry(self, call: MethodCall) -> CallResult:
        """SMS_Site.ImportMachineEntry: a new record, or the one holding that MAC or SMBIOS GUID."""
        params = call.params
        name = str(params.get("NetbiosName") or "")
        guid = str(params.get("SMBIOSGUID") or "").upper()
        mac = str(params.get("MACAddress") or "").upper()
        overwrite = bool(params.get("OverwriteExistingRecord"))
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,14}", name):
            return _failure(WBEM_E_FAILED, f"NetbiosName {name!r} is not a computer name", SMS_SITE)
        if mac and not re.fullmatch(r"([0-9A-F]{2}:){5}[0-9A-F]{2}", mac):
            return _failure(WBEM_E_FAILED, f"MACAddress {mac!r} is not in colon form", SMS_SITE)
        if not mac and not guid:
            return _failure(WBEM_E_FAILED, "a MAC address or an SMBIOS GUID is needed", SMS_SITE)
        found = self._db.execute(
            "SELECT ResourceID FROM computers WHERE Obsolete = 0 AND Decommissioned = 0 AND "
            "((? != '' AND UPPER(SMBIOSGUID) = ?) OR (? != '' AND (';' || UPPER(MAC) || ';') LIKE ?)) "
            "ORDER BY ResourceID LIMIT 1",
            (guid, guid, mac, f"%;{mac};%"),
        ).fetchone()
        if found is not None:
            if overwrite:
                self._db.execute("UPDATE computers SET Name = ? WHERE ResourceID = ?", (name, found[0]))
            return CallResult(return_value=0, out={"ResourceID": found[0], "MachineExists": True})
        [(last,)] = self._db.execute("SELECT COALESCE(MAX(ResourceID), 16777216) FROM computers")
        rid = int(last) + 1
        self._db.execute(
            "INSERT INTO computers (ResourceID, Name, Domain, Client, MAC, SMBIOSGUID, CreationDate) "
            "VALUES (?, ?, '', 0, ?, ?, ?)",
            (rid, name, mac, guid, _now()),
        )
        return CallResult(return_value=0, out={"ResourceID": rid, "MachineExists": False})

    def _collection(self, call: MethodCall) -> tuple[str, CallResult | None]:
        cid = str((call.instance or {}).get("CollectionID") or "")
        row = self._db.execute(
            "SELECT CollectionID, CollectionType FROM collections WHERE CollectionID = ?", (cid,)
        ).fetchone()
        if row is None:
            return cid, _failure(WBEM_E_NOT_FOUND, f"collection {cid} not found", SMS_COLLECTION)
        if row[1] != 2:
            return cid, _failure(WBEM_E_FAILED, f"{cid} is a user collection", SMS_COLLECTION)
        if cid.upper().startswith("SMS"):
            return cid, _failure(WBEM_E_FAILED, f"{cid} is a built-in collection", SMS_COLLECTION)
        return str(row[0]), None

    def _add_membership_rules(self, call: MethodCall) -> CallResult:
        cid, refused = self._collection(call)
        if refused is not None:
            return refused
        rules = call.params.get("collectionRules")
        if not isinstance(rules, list) or not rules:
            return _failure(WBEM_E_FAILED, "collectionRules is empty", SMS_COLLECTION)
        for rule in rules:
            rid = rule.get("ResourceID") if isinstance(rule, dict) else None
            if not isinstance(rid, int) or not self._computers(rid):
                return _failure(
                    WBEM_E_FAILED, f"ResourceID {rid} is not a resource of this site", SMS_COLLECTION
                )
        self._db.executemany(
            "INSERT OR IGNORE INTO collection_rules VALUES (?, ?, ?)",
            [(cid, rule["ResourceID"], str(rule.get("RuleName") or "")) for rule in rules],
        )
        return CallResult(return_value=0)

    def _delete_membership_rule(self, call: MethodCall) -> CallResult:
        cid, refused = self._collection(call)
        if refused is not None:
            return refused
        rule = call.params.get("collectionRule")
        rid = rule.get("ResourceID") if isinstance(rule, dict) else None
        gone = self._db.execute(
            "DELETE FROM collection_rules WHERE CollectionID = ? AND ResourceID = ?", (cid, rid)
        ).rowcount
        if not gone:
            return _failure(WBEM_E_NOT_FOUND, f"{cid} has no direct rule for {rid}", SMS_COLLECTION)
        return CallResult(return_value=0)

    def _delete_resource(self, call: MethodCall) -> CallResult:
        rid = (call.instance or {}).get("ResourceID")
        if not isinstance(rid, int) or not self._computers(rid):
            return _failure(WBEM_E_NOT_FOUND, f"ResourceID {rid} not found", SMS_R_SYSTEM)
        used = self._db.execute(
            "SELECT COUNT(*) FROM associations "
            "WHERE SourceClientResourceID = ? OR RestoreClientResourceID = ?",
            (rid, rid),
        ).fetchone()[0]
        if used:
            return _failure(
                WBEM_E_FAILED, f"ResourceID {rid} is part of a computer association", SMS_R_SYSTEM
            )
        self._db.execute("DELETE FROM collection_rules WHERE ResourceID = ?", (rid,))
        self._db.execute("DELETE FROM affinity WHERE ResourceID = ?", (rid,))
        self._db.execute("DELETE FROM computers WHERE ResourceID = ?", (rid,))
        return CallResult(return_value=0)

    # -- the task sequence's side (for `demo-site migrate` and tests) -------------

    def migrate(self, source: str, destination: str, stage: str) -> None:
        """Move an association through the user state migration, as a task sequence would:
        "captured" (state stored on a state migration point) or "restored"."""
        pair = self._db.execute(
            "SELECT a.SourceClientResourceID, a.RestoreClientResourceID FROM associations a "
            "JOIN computers s ON s.ResourceID = a.SourceClientResourceID "
            "JOIN computers r ON r.ResourceID = a.RestoreClientResourceID "
            "WHERE s.Name = ? COLLATE NOCASE AND r.Name = ? COLLATE NOCASE",
            (source, destination),
        ).fetchone()
        if pair is None:
            raise InputError(f"the demo site has no association {source} -> {destination}.")
        stamp = _dmtf_now()
        with self._transaction():
            if stage == "captured":
                self._db.execute(
                    "UPDATE associations SET MigrationStatus = 1, StoreCreationDate = ?, StorePath = ? "
                    "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
                    (stamp, f"\\\\SMP01\\SMPSTORED_{pair[0]:08X}$\\{pair[1]:08X}", *pair),
                )
            elif stage == "restored":
                self._db.execute(
                    "UPDATE associations SET MigrationStatus = 2, StoreReleaseDate = ?, "
                    "StoreCreationDate = CASE WHEN StoreCreationDate LIKE '0000%' THEN ? "
                    "ELSE StoreCreationDate END "
                    "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
                    (stamp, stamp, *pair),
                )
            else:
                raise InputError(f"unknown migration stage {stage!r}.")

    # -- inspection (for `demo-site show` and tests) ----------------------------

    def snapshot(self) -> dict[str, object]:
        computers = [
            dict(
                zip(
                    (
                        "resource_id",
                        "name",
                        "domain",
                        "obsolete",
                        "active",
                        "client",
                        "decommissioned",
                        "mac",
                        "smbios_guid",
                        "creation_date",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in self._db.execute(
                "SELECT ResourceID, Name, Domain, Obsolete, Active, Client, Decommissioned, MAC, "
                "SMBIOSGUID, CreationDate FROM computers ORDER BY ResourceID"
            )
        ]
        associations = []
        for src, dst, beh, status, created, sname, rname in self._db.execute(
            "SELECT a.SourceClientResourceID, a.RestoreClientResourceID, a.MigrationBehavior, "
            "a.MigrationStatus, a.Created, s.Name, r.Name FROM associations a "
            "LEFT JOIN computers s ON s.ResourceID = a.SourceClientResourceID "
            "LEFT JOIN computers r ON r.ResourceID = a.RestoreClientResourceID "
            "ORDER BY a.SourceClientResourceID, a.RestoreClientResourceID"
        ).fetchall():
            associations.append(
                {
                    "source_resource_id": src,
                    "restore_resource_id": dst,
                    "source_name": sname,
                    "restore_name": rname,
                    "behavior": beh,
                    "users": [u["UserName"] for u in self._users(src, dst)],
                    "status": status,
                    "created": created,
                }
            )
        return {"site_code": self._site_code, "computers": computers, "associations": associations}


_MESSAGES = {WBEM_E_FAILED: "Generic failure", WBEM_E_NOT_FOUND: "Not found", WBEM_E_ALREADY_EXISTS: ""}


def _failure(code: int, description: str, where: str = SMS_STATE_MIGRATION) -> CallResult:
    return CallResult(
        error=WmiError(
            code,
            _MESSAGES.get(code, ""),
            {
                "Description": description,
                "ErrorCode": code,
                "Operation": "ExecMethod",
                "ParameterInfo": where,
            },
        )
    )


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


SITE_STEPS: tuple[db.Step, ...] = (_first_schema,)  # add a step for each change: never edit one


# (class, method, on an instance?) -> handler
_METHODS = {
    (SMS_STATE_MIGRATION, "AddAssociationEx", False): DemoSite._add_association_ex,
    (SMS_STATE_MIGRATION, "DeleteAssociation", False): DemoSite._delete_association,
    (SMS_SITE, "ImportMachineEntry", False): DemoSite._import_machine_entry,
    (SMS_COLLECTION, "AddMembershipRules", True): DemoSite._add_membership_rules,
    (SMS_COLLECTION, "DeleteMembershipRule", True): DemoSite._delete_membership_rule,
    (SMS_R_SYSTEM, DELETE_INSTANCE, True): DemoSite._delete_resource,
}


# -- creating a site -------------------------------------------------------------

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
                "MigrationBehavior, MigrationStatus, Created) VALUES (?, ?, ?, ?, ?)",
                (*key, int(rec["Behavior"]), flag(rec.get("Status", ""), 0), _now()),
            )
            for user in filter(None, (u.strip() for u in rec.get("Users", "").split(";"))):
                conn.execute("INSERT INTO association_users VALUES (?, ?, ?, 0)", (*key, user))
