"""When each store goes (issue 30): a released store is deleted by the state migration point
once its deletion delay (SMPStoreDeletionDelayTimeInMinutes) has passed since StoreReleaseDate,
and a captured state nobody restores sits until someone notices. This module says, per pair,
when the store is deleted and whether the pair is at risk, and puts at-risk pairs first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from importer import messages
from importer.model import Level, RowResult, StoreState
from importer.site.lookups import StateMigrationPoint

RESTORE_OVERDUE_DAYS = 14  # --restore-overdue-days default
DELETION_WARNING_DAYS = 7  # a released store deleted within this many days puts the pair at risk


@dataclass(frozen=True)
class Retention:
    """The site's state migration points (None: not read) and the thresholds of one status call."""

    points: Sequence[StateMigrationPoint] | None
    now: dt.datetime
    overdue_days: int = RESTORE_OVERDUE_DAYS

    def delay_for(self, store_path: str) -> dt.timedelta | None:
        """The deletion delay of the point holding `store_path` (its server named in the UNC path);
        with one point, or points that agree, theirs; None when it cannot be told."""
        points = list(self.points or ())
        host = store_path.lstrip("\\").split("\\", 1)[0].split(".", 1)[0].lower()
        mine = [p for p in points if host and p.server.split(".", 1)[0].lower() == host]
        delays = {p.deletion_delay_minutes for p in (mine or points)}
        if len(delays) != 1:
            return None
        minutes = delays.pop()
        return dt.timedelta(minutes=minutes) if minutes is not None else None

    def judge(self, row: RowResult) -> None:
        """Fill in the row's deletion date and risk, with a message saying why it is at risk."""
        store = row.store
        if store is None:
            return
        delay = self.delay_for(store.store_path)
        due = store.restored + delay if store.restored is not None and delay is not None else None
        risk = ""
        if store.captured is not None and store.restored is None and store.deleted is None:
            age = self.now - _aware(store.captured, self.now)
            if age > dt.timedelta(days=self.overdue_days):
                risk = (
                    f"captured {age.days} days ago ({store.captured:%Y-%m-%d}) and not restored "
                    f"(more than {self.overdue_days} days)"
                )
                row.add(Level.WARNING, risk, code=messages.RESTORE_OVERDUE)
        elif store.restored is not None and store.deleted is None:
            if due is None:
                row.add(
                    Level.NOTE,
                    "released; when the state migration point deletes the store is unknown "
                    "(its deletion delay could not be read)",
                    code=messages.DELETION_UNKNOWN,
                )
            elif _aware(due, self.now) - self.now <= dt.timedelta(days=DELETION_WARNING_DAYS):
                risk = f"released {store.restored:%Y-%m-%d}; the store is deleted on {due:%Y-%m-%d %H:%M}"
                row.add(Level.WARNING, risk, code=messages.DELETION_SOON)
        row.store = replace(store, deletion_due=due, delay_known=delay is not None, risk=risk)


def _aware(value: dt.datetime, like: dt.datetime) -> dt.datetime:
    """Compare naive and aware datetimes as the same local clock."""
    if (value.tzinfo is None) == (like.tzinfo is None):
        return value
    return value.astimezone() if like.tzinfo is not None else value.replace(tzinfo=None)


def at_risk_first(rows: Sequence[RowResult]) -> list[RowResult]:
    """The rows with at-risk pairs first, each group in its own order."""
    return sorted(rows, key=lambda r: not (r.store is not None and r.store.at_risk))


def deletion_text(store: StoreState | None) -> str:
    """When the store goes, for the report: a date, "unknown", or "" (not released)."""
    if store is None or store.restored is None:
        return ""
    when = store.store_deletion
    if when is None:
        return "unknown"
    return f"{when:%Y-%m-%d %H:%M}" + ("" if store.deleted else " (due)")
