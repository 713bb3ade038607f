"""Plain values shared by the stages: cells as typed, messages, behaviours, what the site says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importer.messages import Code

__all__ = [
    "Behavior",
    "Cell",
    "Hardware",
    "InputRow",
    "Level",
    "Message",
    "Readiness",
    "StoreState",
    "Tag",
    "Typed",
    "UserRow",
    "UsersFrom",
]


class Typed(str):
    """The text of a cell that held a typed value rather than text: `kind` says which
    ("number", "boolean", "error", "formula"), so a check can say "12.5 is a number" instead
    of judging it as a name. Compares and serialises as its text."""

    kind: str

    def __new__(cls, text: str, kind: str) -> Typed:
        obj = super().__new__(cls, text)
        obj.kind = kind
        return obj

    def __reduce__(self) -> tuple[type[Typed], tuple[str, str]]:
        return (Typed, (str(self), self.kind))


class UsersFrom(StrEnum):
    SHEET = "sheet"
    USERS_SHEET = "users sheet"
    PRIMARY = "primary user"
    LAST_LOGON = "last logon"


class Hardware(StrEnum):
    """The destination computer's record on the site."""

    KNOWN = "already known"
    IMPORT = "to import"  # planned: not on the site, MAC or GUID given
    IMPORTED = "imported by this run"
    NOT_IMPORTED = "not imported"


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Tag(StrEnum):
    """What a message is about, for code that must recognise it (never by its wording)."""

    ALREADY_ON_SITE = "already-on-site"
    IMPORT_CONFLICT = "import-conflict"  # another record holds the new computer's MAC or GUID
    NOT_ON_SITE = "not-on-site"
    TO_IMPORT = "to-import"  # "it will be imported": said again in the past once the run has acted


@dataclass(frozen=True)
class Message:
    level: Level
    text: str
    column: str | None = None
    tag: Tag | None = None
    code: Code = field(
        kw_only=True
    )  # from importer.messages.CATALOG: what the message is, for people and code

    def render(self) -> str:
        where = f"{self.column}: " if self.column else ""
        code = f" {self.code}" if self.code else ""
        return f"{self.level.value.upper()}{code} {where}{self.text}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "level": self.level.value,
            "code": str(self.code) if self.code else None,
            "column": self.column,
            "text": self.text,
        }


@dataclass(frozen=True)
class Readiness:
    """A warning about a pair before anything is created: whether the old computer can be
    captured and the pair restored where the sheet says (`importer.stages.readiness`)."""

    code: Code
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "text": self.text}

    def render(self) -> str:
        return f"{self.code} {self.text}"


class Behavior(IntEnum):
    """SMS_StateMigration.MigrationBehavior."""

    CAPTURE_AND_RESTORE_ALL = 0
    CAPTURE_ALL_RESTORE_SPECIFIED = 1
    CAPTURE_AND_RESTORE_SPECIFIED = 2

    @classmethod
    def of(cls, value: int | None) -> Behavior | None:
        """The behaviour a site or a journal holds; None when it is none of the three."""
        return cls(value) if value in (0, 1, 2) else None

    @property
    def needs_users(self) -> bool:
        return self is not Behavior.CAPTURE_AND_RESTORE_ALL

    @property
    def cmdlet_name(self) -> str:
        return _CMDLET_NAMES[self]

    @property
    def label(self) -> str:
        return f"{self.value} ({_CONSOLE_LABELS[self]})"


_CMDLET_NAMES = {
    Behavior.CAPTURE_AND_RESTORE_ALL: "CaptureAndRestoreAllUserAccounts",
    Behavior.CAPTURE_ALL_RESTORE_SPECIFIED: "CaptureAllUserAccountsAndRestoreSpecifiedAccounts",
    Behavior.CAPTURE_AND_RESTORE_SPECIFIED: "CaptureAndRestoreSpecifiedUserAccounts",
}
_CONSOLE_LABELS = {
    Behavior.CAPTURE_AND_RESTORE_ALL: "capture and restore all user accounts",
    Behavior.CAPTURE_ALL_RESTORE_SPECIFIED: ("capture all user accounts and restore specified accounts"),
    Behavior.CAPTURE_AND_RESTORE_SPECIFIED: "capture and restore specified user accounts",
}


@dataclass(frozen=True)
class Cell:
    """Where a value came from, so every message can point at it."""

    sheet: str
    row: int
    column: str  # the header as the user wrote it
    text: str


@dataclass(frozen=True, slots=True)
class InputRow:
    """One data row of a pairs sheet, every cell as the user typed it."""

    sheet: str
    row: int
    values: dict[str, str]  # original header -> text, all columns including unknown ones
    columns: Mapping[str, str]  # canonical field -> its header; one mapping shared by a sheet's rows


@dataclass(frozen=True)
class UserRow:
    """One row of a separate users sheet or file: a source computer and one or more users."""

    sheet: str
    row: int
    source: Cell
    users: Cell
    destination: Cell | None = None
    values: dict[str, str] = field(default_factory=dict)  # every cell of the row, by header


@dataclass(frozen=True)
class StoreState:
    """Where an association's user state is, as the site says (`cmassoc status`)."""

    migration_status: str  # not started, in progress, completed
    migration_type: str  # side by side, in place
    captured: dt.datetime | None = None  # StoreCreationDate
    restored: dt.datetime | None = None  # StoreReleaseDate
    deleted: dt.datetime | None = None  # StoreDeletionDate
    store_path: str = ""
    # retention (issue 30): when the state migration point deletes a released store
    deletion_due: dt.datetime | None = None  # StoreReleaseDate + the SMP's deletion delay
    delay_known: bool = False  # False: the delay could not be read, so deletion_due is unknown
    risk: str = ""  # why the pair is at risk ("" when it is not)

    @property
    def store_deletion(self) -> dt.datetime | None:
        """When the store is (or was) deleted: StoreDeletionDate once set, else the date due."""
        return self.deleted or self.deletion_due

    @property
    def at_risk(self) -> bool:
        return bool(self.risk)
