"""Reads around the refresh, for readiness and --copy-collections: each client's activity, last
logon and assigned sites, the site's state migration points (from the site control file), the
old computers' collection memberships, and collections with their limiting collection, their
direct rules and whether a task sequence is deployed to them.

`Site` (the gateway) mixes these in: every read is one of its batched, retried queries, cut
to WMI's limits like every other lookup. Facts a run can do without (client activity, the
site control file) are read with `read_optional`: a class the account may not read comes back
as "not read", never as "all clear" and never as the end of the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from importer.site.batching import chunks
from importer.site.dates import parse_time
from importer.site.provider import (
    EMBEDDED_CLASS,
    SMS_COLLECTION,
    SMS_COLLECTION_RULE_DIRECT,
    SMS_COMBINED_DEVICE_RESOURCES,
    SMS_DEPLOYMENT_SUMMARY,
    SMS_FULL_COLLECTION_MEMBERSHIP,
    SMS_R_SYSTEM,
    SMS_SCI_SYS_RES_USE,
    SMS_USER_MACHINE_RELATIONSHIP,
    ProviderInfo,
    Query,
    QueryResult,
    Value,
)
from importer.site.wql import in_queries, round_trips

STATE_MIGRATION_POINT = "SMS State Migration Point"  # SMS_SCI_SysResUse.RoleName
TASK_SEQUENCE = 7  # SMS_DeploymentSummary.FeatureType
PRIMARY_USER_TYPE = 1  # SMS_UserMachineRelationship.Types: a primary user (user device affinity)
ALL_SYSTEMS = "SMS00001"
DIRECT = SMS_COLLECTION_RULE_DIRECT
CLIENT_PROPERTIES = (
    "ResourceID",
    "Name",
    "Client",
    "SMSAssignedSites",
    "LastLogonUserDomain",
    "LastLogonUserName",
)
ACTIVITY_PROPERTIES = ("ResourceID", "LastActiveTime", "ClientActiveStatus")
AFFINITY_PROPERTIES = ("ResourceID", "UniqueUserName", "IsActive", "Types")
SMP_PROPERTIES = ("RoleName", "SiteCode", "NetworkOSPath", "Props")
COLLECTION_PROPERTIES = ("CollectionID", "Name", "CollectionType", "LimitToCollectionID")
KEYED_COLLECTIONS_PER_ROUND_TRIP = 200  # each is one Get() with its lazy CollectionRules


@dataclass(frozen=True)
class Client:
    """What readiness asks of one computer."""

    resource_id: int
    name: str
    client: bool
    assigned_sites: tuple[str, ...] = ()  # SMS_R_System.SMSAssignedSites
    last_logon: str = ""  # DOMAIN\\user
    last_active: dt.datetime | None = None  # SMS_CombinedDeviceResources.LastActiveTime
    active_status: int | None = None  # ClientActiveStatus: 0 inactive, 1 healthy


@dataclass(frozen=True)
class StateMigrationPoint:
    server: str
    restore_only: bool  # SMPQuiesceState = 1
    deletion_delay_minutes: int | None  # SMPStoreDeletionDelayTimeInMinutes


@dataclass
class ReadinessFacts:
    clients: dict[int, Client] = field(default_factory=dict)
    primary_users: dict[int, list[str]] = field(default_factory=dict)
    points: list[StateMigrationPoint] | None = None  # None: not read (see points_error)
    points_error: str = ""
    unread: dict[str, str] = field(default_factory=dict)  # class -> why it could not be read


@dataclass(frozen=True)
class CollectionFacts:
    collection_id: str
    name: str
    kind: int  # CollectionType: 1 user, 2 device
    limit: str  # LimitToCollectionID ("" for All Systems itself)
    task_sequence: bool = False  # a task sequence is deployed to it
    direct: frozenset[int] = frozenset()  # ResourceIDs it holds a direct rule for (when read)

    @property
    def built_in(self) -> bool:
        return self.collection_id.startswith("SMS")

    def describe(self) -> str:
        return f"{self.collection_id} ({self.name})" if self.name else self.collection_id


def _int(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    if text.lower() in ("true", "false"):
        return int(text.lower() == "true")
    return int(text) if text.lstrip("-").isdigit() else None


def primary_users_of(rows: Sequence[dict[str, object]]) -> dict[int, list[str]]:
    """Active primary users (user device affinity) per computer, from SMS_UserMachineRelationship."""
    users: dict[int, list[str]] = {}
    for row in rows:
        types = row.get("Types")
        if not row.get("IsActive") or not isinstance(types, list) or PRIMARY_USER_TYPE not in types:
            continue
        users.setdefault(int(str(row["ResourceID"])), []).append(str(row.get("UniqueUserName") or ""))
    return users


def _logon(row: dict[str, object]) -> str:
    domain, user = str(row.get("LastLogonUserDomain") or ""), str(row.get("LastLogonUserName") or "")
    return (f"{domain}\\{user}" if domain else user) if user else ""


def _point(row: dict[str, object]) -> StateMigrationPoint:
    props: dict[str, object] = {}
    given = row.get("Props")
    for prop in given if isinstance(given, list) else []:
        if isinstance(prop, dict):
            props[str(prop.get("PropertyName") or "")] = prop.get("Value")
    return StateMigrationPoint(
        str(row.get("NetworkOSPath") or "").strip("\\") or "?",
        _int(props.get("SMPQuiesceState")) == 1,
        _int(props.get("SMPStoreDeletionDelayTimeInMinutes")),
    )


def _direct_rule_ids(rules: object) -> frozenset[int]:
    """ResourceIDs of the SMS_CollectionRuleDirect among a collection's CollectionRules (an
    embedded instance names its class over the AdminService; over WMI a direct rule is the one
    with a ResourceID)."""
    found = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict) or rule.get(EMBEDDED_CLASS, DIRECT) != DIRECT:
            continue
        rid = _int(rule.get("ResourceID"))
        if rid:
            found.add(rid)
    return frozenset(found)


class Lookups:
    """The reads above, on the gateway's batched queries (Site provides the three below)."""

    @property
    def info(self) -> ProviderInfo:
        raise NotImplementedError

    def _queries(self, what: str, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        raise NotImplementedError

    def read_optional(self, what: str, queries: Sequence[Query]) -> list[QueryResult]:
        raise NotImplementedError

    def _per_query(self, what: str, queries: Sequence[Query]) -> list[list[dict[str, object]]]:
        """Each query's rows, in order, however many round trips they take."""
        return [rows for group in round_trips(queries) for rows in self._queries(what, group)]

    def readiness_facts(
        self,
        computers: Sequence[int],
        sources: Sequence[int],
        user_sources: Sequence[int],
        points: bool,
    ) -> ReadinessFacts:
        """Clients (all `computers`), activity of `sources`, primary users of `user_sources`, and
        (with `points`) the site's state migration points; what could not be read is said."""
        code = self.info.site_code
        groups: list[tuple[str, list[Query]]] = [
            (SMS_R_SYSTEM, in_queries(SMS_R_SYSTEM, CLIENT_PROPERTIES, "ResourceID", computers)),
            (
                SMS_COMBINED_DEVICE_RESOURCES,
                in_queries(SMS_COMBINED_DEVICE_RESOURCES, ACTIVITY_PROPERTIES, "ResourceID", sources),
            ),
            (
                SMS_USER_MACHINE_RELATIONSHIP,
                in_queries(SMS_USER_MACHINE_RELATIONSHIP, AFFINITY_PROPERTIES, "ResourceID", user_sources),
            ),
        ]
        if points:  # the site's own roles are kept below (a primary site lists its secondaries' too)
            match = (("RoleName", STATE_MIGRATION_POINT),)
            groups.append((SMS_SCI_SYS_RES_USE, [Query(SMS_SCI_SYS_RES_USE, SMP_PROPERTIES, (match,))]))
        results = iter(self.read_optional("reading readiness", [q for _, qs in groups for q in qs]))
        rows: dict[str, list[dict[str, object]]] = {}
        facts = ReadinessFacts()
        for class_name, queries in groups:
            rows[class_name] = []
            for _ in queries:
                result = next(results)
                if result.error is not None:
                    facts.unread.setdefault(class_name, result.error.describe())
                else:
                    rows[class_name].extend(result.rows)
        activity = {int(str(r["ResourceID"])): r for r in rows[SMS_COMBINED_DEVICE_RESOURCES]}
        for row in rows[SMS_R_SYSTEM]:
            rid = int(str(row["ResourceID"]))
            seen = activity.get(rid, {})
            sites = row.get("SMSAssignedSites")
            facts.clients[rid] = Client(
                rid,
                str(row.get("Name") or ""),
                _int(row.get("Client")) == 1,
                tuple(str(s).upper() for s in sites if s) if isinstance(sites, list) else (),
                _logon(row),
                parse_time(seen.get("LastActiveTime")),
                _int(seen.get("ClientActiveStatus")),
            )
        facts.primary_users = primary_users_of(rows[SMS_USER_MACHINE_RELATIONSHIP])
        if points:
            error = facts.unread.pop(SMS_SCI_SYS_RES_USE, None)
            if error is None:
                own = [
                    r
                    for r in rows[SMS_SCI_SYS_RES_USE]
                    if str(r.get("SiteCode") or code).upper() == code.upper()
                ]
                facts.points = [_point(r) for r in own]
            else:
                facts.points_error = error
        return facts

    def memberships_of(self, resource_ids: Sequence[int]) -> list[tuple[str, int, bool]]:
        """(CollectionID, ResourceID, by a direct rule?) of every membership of these computers."""
        queries = in_queries(
            SMS_FULL_COLLECTION_MEMBERSHIP,
            ("CollectionID", "ResourceID", "IsDirect"),
            "ResourceID",
            resource_ids,
        )
        return [
            (str(r["CollectionID"]).upper(), int(str(r["ResourceID"])), _int(r.get("IsDirect")) == 1)
            for rows in self._per_query("reading collection memberships", queries)
            for r in rows
        ]

    def collection_facts(
        self, ids: Sequence[str], rules_of: Sequence[str] = ()
    ) -> dict[str, CollectionFacts]:
        """These collections with their limiting collection and whether a task sequence is deployed
        to them; those in `rules_of` also with their direct rules (CollectionRules is lazy: each is
        read by key)."""
        values: list[Value] = list(dict.fromkeys(ids))
        found = in_queries(SMS_COLLECTION, COLLECTION_PROPERTIES, "CollectionID", values)
        deployed = in_queries(SMS_DEPLOYMENT_SUMMARY, ("CollectionID", "FeatureType"), "CollectionID", values)
        answers = self._per_query("reading collections", [*found, *deployed])
        sequences = {
            str(r["CollectionID"]).upper()
            for rows in answers[len(found) :]
            for r in rows
            if _int(r.get("FeatureType")) == TASK_SEQUENCE
        }
        direct: dict[str, frozenset[int]] = {}
        for chunk in chunks(list(dict.fromkeys(rules_of)), KEYED_COLLECTIONS_PER_ROUND_TRIP):
            query = Query(
                SMS_COLLECTION,
                ("CollectionID",),
                tuple((("CollectionID", cid),) for cid in chunk),
                ("CollectionRules",),
                by_key=True,
            )
            for row in self._queries("reading collection rules", [query])[0]:
                direct[str(row["CollectionID"]).upper()] = _direct_rule_ids(row.get("CollectionRules"))
        out = {}
        for rows in answers[: len(found)]:
            for row in rows:
                cid = str(row["CollectionID"]).upper()
                out[cid] = CollectionFacts(
                    cid,
                    str(row.get("Name") or ""),
                    _int(row.get("CollectionType")) or 0,
                    str(row.get("LimitToCollectionID") or "").upper(),
                    cid in sequences,
                    direct.get(cid, frozenset()),
                )
        return out
