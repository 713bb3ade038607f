"""`cmassoc status`: read each pair's association from the site by key and say where its user
state is (not started, capturing, captured, restored), or that the pair is missing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from importer import messages as M
from importer.after.retention import RESTORE_OVERDUE_DAYS, Retention
from importer.model import Behavior, Level, RowResult, Status, StoreState
from importer.site.gateway import Site
from importer.site.lookups import StateMigrationPoint
from importer.site.records import Existing

_TYPES = {1: "side by side", 2: "in place"}


def read_status(
    rows: Iterable[RowResult],
    site: Site,
    overdue_days: int = RESTORE_OVERDUE_DAYS,
    now: dt.datetime | None = None,
) -> None:
    """Rows with both ResourceIDs get the site's version (behaviour, users, dates), a status, and
    when their store is deleted and whether they are at risk (captured and not restored for more
    than `overdue_days`, or released with the deletion close)."""
    todo = [r for r in rows if r.source_resource_id and r.restore_resource_id and r.is_open]
    with site.stage("Reading migration status", len(todo)):
        points = state_migration_points(site) if todo else None  # a round trip the log shows
        retention = Retention(points, now or dt.datetime.now().astimezone(), overdue_days)
        keys = list(dict.fromkeys((r.source_resource_id or 0, r.restore_resource_id or 0) for r in todo))
        found = {e.key: e for e in site.associations_by_pair(keys, users=True)}
        for row in todo:
            item = found.get((row.source_resource_id or 0, row.restore_resource_id or 0))
            if item is None:
                row.status = Status.MISSING
                row.add(
                    Level.NOTE,
                    "this pair is not on the site (never created, or removed)",
                    code=M.PAIR_NOT_ON_SITE,
                )
            else:
                _apply(row, item)
                retention.judge(row)
            site.progress.advance(1)


def state_migration_points(site: Site) -> list[StateMigrationPoint] | None:
    """The site's state migration points with their deletion delay, read as readiness reads
    them (None: the site control file could not be read)."""
    return site.readiness_facts([], [], [], points=True).points


def _apply(row: RowResult, item: Existing) -> None:
    on_site = Behavior.of(item.behavior)
    row.behavior = on_site if on_site is not None else row.behavior
    row.users = list(item.users or ())
    row.store = StoreState(
        item.status_text,
        _TYPES.get(item.migration_type, f"type {item.migration_type}"),
        item.stored,
        item.released,
        item.deleted,
        item.store_path,
    )
    if item.status == 2 or item.released is not None:
        row.status = Status.RESTORED
    elif item.stored is not None:
        row.status = Status.CAPTURED
    elif item.status == 1:
        row.status = Status.CAPTURING
    else:
        row.status = Status.NOT_STARTED
