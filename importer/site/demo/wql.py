"""The demo site's WQL engine: answers a Query (a class, its properties, the matches asked
for) from the site's tables as the SMS Provider would, each WMI class and property mapped onto
SQL, and refuses what WMI refuses: unknown classes and properties, lazy properties outside a
keyed read, queries past WMI's limits. Embedded instances (UserNames, CollectionRules, a role's
Props) come back as lists of plain objects, as the WinRM bootstrap and the AdminService give them."""

from __future__ import annotations

import sqlite3

from importer.site.batching import chunks
from importer.site.provider import (
    SMS_ADMIN,
    SMS_COLLECTION,
    SMS_COMBINED_DEVICE_RESOURCES,
    SMS_DEPLOYMENT_SUMMARY,
    SMS_FULL_COLLECTION_MEMBERSHIP,
    SMS_R_SYSTEM,
    SMS_SCI_SYS_RES_USE,
    SMS_SITE,
    SMS_STATE_MIGRATION,
    SMS_USER_MACHINE_RELATIONSHIP,
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_QUERY,
    WBEM_E_QUOTA_VIOLATION,
    WMI_LIMITS,
    Query,
    QueryResult,
    WmiError,
    over_limits,
)

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
    "SMSAssignedSites": "c.AssignedSite",
}
# The site's clock is "now": a last activity kept as days ago becomes a DMTF time when asked.
_LAST_ACTIVE = (
    "CASE WHEN c.LastActiveDaysAgo IS NULL THEN '00000000000000.000000+***' ELSE "
    "strftime('%Y%m%d%H%M%S.000000+000', 'now', '-' || c.LastActiveDaysAgo || ' days') END"
)
_ACTIVITY_COLUMNS = {
    "ResourceID": "c.ResourceID",
    "Name": "c.Name",
    "IsClient": "c.Client",
    "LastActiveTime": _LAST_ACTIVE,
    "ClientActiveStatus": "CASE WHEN c.Client = 1 THEN c.Active END",
}
_SMP_COLUMNS = {
    "RoleName": "'SMS State Migration Point'",
    "SiteCode": "(SELECT site_code FROM site)",
    "NetworkOSPath": "'\\\\' || p.ServerName",
    "Props": "p.SMPQuiesceState || ';' || p.SMPStoreDeletionDelayTimeInMinutes",
}
_DEPLOYMENT_COLUMNS = {
    "DeploymentID": "DeploymentID",
    "CollectionID": "CollectionID",
    "SoftwareName": "SoftwareName",
    "FeatureType": "FeatureType",
    "DeploymentIntent": "DeploymentIntent",
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
# SMS_Site says what kind of site it is (primary unless created otherwise); SMS_Admin lists the
# administrative users and their role names.
_SITE_COLUMNS = {"SiteCode": "site_code", "Type": "site_type"}
_ADMIN_COLUMNS = {"LogonName": "LogonName", "AccountType": "AccountType", "RoleNames": "RoleNames"}
_COLLECTION_COLUMNS = {
    "CollectionID": "CollectionID",
    "Name": "Name",
    "CollectionType": "CollectionType",
    "LimitToCollectionID": "LimitToCollectionID",
    "CollectionRules": "NULL",
}
_MEMBERSHIP_COLUMNS = {
    "CollectionID": "m.CollectionID",
    "ResourceID": "m.ResourceID",
    "Name": "m.Name",
    "IsDirect": "m.IsDirect",
}
_AFFINITY_COLUMNS = {
    "ResourceID": "ResourceID",
    "UniqueUserName": "UniqueUserName",
    "IsActive": "IsActive",
    "Types": "Types",
}
_FROM = {
    SMS_COLLECTION: ("collections", _COLLECTION_COLUMNS),
    SMS_FULL_COLLECTION_MEMBERSHIP: ("full_membership m", _MEMBERSHIP_COLUMNS),
    SMS_COMBINED_DEVICE_RESOURCES: ("computers c", _ACTIVITY_COLUMNS),
    SMS_SCI_SYS_RES_USE: ("state_migration_points p", _SMP_COLUMNS),
    SMS_DEPLOYMENT_SUMMARY: ("deployments", _DEPLOYMENT_COLUMNS),
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
    "RoleName",
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


def answer(conn: sqlite3.Connection, query: Query) -> QueryResult:
    """One query, as the SMS Provider answers it: past WMI's limits (WMI_LIMITS: 16,384
    characters, 100 AND/OR terms) WBEM_E_QUOTA_VIOLATION; UserNames is lazy, returned only when
    asked for as lazy (keyed reads)."""
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
        for values in conn.execute(sql, params):
            rows.append(dict(zip(wanted, values, strict=True)))
    for row in rows:
        if "UserNames" in row:
            key = (row["SourceClientResourceID"], row["RestoreClientResourceID"])
            row["UserNames"] = users(conn, *key) if "UserNames" in query.lazy else None
        if "CollectionRules" in row:
            cid = row.get("CollectionID")
            row["CollectionRules"] = rules(conn, cid) if "CollectionRules" in query.lazy else None
        if "Props" in row:  # the role's embedded properties, as SMS_EmbeddedProperty instances
            quiesce, delay = str(row["Props"]).split(";")
            row["Props"] = [
                {"PropertyName": "SMPQuiesceState", "Value": int(quiesce), "Value1": "", "Value2": ""},
                {
                    "PropertyName": "SMPStoreDeletionDelayTimeInMinutes",
                    "Value": int(delay),
                    "Value1": "",
                    "Value2": "",
                },
            ]
        if "SMSAssignedSites" in row:
            row["SMSAssignedSites"] = [s for s in str(row["SMSAssignedSites"]).split(";") if s]
        if "MACAddresses" in row:
            row["MACAddresses"] = [m for m in str(row["MACAddresses"]).split(";") if m]
        if "RoleNames" in row:
            row["RoleNames"] = [r for r in str(row["RoleNames"]).split(";") if r]
        if query.class_name == SMS_USER_MACHINE_RELATIONSHIP and "Types" in row:
            row["Types"] = [int(t) for t in str(row["Types"]).split(";") if t.strip().isdigit()]
    return QueryResult(rows=rows)


def rules(conn: sqlite3.Connection, collection_id: object) -> list[dict[str, object]]:
    """A collection's CollectionRules (lazy): its direct rules, then one query rule per name."""
    direct: list[dict[str, object]] = [
        {"ResourceClassName": "SMS_R_System", "ResourceID": rid, "RuleName": name}
        for rid, name in conn.execute(
            "SELECT ResourceID, RuleName FROM collection_rules WHERE CollectionID = ? ORDER BY rowid",
            (collection_id,),
        )
    ]
    queries: list[dict[str, object]] = [
        {
            "QueryExpression": "select * from SMS_R_System (demo: evaluated members)",
            "QueryID": n,
            "RuleName": name,
        }
        for n, (name,) in enumerate(
            conn.execute(
                "SELECT DISTINCT RuleName FROM collection_query_members WHERE CollectionID = ? ORDER BY 1",
                (collection_id,),
            ),
            start=1,
        )
    ]
    return direct + queries


def users(conn: sqlite3.Connection, source: object, restore: object) -> list[dict[str, object]]:
    """An association's UserNames, for the lazy property and for `demo-site show`."""
    cursor = conn.execute(
        "SELECT UserName, LocaleID FROM association_users "
        "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ? ORDER BY rowid",
        (source, restore),
    )
    return [{"UserName": u, "LocaleID": loc} for u, loc in cursor]
