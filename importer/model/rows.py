"""One input row travelling through the pipeline (`RowResult`): each stage fills in its part."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from importer.model.fields import FIELD_TITLES
from importer.model.statuses import Status
from importer.model.values import Behavior, Hardware, Level, Message, Readiness, StoreState, Tag, UsersFrom

if TYPE_CHECKING:
    from importer.messages import Code

__all__ = ["RowResult"]


class RowResult:
    """One input row travelling through the pipeline; each stage fills in its part.

    A row of a pairs sheet keeps its cells in the wave's frame (`index`, its position there);
    a row from elsewhere (a users-sheet row, a journal) holds its own `values`."""

    __slots__ = (
        "_values",
        "behavior",
        "collections",
        "copies",
        "destination",
        "given_restore_resource_id",
        "given_source_resource_id",
        "hardware",
        "headers",
        "index",
        "joined",
        "mac",
        "membership",
        "messages",
        "readiness",
        "replaces",
        "restore_resource_id",
        "row",
        "seq",
        "sheet",
        "smbios_guid",
        "source",
        "source_resource_id",
        "status",
        "store",
        "users",
        "users_from",
    )

    def __init__(
        self,
        sheet: str,
        row: int,
        values: dict[str, str] | None = None,
        source: str | None = None,
        destination: str | None = None,
        behavior: Behavior | None = None,
        users: Sequence[str] = (),
        source_resource_id: int | None = None,
        restore_resource_id: int | None = None,
        given_source_resource_id: int | None = None,  # from a ResourceID column: verified
        given_restore_resource_id: int | None = None,
        status: Status | None = None,
        messages: Sequence[Message] = (),
        mac: str | None = None,  # new hardware: the destination's MAC and GUID, to import it
        smbios_guid: str | None = None,
        collections: Sequence[str] = (),  # IDs or names as given; IDs once planned
        users_from: UsersFrom | None = None,  # where the users came from
        hardware: Hardware | None = None,  # the new computer: known, to import, imported...
        membership: Sequence[str] = (),  # per collection: what happened
        joined: Sequence[str] = (),  # CollectionIDs this run added a direct rule to
        store: StoreState | None = None,  # `cmassoc status`: what the site says of the user state
        replaces: tuple[int, tuple[str, ...]] | None = None,  # --update: the version on the site now
        readiness: Sequence[Readiness] = (),  # warnings before anything is created
        copies: Sequence[str] = (),  # --copy-collections: CollectionIDs of the old computer to copy
        headers: Mapping[str, str] | None = None,  # field -> the user's own header
        index: int = -1,  # the row's position in the wave's frame, -1 when it holds its own values
    ) -> None:
        self.sheet = sheet
        self.row = row
        self._values = values
        self.source = source
        self.destination = destination
        self.behavior = behavior
        # The lists most rows leave empty share one empty tuple: a million rows, no million lists.
        self.users: list[str] = list(users)
        self.source_resource_id = source_resource_id
        self.restore_resource_id = restore_resource_id
        self.given_source_resource_id = given_source_resource_id
        self.given_restore_resource_id = given_restore_resource_id
        self.status = status
        self.messages: Sequence[Message] = list(messages) if messages else _EMPTY
        self.mac = mac
        self.smbios_guid = smbios_guid
        self.collections: Sequence[str] = list(collections) if collections else _EMPTY
        self.users_from = users_from
        self.hardware = hardware
        self.membership: Sequence[str] = list(membership) if membership else _EMPTY
        self.joined: Sequence[str] = list(joined) if joined else _EMPTY
        self.store = store
        self.replaces = replaces
        self.readiness: Sequence[Readiness] = list(readiness) if readiness else _EMPTY
        self.copies: Sequence[str] = list(copies) if copies else _EMPTY
        self.headers: Mapping[str, str] = headers if headers is not None else _NO_HEADERS
        self.index = index
        self.seq = -1  # the row's place in its run's journal (set when the run attaches it)

    @classmethod
    def of_sheet(
        cls,
        sheet: str,
        row: int,
        index: int,
        headers: Mapping[str, str],
        source: str | None,
        destination: str | None,
        behavior: Behavior | None,
        users: list[str] | None,
        messages: list[Message] | None,
    ) -> RowResult:
        """A checked row of a pairs sheet, as validation makes them by the hundred thousand:
        every slot set at once, without __init__'s keywords (half the cost)."""
        self = _new_row(cls)
        self.sheet, self.row, self.index, self.headers = sheet, row, index, headers
        self.source, self.destination, self.behavior = source, destination, behavior
        self.users = users if users is not None else []
        self.users_from = UsersFrom.SHEET if users is not None else None
        self.messages = messages or _EMPTY
        self._values = self.status = self.store = self.replaces = self.hardware = None
        self.source_resource_id = self.restore_resource_id = None
        self.given_source_resource_id = self.given_restore_resource_id = None
        self.mac = self.smbios_guid = None
        self.collections = self.membership = self.joined = self.readiness = self.copies = _EMPTY
        self.seq = -1
        return self

    def __repr__(self) -> str:
        return f"RowResult({self.where}, {self.source} -> {self.destination}, {self.status})"

    @property
    def values(self) -> dict[str, str]:
        """The cells a row holds itself (a pairs sheet's row: none; see `carried_cells`)."""
        return self._values if self._values is not None else {}

    def column(self, name: str) -> str:
        """The user's header for a field (messages name it as the user wrote it)."""
        return self.headers.get(name) or FIELD_TITLES[name]

    @property
    def where(self) -> str:
        return f"{self.sheet} row {self.row}"

    @property
    def is_open(self) -> bool:
        """Still on its way: no stage has given it a final bad status."""
        return self.status is None or self.status in (Status.PLANNED, Status.VALID)

    def add(
        self,
        level: Level,
        text: str,
        column: str | None = None,
        tag: Tag | None = None,
        *,
        code: Code | None = None,
    ) -> None:
        self.extend((Message(level, text, column, tag, code=code),))

    def extend(self, messages: Sequence[Message]) -> None:
        if messages:
            self.messages = [*self.messages, *messages]

    def fail(self, status: Status, text: str, column: str | None = None, *, code: Code | None = None) -> None:
        self.status = status
        self.add(Level.ERROR, text, column, code=code)

    @property
    def copied(self) -> list[str]:
        """The collections --copy-collections added this computer to (by this run)."""
        return [c for c in self.joined if c in self.copies]

    @property
    def has_errors(self) -> bool:
        return any(m.level is Level.ERROR for m in self.messages)


_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_EMPTY: Any = ()
_new_row = object.__new__
SOURCE_FIELD, DESTINATION_FIELD = "source", "destination"
