"""The one seam to the SMS Provider: batched queries, keyed reads and batched method calls.

Queries are structured (class, properties, equality matches) rather than WQL text,
so spreadsheet text is only ever data: the provider builds the query and escapes
its literals on its own side. `wql()` renders a query exactly as every provider side
does, so the client can keep each one well inside WMI's limits (`QUERY_LIMITS`) and
the simulated sites can enforce WMI's own (`WMI_LIMITS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

SMS_R_SYSTEM = "SMS_R_System"
SMS_STATE_MIGRATION = "SMS_StateMigration"
SMS_SITE = "SMS_Site"
SMS_ADMIN = "SMS_Admin"
SMS_COLLECTION = "SMS_Collection"
SMS_FULL_COLLECTION_MEMBERSHIP = "SMS_FullCollectionMembership"
SMS_USER_MACHINE_RELATIONSHIP = "SMS_UserMachineRelationship"
SMS_COLLECTION_RULE_DIRECT = "SMS_CollectionRuleDirect"
SMS_COMBINED_DEVICE_RESOURCES = "SMS_CombinedDeviceResources"  # client activity (readiness)
SMS_SCI_SYS_RES_USE = "SMS_SCI_SysResUse"  # site system roles, from the site control file
SMS_DEPLOYMENT_SUMMARY = "SMS_DeploymentSummary"  # deployments per collection (FeatureType)
SMS_RBAC_SECURED_OBJECT = "SMS_RbacSecuredObject"
GET_KEY = "GetEncryptDecryptKey"  # SInt32 GetEncryptDecryptKey([out] String Key), on an association
# SMS_Operation bit 23 on the StateMigration object type: "StateMigration.Recover User State", the
# console's View Recovery Information right (SMS_ARoleOperation.GrantedOperations).
RECOVER_USER_STATE = 1 << 23
DELETE_INSTANCE = "Delete"  # with an instance path: WMI's DeleteInstance, not a class method
EMBEDDED_CLASS = "__class"  # in a parameter object: the embedded WMI class to build it as

WBEM_E_FAILED = 0x80041001
WBEM_E_NOT_FOUND = 0x80041002
WBEM_E_ACCESS_DENIED = 0x80041003
WBEM_E_OUT_OF_MEMORY = 0x80041006
WBEM_E_INVALID_PARAMETER = 0x80041008
WBEM_E_INVALID_CLASS = 0x80041010
WBEM_E_INVALID_QUERY = 0x80041017
WBEM_E_ALREADY_EXISTS = 0x80041019
WBEM_E_QUOTA_VIOLATION = 0x8004106C
E_ACCESSDENIED = 0x80070005
RPC_S_SERVER_UNAVAILABLE = 0x800706BA
RPC_S_CALL_FAILED = 0x800706BE

# Only RPC faults between the SMS Provider and WMI are worth another try. WBEM_E_FAILED
# ("Generic failure") is how the SMS Provider refuses a call for good: retrying repeats it.
TRANSIENT_WMI_CODES = frozenset({RPC_S_SERVER_UNAVAILABLE, RPC_S_CALL_FAILED})
ACCESS_DENIED_CODES = frozenset({WBEM_E_ACCESS_DENIED, E_ACCESSDENIED})
# The SMS_ExtendedStatus fields worth showing, in the order shown.
EXTENDED_FIELDS = (
    "Description",
    "ErrorCode",
    "Operation",
    "ParameterInfo",
    "ObjectInfo",
    "CauseInfo",
    "SQLMessage",
    "SQLStatus",
)

Value = str | int
Match = tuple[tuple[str, Value], ...]  # property = value AND ...


@dataclass(frozen=True)
class Query:
    """SELECT properties FROM class WHERE (match 1) OR (match 2) ...; lazy ones fetched per row.

    With `by_key`, each match is the whole key of one instance, which is read by its object
    path (Class.Key1=v1,Key2=v2) instead of a query: no WQL, lazy properties included, and
    an instance that is not there is simply absent from the rows."""

    class_name: str
    properties: tuple[str, ...]
    matches: tuple[Match, ...]
    lazy: tuple[str, ...] = ()
    by_key: bool = False


@dataclass(frozen=True)
class QueryLimits:
    characters: int  # of the whole WQL text
    terms: int  # AND/OR keywords, and values in one IN list


# WMI's: WBEM_MAX_QUERY is 16,384 characters; "the number of AND and OR keywords" is limited
# too (WBEM_E_QUOTA_VIOLATION), by an amount WMI does not document. The simulated sites
# refuse past these, as a strict provider would.
WMI_LIMITS = QueryLimits(characters=16_384, terms=100)
# Ours: well inside WMI's, whatever --batch-size is.
QUERY_LIMITS = QueryLimits(characters=8_000, terms=50)


def wql_literal(value: Value | bool) -> str:
    """A WQL literal as the providers write it: strings quoted with \\ and \\' escaped."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def wql(query: Query) -> str:
    """The WQL a provider builds for `query`: one key uses IN (...), several keys (A AND B) OR ..."""
    text = f"SELECT {', '.join(query.properties)} FROM {query.class_name}"
    if not query.matches:
        return text
    keys = [name for name, _ in query.matches[0]]
    if len(keys) == 1:
        return f"{text} WHERE {keys[0]} IN ({', '.join(wql_literal(m[0][1]) for m in query.matches)})"
    terms = ["(" + " AND ".join(f"{k} = {wql_literal(v)}" for k, v in m) + ")" for m in query.matches]
    return f"{text} WHERE {' OR '.join(terms)}"


def wql_terms(query: Query) -> int:
    """What counts against the keyword limit: AND/OR keywords, and the values of an IN list."""
    if not query.matches:
        return 0
    width = len(query.matches[0])
    if width == 1:
        return len(query.matches)
    return len(query.matches) * (width - 1) + len(query.matches) - 1


def over_limits(query: Query, limits: QueryLimits) -> str | None:
    """Why `query` exceeds `limits`, or None."""
    if query.by_key:
        return None
    text = wql(query)
    if len(text) > limits.characters:
        return f"{len(text):,} characters of WQL (limit {limits.characters:,})"
    if wql_terms(query) > limits.terms:
        return f"{wql_terms(query)} terms in one WQL query (limit {limits.terms})"
    return None


@dataclass(frozen=True)
class MethodCall:
    """A static method (no `instance`), or an instance method on the object whose key is
    `instance` (e.g. {"CollectionID": "DEM00010"}); the provider builds the path itself.
    Parameters are numbers, strings, booleans, and lists of objects that name their
    embedded class under EMBEDDED_CLASS."""

    class_name: str
    method: str
    params: Mapping[str, object]
    instance: Mapping[str, Value] | None = None


@dataclass(frozen=True)
class WmiError:
    code: int  # HRESULT, unsigned
    message: str
    extended: Mapping[str, object] = field(default_factory=dict)  # SMS_ExtendedStatus

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT_WMI_CODES

    @property
    def access_denied(self) -> bool:
        return self.code in ACCESS_DENIED_CODES

    def describe(self) -> str:
        """Code, WMI's text, and every SMS_ExtendedStatus field the provider gave."""
        text = f"0x{self.code:08X} {self.message}".strip()
        details = []
        for name in EXTENDED_FIELDS:
            value = self.extended.get(name)
            if value is None or str(value).strip() in ("", self.message):
                continue
            shown = str(value).strip()
            if name == "ErrorCode" and shown.lstrip("-").isdigit():
                shown = f"{shown} (0x{int(shown) & 0xFFFFFFFF:08X})"
            details.append(shown if name == "Description" else f"{name} {shown}")
        return f"{text}: {'; '.join(details)}" if details else text


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, object]] = field(default_factory=list)
    error: WmiError | None = None


@dataclass(frozen=True)
class CallResult:
    return_value: int | None = None
    error: WmiError | None = None
    out: Mapping[str, object] = field(default_factory=dict)  # the method's other out parameters

    @property
    def ok(self) -> bool:
        return self.error is None and self.return_value == 0

    def failed_with(self, code: int) -> bool:
        return self.error is not None and self.error.code == code

    def describe(self) -> str:
        if self.error is not None:
            return self.error.describe()
        return f"returned {self.return_value}"


@dataclass(frozen=True)
class ProviderInfo:
    kind: str  # "demo" or "winrm"
    location: str  # a file path or a host
    site_code: str


class Provider(Protocol):
    """What every stage may ask of a site. Transport faults raise ProviderError subclasses;
    a fault of one query or call comes back in its result."""

    @property
    def info(self) -> ProviderInfo: ...

    def query(self, queries: Sequence[Query]) -> list[QueryResult]: ...

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]: ...

    def close(self) -> None: ...


def add_association_call(source_id: int, restore_id: int, behavior: int, users: Sequence[str]) -> MethodCall:
    """AddAssociationEx. Behaviour 0 (capture and restore all) sends no UserNames at all, as the
    SDK's own samples do, rather than an empty array."""
    if source_id <= 0 or restore_id <= 0:
        raise ValueError("ResourceID 0 never reaches the provider")  # a bug, not user input
    params: dict[str, object] = {
        "SourceClientResourceID": source_id,
        "RestoreClientResourceID": restore_id,
        "MigrationBehavior": behavior,
    }
    if behavior != 0:
        params["UserNames"] = [
            {EMBEDDED_CLASS: "SMS_StateMigrationUserNames", "UserName": user, "LocaleID": 0} for user in users
        ]
    return MethodCall(SMS_STATE_MIGRATION, "AddAssociationEx", params)


def import_machine_call(name: str, smbios_guid: str | None, mac: str | None, overwrite: bool) -> MethodCall:
    """SMS_Site.ImportMachineEntry: a computer ConfigMgr does not know yet (MAC in colon form)."""
    return MethodCall(
        SMS_SITE,
        "ImportMachineEntry",
        {
            "NetbiosName": name,
            "SMBIOSGUID": smbios_guid or "",
            "MACAddress": mac or "",
            "OverwriteExistingRecord": overwrite,
        },
    )


def direct_rule(resource_id: int, name: str) -> dict[str, object]:
    return {
        EMBEDDED_CLASS: SMS_COLLECTION_RULE_DIRECT,
        "ResourceClassName": "SMS_R_System",
        "ResourceID": resource_id,
        "RuleName": name,
    }


def add_members_call(collection_id: int | str, rules: Sequence[Mapping[str, object]]) -> MethodCall:
    """SMS_Collection.AddMembershipRules on one collection: direct rules, one per computer."""
    return MethodCall(
        SMS_COLLECTION,
        "AddMembershipRules",
        {"collectionRules": list(rules)},
        {"CollectionID": collection_id},
    )


def delete_member_call(collection_id: str, rule: Mapping[str, object]) -> MethodCall:
    return MethodCall(
        SMS_COLLECTION, "DeleteMembershipRule", {"collectionRule": rule}, {"CollectionID": collection_id}
    )


def delete_resource_call(resource_id: int) -> MethodCall:
    if resource_id <= 0:
        raise ValueError("ResourceID 0 never reaches the provider")
    return MethodCall(SMS_R_SYSTEM, DELETE_INSTANCE, {}, {"ResourceID": resource_id})


def delete_association_call(source_id: int, restore_id: int) -> MethodCall:
    return MethodCall(
        SMS_STATE_MIGRATION,
        "DeleteAssociation",
        {"SourceClientResourceID": source_id, "RestoreClientResourceID": restore_id},
    )


def recovery_key_call(source_id: int, restore_id: int) -> MethodCall:
    """GetEncryptDecryptKey on the association instance: the SDK does not say static or instance,
    but the method takes no input, so only an instance can say which association's key; the one
    public script calls it so. The key comes back as the out parameter `Key`."""
    if source_id <= 0 or restore_id <= 0:
        raise ValueError("ResourceID 0 never reaches the provider")
    return MethodCall(
        SMS_STATE_MIGRATION,
        GET_KEY,
        {},
        {"SourceClientResourceID": source_id, "RestoreClientResourceID": restore_id},
    )


def user_has_permissions_call(object_path: str, permissions: int) -> MethodCall:
    """SMS_RbacSecuredObject.UserHasPermissions: whether the account holds `permissions` on a class
    (or an instance path); ReturnValue is the Boolean answer, `Permissions` what it holds."""
    return MethodCall(
        SMS_RBAC_SECURED_OBJECT, "UserHasPermissions", {"ObjectPath": object_path, "Permissions": permissions}
    )
