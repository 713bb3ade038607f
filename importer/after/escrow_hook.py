"""The one place cleanup keeps recovery keys before it deletes (issue 30 point 2, issue 27).

A deleted association takes its recovery key (SMS_StateMigration.GetEncryptDecryptKey, held
only in the site database) with it, so `cleanup` deletes an association whose capture started
only after `keep_keys` has written its key somewhere safe. The escrow itself is issue 27's
(branch wip-keys: the encrypted escrow workbook `undo --force` writes); until it is merged this
build cannot read keys, so `keep_keys` refuses and cleanup deletes nothing captured. At the merge
this function's body becomes a call to that escrow; its callers do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from importer.model import RowResult
from importer.site.gateway import Site


class EscrowUnavailable(Exception):
    """The keys could not be kept: nothing may be deleted."""


def keep_keys(rows: Sequence[RowResult], site: Site, journal_path: Path | None) -> Path | None:
    """Write the recovery keys of `rows` (pairs about to be deleted) to an escrow file and return
    its path; None when no row has a captured state (no key to keep). Raises EscrowUnavailable
    when a key could not be kept."""
    del site, journal_path  # used by the real escrow (issue 27)
    captured = [r for r in rows if r.store is not None and r.store.captured is not None]
    if not captured:
        return None
    raise EscrowUnavailable(
        "this build cannot read recovery keys yet (the key escrow of issue 27 is not in it), "
        "so it keeps every association whose state was captured"
    )
