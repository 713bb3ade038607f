"""The one seam to the SMS Provider: batched queries and batched method calls.

Queries are structured (class, properties, equality matches) rather than WQL text,
so spreadsheet text is only ever data: the provider builds the query and escapes
its literals on its own side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

SMS_R_SYSTEM = "SMS_R_System"
SMS_STATE_MIGRATION = "SMS_StateMigration"

WBEM_E_FAILED = 0x80041001
WBEM_E_NOT_FOUND = 0x80041002
WBEM_E_ACCESS_DENIED = 0x80041003
WBEM_E_OUT_OF_MEMORY = 0x80041006
WBEM_E_INVALID_PARAMETER = 0x80041008
WBEM_E_INVALID_CLASS = 0x80041010
WBEM_E_INVALID_QUERY = 0x80041017
WBEM_E_ALREADY_EXISTS = 0x80041019
RPC_S_SERVER_UNAVAILABLE = 0x800706BA
RPC_S_CALL_FAILED = 0x800706BE

TRANSIENT_WMI_CODES = frozenset(
    {WBEM_E_FAILED, WBEM_E_OUT_OF_MEMORY, RPC_S_SERVER_UNAVAILABLE, RPC_S_CALL_FAILED}
)

Value = str | int
Match = tuple[tuple[str, Value], ...]  # property = value AND ...


@dataclass(frozen=True)
class Query:
    """SELECT properties FROM class WHERE (match 1) OR (match 2) ...; lazy ones fetched per row."""

    class_name: str
    properties: tuple[str, ...]
    matches: tuple[Match, ...]
    lazy: tuple[str, ...] = ()


@dataclass(frozen=True)
class MethodCall:
    class_name: str
    method: str
    params: Mapping[str, object]


@dataclass(frozen=True)
class WmiError:
    code: int  # HRESULT, unsigned
    message: str
    extended: Mapping[str, object] = field(default_factory=dict)  # SMS_ExtendedStatus

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT_WMI_CODES

    def describe(self) -> str:
        detail = self.extended.get("Description") if self.extended else None
        text = f"0x{self.code:08X} {self.message}".strip()
        return f"{text} ({detail})" if detail and detail != self.message else text


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, object]] = field(default_factory=list)
    error: WmiError | None = None


@dataclass(frozen=True)
class CallResult:
    return_value: int | None = None
    error: WmiError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.return_value == 0

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
    if source_id <= 0 or restore_id <= 0:
        raise ValueError("ResourceID 0 never reaches the provider")  # a bug, not user input
    return MethodCall(
        SMS_STATE_MIGRATION,
        "AddAssociationEx",
        {
            "SourceClientResourceID": source_id,
            "RestoreClientResourceID": restore_id,
            "MigrationBehavior": behavior,
            "UserNames": [{"UserName": user, "LocaleID": 0} for user in users],
        },
    )


def delete_association_call(source_id: int, restore_id: int) -> MethodCall:
    return MethodCall(
        SMS_STATE_MIGRATION,
        "DeleteAssociation",
        {"SourceClientResourceID": source_id, "RestoreClientResourceID": restore_id},
    )
