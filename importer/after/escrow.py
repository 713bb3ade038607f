"""Nothing is deleted before its key is kept: the escrow of recovery keys that undo writes
before it deletes an association whose user state capture has started.

The key that decrypts a stored user state lives only in its association: deleting the
association loses the state for good. So before such a deletion, each key and store path go
into an encrypted workbook (the same as `cmassoc keys` writes, the same password rules) beside
the journal. If any key cannot be read, or the workbook cannot be written, nothing at all is
deleted, and the undo says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from importer import messages
from importer.errors import ImporterError
from importer.model import Level, RowResult, Status
from importer.report.keybook import KeyRow, check_password, write_keys
from importer.site.gateway import Site
from importer.site.records import Existing
from importer.site.recovery import RecoveryKey


@dataclass(frozen=True)
class Escrow:
    """Where the escrow goes (the journal's folder) and how its password is had: asked only
    when a key has to be kept."""

    folder: Path
    password: Callable[[], str]

    def path_for(self, name: str) -> Path:
        path = self.folder / f"cmassoc-escrow-{name}.xlsx"
        number = 2
        while path.exists():
            path = self.folder / f"cmassoc-escrow-{name}-{number}.xlsx"
            number += 1
        return path


class EscrowFailed(ImporterError):
    """The keys could not be kept: the undo deletes nothing."""


Doomed = tuple[RowResult, Existing]  # a row about to be deleted, and its association as read


def keep_keys(
    site: Site,
    doomed: Sequence[Doomed],
    escrow: Escrow | None,
    name: str,
    about: Sequence[tuple[str, str]],
    dry_run: bool,
) -> Path | None:
    """Keep the keys of the associations about to be deleted whose capture has started (the
    plan's test: a status other than not started, or a store date); the escrow's path, or None
    when none had started. Raises EscrowFailed, before anything is deleted, when it cannot."""
    started = [(res, found) for res, found in doomed if found.capture_started]
    if not started:
        return None
    if dry_run:
        for res, _found in started:
            res.add(
                Level.NOTE,
                "its capture has started: its recovery key and store path would be kept in an "
                "encrypted escrow workbook before it is deleted",
                code=messages.ESCROW_WOULD_KEEP,
            )
        return None
    if escrow is None:
        raise EscrowFailed(
            f"{_count(len(started))} whose capture has started would be deleted, and nothing here can "
            "keep recovery keys in escrow: nothing was deleted.",
            "Run the undo with cmassoc on the command line (it asks for the escrow's password).",
            code=messages.ESCROW_FAILED,
        )
    try:
        password = check_password(escrow.password(), "the escrow of recovery keys")
        readings = site.recovery_keys([found.key for _res, found in started])
    except ImporterError as exc:
        raise EscrowFailed(
            f"the recovery keys of {_count(len(started))} whose capture has started could not be "
            f"kept ({exc.message.rstrip('.')}): nothing was deleted.",
            exc.hint,
            code=messages.ESCROW_FAILED,
        ) from exc
    rows, lacking = [], 0
    for res, found in started:
        reading = readings[found.key]
        if reading.key is None:
            lacking += 1
            res.fail(
                Status.KEPT,
                f"its capture has started and the site gives no recovery key to keep "
                f"({reading.problem}): kept, since deleting it could lose the user's state for good",
                code=messages.ESCROW_NO_KEY,
            )
        rows.append(_row(res, found, reading.key))
    if lacking:
        raise EscrowFailed(
            f"{_count(lacking)} whose capture has started gave no recovery key to keep: nothing was deleted.",
            "See the kept rows; delete such an association in the console only once its state is "
            "restored or no longer needed.",
            code=messages.ESCROW_FAILED,
        )
    try:
        path = write_keys(escrow.path_for(name), rows, about, password)
    except ImporterError as exc:
        raise EscrowFailed(
            f"the escrow of the recovery keys of {_count(len(started))} could not be written "
            f"({exc.message.rstrip('.')}): nothing was deleted.",
            exc.hint,
            code=messages.ESCROW_FAILED,
        ) from exc
    for res, _found in started:
        res.add(
            Level.NOTE,
            f"its capture has started: its recovery key and store path are kept in the escrow {path}",
            code=messages.ESCROW_KEPT,
        )
    return path


def _count(number: int) -> str:
    return "1 association" if number == 1 else f"{number} associations"


def _row(res: RowResult, found: Existing, key: RecoveryKey | None) -> KeyRow:
    return KeyRow(
        sheet=res.sheet,
        row=res.row if res.row > 0 else None,
        source=res.source or found.source_name,
        destination=res.destination or found.restore_name,
        source_id=found.source_id,
        restore_id=found.restore_id,
        key=key,
        note_code=messages.ESCROW_KEPT,
        note="kept by undo before it deletes the association",
        store_path=found.store_path,
        stored=found.stored,
        released=found.released,
        migration_status=found.status_text,
    )


def escrow_about(run_id: str, undo_id: str, site: str, journal: str, operator: str) -> list[tuple[str, str]]:
    return [
        ("What", "Escrow of recovery keys, kept by cmassoc undo before deleting these associations"),
        ("Run undone", run_id),
        ("Undo", undo_id),
        ("Site", site),
        ("Journal", journal),
        ("Kept at", dt.datetime.now().astimezone().isoformat(timespec="seconds")),
        ("Kept by", operator),
    ]
