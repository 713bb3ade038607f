"""A wave's progress at a glance (issue 30 point 3): its pairs counted per state, as `status`,
the run index, the reports and the web page count them."""

from __future__ import annotations

from collections.abc import Iterable

from importer.model.rows import RowResult
from importer.model.statuses import Status

# The states counted, in the order they are shown; "at risk" also counts under its own state.
PROGRESS_STATES = ("not started", "capturing", "captured", "restored", "missing", "at risk")
_COUNTED = frozenset({Status.NOT_STARTED, Status.CAPTURING, Status.CAPTURED, Status.RESTORED, Status.MISSING})


def progress_counts(rows: Iterable[RowResult]) -> dict[str, int]:
    """Pairs per state (PROGRESS_STATES)."""
    counts = dict.fromkeys(PROGRESS_STATES, 0)
    for row in rows:
        if row.status in _COUNTED:
            counts[str(row.status)] += 1
        if row.store is not None and row.store.at_risk:
            counts["at risk"] += 1
    return counts
