"""Row statuses and the one table that says how each is ordered, coloured, judged and labelled."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    CREATED = "created"
    EXISTS = "exists"
    PLANNED = "planned"
    VALID = "valid"  # only from `cmassoc validate`, which never asks a site
    INVALID = "invalid"
    UNRESOLVED = "unresolved"
    FAILED = "failed"  # the provider refused
    CONFLICT = "conflict"  # what is on the site does not allow it (found while planning): untouched
    NOT_SENT = "not sent"  # the run stopped (Ctrl-C, the provider gone) before this row was sent
    UNKNOWN = "unknown"  # in flight when the run stopped: run the sheet again to find out
    # `cmassoc undo` only:
    DELETED = "deleted"
    ABSENT = "absent"  # not on the site any more
    SKIPPED = "skipped"  # not created by the run being undone: left alone
    KEPT = "kept"  # its user state capture has started: undo leaves it (unless --force)
    # `cmassoc status` only: where each pair's user state is
    NOT_STARTED = "not started"
    CAPTURING = "capturing"
    CAPTURED = "captured"
    RESTORED = "restored"
    MISSING = "missing"  # the pair is not on the site (any more)
    NOT_READ = "not read"  # the reading stopped (the provider gone) before this pair


@dataclass(frozen=True)
class StatusInfo:
    status: Status
    fill: str  # the report's cell colour, RRGGBB
    good: bool  # a run whose rows are all good exits 0
    label: str  # what the status means, for people
    always_counted: bool = False  # shown in summaries even at zero


# In report order: good outcomes first, then what needs attention.
STATUS_TABLE: tuple[StatusInfo, ...] = (
    StatusInfo(Status.CREATED, "C6EFCE", True, "created by this run"),
    StatusInfo(Status.EXISTS, "DDEBF7", True, "already on the site as the sheet asks: left untouched"),
    StatusInfo(Status.PLANNED, "FFF2CC", True, "would be created (dry run)"),
    StatusInfo(Status.VALID, "E2EFDA", True, "passed every check (validate only)"),
    StatusInfo(Status.DELETED, "D9D2E9", True, "deleted by this undo"),
    StatusInfo(Status.ABSENT, "EDEDED", True, "not on the site (nothing to delete)"),
    StatusInfo(Status.SKIPPED, "F2F2F2", True, "not created by the run undone: left alone"),
    StatusInfo(Status.NOT_STARTED, "F2F2F2", True, "on the site; no user state captured yet"),
    StatusInfo(Status.CAPTURING, "FFF2CC", True, "the capture has started"),
    StatusInfo(Status.CAPTURED, "DDEBF7", True, "the user state is stored, not restored yet"),
    StatusInfo(Status.RESTORED, "C6EFCE", True, "the user state was restored"),
    StatusInfo(Status.MISSING, "F8CBAD", False, "the pair is not on the site"),
    StatusInfo(Status.INVALID, "FFC7CE", False, "the sheet has a mistake here", always_counted=True),
    StatusInfo(Status.UNRESOLVED, "F8CBAD", False, "a computer is not (uniquely) on the site", True),
    StatusInfo(Status.CONFLICT, "F4B183", False, "the site does not allow it as it is: untouched", True),
    StatusInfo(Status.FAILED, "FF9999", False, "the provider refused it", always_counted=True),
    StatusInfo(Status.UNKNOWN, "FFE699", False, "in flight when the run stopped: run the sheet again"),
    StatusInfo(Status.NOT_SENT, "D9D9D9", False, "not sent: the run stopped first; run the sheet again"),
    StatusInfo(Status.NOT_READ, "D9D9D9", False, "not read: the reading stopped first; run status again"),
    StatusInfo(Status.KEPT, "BDD7EE", False, "kept by undo: its user state capture has started"),
)
STATUS_INFO = {info.status: info for info in STATUS_TABLE}
STATUS_ORDER = tuple(info.status for info in STATUS_TABLE)
GOOD_STATUSES = frozenset(info.status for info in STATUS_TABLE if info.good)
# What `cmassoc status` always counts, at zero too: the stages of a migration, and missing.
STATUS_READINGS = frozenset(
    {Status.NOT_STARTED, Status.CAPTURING, Status.CAPTURED, Status.RESTORED, Status.MISSING}
)
