"""`cmassoc export`: the associations on a site, written as a wave sheet `run` takes as it is.

Source, Destination, Behavior and Users are what `run` reads; the other columns are for
people (their headers are no column alias, so `run` carries them along and ignores them).
In-place associations (source = restore) are left out: ConfigMgr makes those itself. The
workbook prints like a report (landscape, the header row on every page, the ResourceIDs on
screen only), and holds no other sheet: it stays a wave sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from importer.errors import InputError
from importer.report.atomic import replace_atomically
from importer.report.excel import PLAIN, WRAP, Book
from importer.report.pages import DEFAULT_PAPER, Pages, Paper
from importer.site.gateway import Site
from importer.site.records import Existing

HEADERS = (
    "Source",
    "Destination",
    "Behavior",
    "Users",
    "Migration status (read-only)",
    "Captured (read-only)",
    "Restored (read-only)",
    "Source ResourceID (read-only)",
    "Restore ResourceID (read-only)",
)
EXPORT_SUFFIXES = (".xlsx", ".csv")
PRINTED = 7  # Source to Restored make the print area; the ResourceIDs are for the screen


@dataclass(frozen=True)
class Selection:
    sources: tuple[str, ...] = ()  # computer names: their associations as source or restore
    collection: str | None = None  # a collection: associations of its members


def read_associations(site: Site, selection: Selection) -> list[Existing]:
    if selection.collection is not None:
        matches = site.collections([selection.collection])
        if not matches:
            raise InputError(f"--collection {selection.collection}: no such collection on the site.")
        found = matches[0]
        ids = sorted(site.members(found.collection_id))
        items = site.associations_touching(ids, ids) if ids else []
    elif selection.sources:
        records = [r for r in site.systems("Name", [s.upper() for s in selection.sources]) if r.live]
        ids = sorted({r.resource_id for r in records})
        items = site.associations_touching(ids, ids) if ids else []
    else:
        items = site.all_associations()
    items = [i for i in items if not i.in_place]
    with_users = {e.key: e for e in site.associations_by_pair([i.key for i in items], users=True)}
    return sorted(
        (with_users.get(i.key, i) for i in items),
        key=lambda e: (e.source_name.upper(), e.restore_name.upper()),
    )


def _cells(item: Existing) -> list[object]:
    return [
        item.source_name,
        item.restore_name,
        str(item.behavior),
        "; ".join(item.users or ()),
        item.status_text,
        item.stored,
        item.released,
        item.source_id,
        item.restore_id,
    ]


def _csv_text(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return value


def write_export(items: Sequence[Existing], path: Path, paper: Paper = DEFAULT_PAPER) -> None:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(f"'{path.name}': export writes .xlsx or .csv, not '{suffix}'.")
    with replace_atomically(path) as tmp:
        if suffix == ".csv":
            with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh)
                writer.writerow(HEADERS)
                for item in items:
                    cells = _cells(item)
                    writer.writerow(
                        [
                            ""
                            if v is None
                            else v.isoformat(sep=" ", timespec="seconds")
                            if hasattr(v, "isoformat")
                            else v
                            for v in cells
                        ]
                    )
            return
        pages = Pages(paper, "Computer associations", run=f"Exported {dt.datetime.now():%Y-%m-%d %H:%M}")
        with Book(tmp, pages) as book:
            sheet = book.sheet(
                "Associations",
                widths=(18, 18, 10, 36, 30, 22, 22, 16, 16),  # the headers' widths, but Users'
                header=HEADERS,
                freeze=(1, 1),
                print_columns=PRINTED,
            )
            styles = [PLAIN, PLAIN, PLAIN, WRAP, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN]
            sheet.write(list(zip(*map(_cells, items), strict=True)), styles)
