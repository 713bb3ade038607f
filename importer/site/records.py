"""The records the site's lookups return: SMS_R_System computers, collections and
SMS_StateMigration associations as frozen dataclasses, the properties each is read
from, and the functions that turn a provider's row into one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from importer.site.dates import iso_date, parse_dmtf

Key = tuple[int, int]  # (SourceClientResourceID, RestoreClientResourceID)

SYSTEM_PROPERTIES = (
    "ResourceID",
    "Name",
    "ResourceDomainORWorkgroup",
    "Obsolete",
    "Active",
    "Client",
    "Decommissioned",
    "CreationDate",
    "MACAddresses",
    "SMBIOSGUID",
)
ASSOCIATION_PROPERTIES = (
    "SourceClientResourceID",
    "RestoreClientResourceID",
    "MigrationBehavior",
    "MigrationStatus",
    "MigrationType",
    "SourceName",
    "RestoreName",
    "StoreCreationDate",
    "StoreReleaseDate",
    "StoreDeletionDate",
    "StorePath",
)
MIGRATION_STATUS_TEXT = {0: "not started", 1: "in progress", 2: "completed"}


@dataclass(frozen=True)
class Record:
    """One SMS_R_System record."""

    resource_id: int
    name: str
    domain: str
    obsolete: bool
    client: bool
    decommissioned: bool
    created: str
    macs: tuple[str, ...] = ()
    smbios_guid: str = ""

    @property
    def live(self) -> bool:
        return not self.obsolete and not self.decommissioned and self.resource_id > 0

    def describe(self) -> str:
        bits = [str(self.resource_id)]
        if self.domain:
            bits.append(self.domain)
        if iso_date(self.created):
            bits.append(f"created {iso_date(self.created)}")
        if self.obsolete:
            bits.append("obsolete")
        if self.decommissioned:
            bits.append("decommissioned")
        return f"{bits[0]} ({', '.join(bits[1:])})" if len(bits) > 1 else bits[0]


@dataclass(frozen=True)
class Collection:
    collection_id: str
    name: str
    kind: int  # CollectionType: 1 user, 2 device

    @property
    def built_in(self) -> bool:
        return self.collection_id.startswith("SMS")

    def describe(self) -> str:
        return f"{self.collection_id} ({self.name})" if self.name else self.collection_id


@dataclass(frozen=True)
class Existing:
    """One SMS_StateMigration instance on the site."""

    source_id: int
    restore_id: int
    behavior: int
    status: int
    source_name: str
    restore_name: str
    users: tuple[str, ...] | None = None  # lazy: filled only when read by pair
    migration_type: int = 1  # 1 side by side, 2 in place
    stored: dt.datetime | None = None  # StoreCreationDate: the capture saved the state
    released: dt.datetime | None = None  # StoreReleaseDate: the restore took it
    deleted: dt.datetime | None = None  # StoreDeletionDate
    store_path: str = ""

    @property
    def capture_started(self) -> bool:
        return self.status != 0 or self.stored is not None

    @property
    def key(self) -> Key:
        return (self.source_id, self.restore_id)

    @property
    def in_place(self) -> bool:
        """Source = restore: made by a refresh task sequence itself, never by cmassoc."""
        return self.source_id == self.restore_id

    @property
    def status_text(self) -> str:
        return MIGRATION_STATUS_TEXT.get(self.status, f"status {self.status}")


def system_record(row: dict[str, object]) -> Record:
    def flag(key: str) -> bool:
        value = row.get(key)
        return bool(int(value)) if isinstance(value, int | str) and str(value).strip() else False

    return Record(
        resource_id=int(str(row["ResourceID"])),
        name=str(row.get("Name") or ""),
        domain=str(row.get("ResourceDomainORWorkgroup") or ""),
        obsolete=flag("Obsolete"),
        client=flag("Client"),
        decommissioned=flag("Decommissioned"),
        created=str(row.get("CreationDate") or ""),
        macs=tuple(str(m).upper() for m in macs) if isinstance(macs := row.get("MACAddresses"), list) else (),
        smbios_guid=str(row.get("SMBIOSGUID") or "").upper(),
    )


def existing_association(row: dict[str, object]) -> Existing:
    users = row.get("UserNames")
    return Existing(
        source_id=int(str(row["SourceClientResourceID"])),
        restore_id=int(str(row["RestoreClientResourceID"])),
        behavior=int(str(row.get("MigrationBehavior", -1))),
        status=int(str(row.get("MigrationStatus") or 0)),
        source_name=str(row.get("SourceName") or ""),
        restore_name=str(row.get("RestoreName") or ""),
        migration_type=int(str(row.get("MigrationType") or 1)),
        stored=parse_dmtf(row.get("StoreCreationDate")),
        released=parse_dmtf(row.get("StoreReleaseDate")),
        deleted=parse_dmtf(row.get("StoreDeletionDate")),
        store_path=str(row.get("StorePath") or ""),
        users=(
            tuple(str(u["UserName"]) for u in users if isinstance(u, dict))
            if isinstance(users, list)
            else None
        ),
    )


def by_pair(rows: Sequence[dict[str, object]]) -> list[Existing]:
    """One Existing per pair: a pair two queries both return is counted once."""
    return list({item.key: item for item in map(existing_association, rows)}.values())
