"""The one place cleanup keeps recovery keys before it deletes (issue 30 point 2, issue 27).

A deleted association takes its recovery key (SMS_StateMigration.GetEncryptDecryptKey, held
only in the site database) with it, so `cleanup` deletes an association whose capture started
only after `keep_keys` has written its key into the same encrypted escrow workbook `undo`
writes (importer.after.escrow). If a key cannot be kept, nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from importer.after.escrow import Escrow, EscrowFailed
from importer.after.escrow import keep_keys as escrow_keys
from importer.model import RowResult
from importer.site.gateway import Site


class EscrowUnavailable(Exception):
    """The keys could not be kept: nothing may be deleted."""


def keep_keys(
    rows: Sequence[RowResult],
    site: Site,
    journal_path: Path | None,
    escrow: Escrow | None = None,
    name: str = "cleanup",
    about: Sequence[tuple[str, str]] = (),
) -> Path | None:
    """Write the recovery keys of `rows` (pairs about to be deleted) whose capture has started
    to an encrypted escrow workbook and return its path; None when none has started (no key to
    keep). Raises EscrowUnavailable when a key could not be kept."""
    del journal_path  # the escrow goes where `escrow` says: the journal's folder
    keys = [(r.source_resource_id or 0, r.restore_resource_id or 0) for r in rows]
    present = {found.key: found for found in site.associations_by_pair(keys)}
    doomed = [(row, present[key]) for row, key in zip(rows, keys, strict=True) if key in present]
    try:
        return escrow_keys(site, doomed, escrow, name, about, dry_run=False)
    except EscrowFailed as exc:
        raise EscrowUnavailable(str(exc)) from exc
