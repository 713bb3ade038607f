"""The demo site's WMI methods: AddAssociationEx, DeleteAssociation, GetEncryptDecryptKey,
ImportMachineEntry, collection membership rules, deleting a resource and UserHasPermissions,
each checked as strictly as the SMS Provider checks it, refused with the provider's error
codes, and made in its own transaction."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from importer import db
from importer.site.demo.schema import new_recovery_key, now
from importer.site.provider import (
    DELETE_INSTANCE,
    GET_KEY,
    SMS_COLLECTION,
    SMS_R_SYSTEM,
    SMS_RBAC_SECURED_OBJECT,
    SMS_SITE,
    SMS_STATE_MIGRATION,
    WBEM_E_ALREADY_EXISTS,
    WBEM_E_FAILED,
    WBEM_E_INVALID_CLASS,
    WBEM_E_INVALID_PARAMETER,
    WBEM_E_NOT_FOUND,
    CallResult,
    MethodCall,
    WmiError,
)

_USER = re.compile(r"^[^\\/:*?\"<>|, ]{1,15}\\[^\\\"/\[\]:;|=,+*?<>]{1,20}$")


def call(conn: sqlite3.Connection, calls: Sequence[MethodCall]) -> list[CallResult]:
    """Each call in its own transaction: the provider commits every call on its own."""
    results = []
    for call in calls:
        handler = _METHODS.get((call.class_name, call.method, call.instance is not None))
        if handler is None:
            results.append(
                CallResult(
                    error=WmiError(
                        WBEM_E_INVALID_CLASS if call.class_name != SMS_STATE_MIGRATION else WBEM_E_NOT_FOUND,
                        f"Method {call.class_name}.{call.method} not found",
                    )
                )
            )
            continue
        with db.transaction(conn):
            results.append(handler(conn, call))
    return results


def _computers(conn: sqlite3.Connection, *resource_ids: object) -> dict[int, tuple[Any, ...]]:
    ids = [i for i in resource_ids if isinstance(i, int) and i > 0]
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    cursor = conn.execute(
        f"SELECT ResourceID, Name, Obsolete, Decommissioned FROM computers WHERE ResourceID IN ({marks})",
        ids,
    )
    return {int(row[0]): row for row in cursor}


def _add_association_ex(conn: sqlite3.Connection, call: MethodCall) -> CallResult:
    params = call.params
    source_id = params.get("SourceClientResourceID")
    restore_id = params.get("RestoreClientResourceID")
    behavior = params.get("MigrationBehavior")
    raw_users = params.get("UserNames") or []
    found = _computers(conn, source_id, restore_id)
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
    existing = conn.execute(
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
    conn.execute(
        "INSERT INTO associations (SourceClientResourceID, RestoreClientResourceID, "
        "MigrationBehavior, Created, RecoveryKey) VALUES (?, ?, ?, ?, ?)",
        (source_id, restore_id, behavior, now(), new_recovery_key()),
    )
    if users:
        conn.executemany(
            "INSERT INTO association_users VALUES (?, ?, ?, ?)",
            [(source_id, restore_id, name, locale) for name, locale in users],
        )
    return CallResult(return_value=0)


def _delete_association(conn: sqlite3.Connection, call: MethodCall) -> CallResult:
    params = call.params
    key = (params.get("SourceClientResourceID"), params.get("RestoreClientResourceID"))
    deleted = conn.execute(
        "DELETE FROM associations WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
        key,
    ).rowcount
    if not deleted:
        return _failure(WBEM_E_NOT_FOUND, f"association {key[0]} -> {key[1]} not found")
    conn.execute(
        "DELETE FROM association_users WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
        key,
    )
    return CallResult(return_value=0)


_ASSOCIATION_KEYS = ("SourceClientResourceID", "RestoreClientResourceID")


def _get_key(conn: sqlite3.Connection, call: MethodCall) -> CallResult:
    """GetEncryptDecryptKey on an association instance: it takes no input (an in-parameter is
    refused), and its instance path must name both keys."""
    instance = dict(call.instance or {})
    if call.params:
        return _failure(WBEM_E_INVALID_PARAMETER, f"{GET_KEY} takes no in-parameters")
    if sorted(instance) != sorted(_ASSOCIATION_KEYS) or not all(
        isinstance(v, int) for v in instance.values()
    ):
        return _failure(WBEM_E_INVALID_PARAMETER, f"not an SMS_StateMigration instance path: {instance}")
    row = conn.execute(
        "SELECT RecoveryKey FROM associations "
        "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
        tuple(instance[k] for k in _ASSOCIATION_KEYS),
    ).fetchone()
    if row is None:
        return _failure(WBEM_E_NOT_FOUND, f"association {instance} not found")
    if not row[0]:
        return CallResult(return_value=1, out={"Key": None})  # non-zero: no key to give
    return CallResult(return_value=0, out={"Key": row[0]})


def _user_has_permissions(_conn: sqlite3.Connection, call: MethodCall) -> CallResult:
    """SMS_RbacSecuredObject.UserHasPermissions: the demo site's caller holds every right (the
    demo site has no accounts); ReturnValue is the Boolean, 1 for true, as WMI hands it on."""
    wanted = call.params.get("Permissions")
    path = call.params.get("ObjectPath")
    if not isinstance(wanted, int) or not isinstance(path, str) or not path:
        return _failure(
            WBEM_E_INVALID_PARAMETER, "ObjectPath and Permissions are needed", SMS_RBAC_SECURED_OBJECT
        )
    return CallResult(return_value=1, out={"Permissions": wanted})


def _import_machine_entry(conn: sqlite3.Connection, call: MethodCall) -> CallResult:
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
    found = conn.execute(
        "SELECT ResourceID FROM computers WHERE Obsolete = 0 AND Decommissioned = 0 AND "
        "((? != '' AND UPPER(SMBIOSGUID) = ?) OR (? != '' AND (';' || UPPER(MAC) || ';') LIKE ?)) "
        "ORDER BY ResourceID LIMIT 1",
        (guid, guid, mac, f"%;{mac};%"),
    ).fetchone()
    if found is not None:
        if overwrite:
            conn.execute("UPDATE computers SET Name = ? WHERE ResourceID = ?", (name, found[0]))
        return CallResult(return_value=0, out={"ResourceID": found[0], "MachineExists": True})
    [(last,)] = conn.execute("SELECT COALESCE(MAX(ResourceID), 16777216) FROM computers")
    rid = int(last) + 1
    conn.execute(
        "INSERT INTO computers (ResourceID, Name, Domain, Client, MAC, SMBIOSGUID, CreationDate) "
        "VALUES (?, ?, '', 0, ?, ?, ?)",
        (rid, name, mac, guid, now()),
    )
    return CallResult(return_value=0, out={"ResourceID": rid, "MachineExists": False})


def _collection(conn: sqlite3.Connection, call: MethodCall) -> tuple[str, CallResult | None]:
    cid = str((call.instance or {}).get("CollectionID") or "")
    row = conn.execute(
        "SELECT CollectionID, CollectionType FROM collections WHERE CollectionID = ?", (cid,)
    ).fetchone()
    if row is None:
        return cid, _failure(WBEM_E_NOT_FOUND, f"collection {cid} not found", SMS_COLLECTION)
    if row[1] != 2:
        return cid, _failure(WBEM_E_FAILED, f"{cid} is a user collection", SMS_COLLECTION)
    if cid.upper().startswith("SMS"):
        return cid, _failure(WBEM_E_FAILED, f"{cid} is a built-in collection", SMS_COLLECTION)
    return str(row[0]), None


def _add_membership_rules(conn: sqlite3.Connection, call: MethodCall) -> CallResult:
    cid, refused = _collection(conn, call)
    if refused is not None:
        return refused
    rules = call.params.get("collectionRules")
    if not isinstance(rules, list) or not rules:
        return _failure(WBEM_E_FAILED, "collectionRules is empty", SMS_COLLECTION)
    for rule in rules:
        rid = rule.get("ResourceID") if isinstance(rule, dict) else None
        if not isinstance(rid, int) or not _computers(conn, rid):
            return _failure(WBEM_E_FAILED, f"ResourceID {rid} is not a resource of this site", SMS_COLLECTION)
    conn.executemany(
        "INSERT OR IGNORE INTO collection_rules VALUES (?, ?, ?)",
        [(cid, rule["ResourceID"], str(rule.get("RuleName") or "")) for rule in rules],
    )
    return CallResult(return_value=0)


def _delete_membership_rule(conn: sqlite3.Connection, call: MethodCall) -> CallResult:
    cid, refused = _collection(conn, call)
    if refused is not None:
        return refused
    rule = call.params.get("collectionRule")
    rid = rule.get("ResourceID") if isinstance(rule, dict) else None
    gone = conn.execute(
        "DELETE FROM collection_rules WHERE CollectionID = ? AND ResourceID = ?", (cid, rid)
    ).rowcount
    if not gone:
        return _failure(WBEM_E_NOT_FOUND, f"{cid} has no direct rule for {rid}", SMS_COLLECTION)
    return CallResult(return_value=0)


def _delete_resource(conn: sqlite3.Connection, call: MethodCall) -> CallResult:
    rid = (call.instance or {}).get("ResourceID")
    if not isinstance(rid, int) or not _computers(conn, rid):
        return _failure(WBEM_E_NOT_FOUND, f"ResourceID {rid} not found", SMS_R_SYSTEM)
    used = conn.execute(
        "SELECT COUNT(*) FROM associations WHERE SourceClientResourceID = ? OR RestoreClientResourceID = ?",
        (rid, rid),
    ).fetchone()[0]
    if used:
        return _failure(WBEM_E_FAILED, f"ResourceID {rid} is part of a computer association", SMS_R_SYSTEM)
    conn.execute("DELETE FROM collection_rules WHERE ResourceID = ?", (rid,))
    conn.execute("DELETE FROM affinity WHERE ResourceID = ?", (rid,))
    conn.execute("DELETE FROM computers WHERE ResourceID = ?", (rid,))
    return CallResult(return_value=0)


# As the SMS Provider: a refused call answers WBEM_E_FAILED ("Generic failure") with the reason
# in SMS_ExtendedStatus (source = restore, obsolete or decommissioned records, behaviour 1/2
# without users, users not DOMAIN\user, a behaviour-2 source with a second association, a
# destination with a second source). Unconfirmed, so the strict side: AddAssociationEx on a pair
# that exists answers WBEM_E_ALREADY_EXISTS; ResourceID 0 or unknown, WBEM_E_NOT_FOUND.
_MESSAGES = {
    WBEM_E_FAILED: "Generic failure",
    WBEM_E_NOT_FOUND: "Not found",
    WBEM_E_ALREADY_EXISTS: "",
    WBEM_E_INVALID_PARAMETER: "Invalid parameter",
}


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


# (class, method, on an instance?) -> handler
_METHODS: dict[tuple[str, str, bool], Callable[[sqlite3.Connection, MethodCall], CallResult]] = {
    (SMS_STATE_MIGRATION, "AddAssociationEx", False): _add_association_ex,
    (SMS_STATE_MIGRATION, "DeleteAssociation", False): _delete_association,
    (SMS_STATE_MIGRATION, GET_KEY, True): _get_key,
    (SMS_RBAC_SECURED_OBJECT, "UserHasPermissions", False): _user_has_permissions,
    (SMS_SITE, "ImportMachineEntry", False): _import_machine_entry,
    (SMS_COLLECTION, "AddMembershipRules", True): _add_membership_rules,
    (SMS_COLLECTION, "DeleteMembershipRule", True): _delete_membership_rule,
    (SMS_R_SYSTEM, DELETE_INSTANCE, True): _delete_resource,
}
