"""Compare the wave with the site: what exists already, what would break a rule, what to create."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import importer.check.rules as rules
from importer.model import Behavior, Hardware, Level, RowResult, Status, Tag
from importer.model import fields as C
from importer.site.gateway import Site
from importer.site.records import Existing, Key

DEVICE_COLLECTION = 2


def plan(rows: Iterable[RowResult], site: Site, update: bool = False) -> None:
    """Mark each resolved row `exists`, `planned`, or `failed` (a rule conflict with the site);
    a destination to import is planned too, and every collection a row names is checked."""
    rows = list(rows)
    todo = [
        r
        for r in rows
        if r.is_open and r.source_resource_id and (r.restore_resource_id or r.hardware is Hardware.IMPORT)
    ]
    with site.stage("Reading existing associations", len(todo)):
        for start in range(0, len(todo), WINDOW):
            _plan_window(todo[start : start + WINDOW], site, update)
    _plan_collections([r for r in todo if r.collections and (r.is_open or r.status is Status.EXISTS)], site)


# Rows are planned a window at a time, like resolve: a row is compared with the site's
# associations of its own computers only (rows were compared with each other by validation),
# so what is read for a window is dropped before the next.
WINDOW = 20_000


def _plan_window(todo: list[RowResult], site: Site, update: bool) -> None:
    sources = sorted({r.source_resource_id for r in todo if r.source_resource_id})
    restores = sorted({r.restore_resource_id for r in todo if r.restore_resource_id})
    existing = {e.key: e for e in site.associations_touching(sources, restores)}
    same_keys = list(
        dict.fromkeys(
            key
            for r in todo
            if r.restore_resource_id
            and (key := (r.source_resource_id or 0, r.restore_resource_id)) in existing
        )
    )
    if same_keys:
        for item in site.associations_by_pair(same_keys, users=True):
            existing[item.key] = item
    touching: dict[int, list[Existing]] = defaultdict(list)
    for item in existing.values():
        touching[item.source_id].append(item)
        touching[item.restore_id].append(item)
    for row in todo:
        _plan_row(row, existing, touching, update)
    site.progress.advance(len(todo))


def _plan_collections(rows: list[RowResult], site: Site) -> None:
    """Each named collection must be a device collection the site has and not a built-in one;
    a computer already a member is noted, not added again."""
    if not rows:
        return
    refs = sorted({c for r in rows for c in r.collections})
    with site.stage("Reading collections", len(rows)):
        found = site.collections(refs)
        known = sorted({r.restore_resource_id for r in rows if r.restore_resource_id})
        members = site.memberships(known) if known else set()
        site.progress.advance(len(rows))
    by_ref = {c.collection_id.casefold(): c for c in found} | {c.name.casefold(): c for c in found}
    for row in rows:
        planned: list[str] = []
        outcome: list[str] = []
        for ref in row.collections:
            collection = by_ref.get(ref.casefold())
            problem = None
            if collection is None:
                problem = f"collection {ref} is not on the site (or not visible to this account)"
            elif collection.kind != DEVICE_COLLECTION:
                problem = f"{collection.describe()} is a user collection: computers join device collections"
            elif collection.built_in:
                problem = (
                    f"{collection.describe()} is a built-in collection: its members are not added by hand"
                )
            if problem is not None:
                row.fail(Status.CONFLICT, f"{problem}; row not done", row.column(C.COLLECTION))
                break
            assert collection is not None
            if (collection.collection_id, row.restore_resource_id or 0) in members:
                outcome.append(f"{collection.describe()}: already a member")
            else:
                planned.append(collection.collection_id)
                outcome.append(f"{collection.describe()}: to add")
        else:
            row.collections = planned
            row.membership = outcome


def _plan_row(
    row: RowResult,
    existing: dict[Key, Existing],
    touching: dict[int, list[Existing]],
    update: bool,
) -> None:
    sid, rid = row.source_resource_id or 0, row.restore_resource_id or 0
    here = existing.get((sid, rid)) if rid else None
    pair = _id_pair(row)
    nearby = {id(e): e for e in touching[sid] + (touching[rid] if rid else [])}.values()
    if here is not None:
        # --update deletes the site's version before it adds the sheet's: only when the sheet's
        # may stand beside the source's and destination's other associations.
        _compare(row, here, update, rules.violations(pair, [_site_pair(e) for e in nearby if not e.in_place]))
        return
    for item in nearby:
        if item.in_place:
            row.add(
                Level.NOTE,
                f"{_label(item.source_name, item.source_id)} has an in-place association (a refresh task "
                f"sequence made it; migration {item.status_text}): not a conflict, left as it is",
            )
    on_site = [_site_pair(e) for e in nearby if not e.in_place]
    problems = rules.violations(pair, on_site)
    if problems:
        for text in problems:
            row.add(Level.ERROR, text + ": left untouched")
        row.status = Status.CONFLICT
        return
    # The sheet's own rules (repeats, one source per destination...) were applied by validation
    # on the names, and a name is one record, so rows cannot conflict with each other here.
    row.status = Status.PLANNED


def _label(name: str, resource_id: int | None) -> str:
    return f"{name} ({resource_id})" if name else str(resource_id)


def _site_pair(item: Existing) -> rules.Pair:
    behavior = Behavior.of(item.behavior)
    return rules.Pair(
        str(item.source_id),
        str(item.restore_id),
        behavior,
        f"already on the site, migration {item.status_text}",
        _label(item.source_name, item.source_id),
        _label(item.restore_name, item.restore_id),
    )


def _id_pair(row: RowResult) -> rules.Pair:
    return rules.Pair(
        str(row.source_resource_id),
        str(row.restore_resource_id or f"new:{row.destination}"),
        row.behavior,
        row.where,
        _label(row.source or "", row.source_resource_id),
        _label(row.destination or "", row.restore_resource_id),
    )


def _compare(row: RowResult, here: Existing, update: bool, problems: Sequence[str] = ()) -> None:
    sheet_users = sorted(u.casefold() for u in row.users)
    site_users = sorted(u.casefold() for u in (here.users or ()))
    behavior = int(row.behavior) if row.behavior is not None else -1
    if here.behavior == behavior and sheet_users == site_users:
        row.status = Status.EXISTS
        row.add(
            Level.NOTE,
            "already on the site with the same behaviour and users: left untouched",
            tag=Tag.ALREADY_ON_SITE,
        )
        return
    site_desc = f"behaviour {here.behavior}, users {', '.join(here.users or ()) or 'none'}"
    sheet_desc = f"behaviour {behavior}, users {', '.join(row.users) or 'none'}"
    if not update:
        row.fail(
            Status.CONFLICT,
            f"this pair is already on the site with {site_desc}; the sheet asks for {sheet_desc}. "
            "Left untouched: run with --update to bring it to the sheet's version (while its capture "
            "has not started), or change it in the console",
        )
    elif here.capture_started:
        started = (
            "its user state is stored" if here.stored is not None else f"its migration is {here.status_text}"
        )
        row.fail(
            Status.CONFLICT,
            f"this pair is on the site with {site_desc}, but {started}: --update never changes an "
            "association whose capture has started (that would lose the link to the stored state)",
        )
    elif problems:
        for text in problems:
            row.add(
                Level.ERROR,
                f"{text}: left untouched (--update would delete the version on the site, {site_desc}, "
                "and the site would then refuse the sheet's)",
            )
        row.status = Status.CONFLICT
    else:
        row.status = Status.PLANNED
        row.replaces = (here.behavior, tuple(here.users or ()))
        row.add(
            Level.NOTE,
            f"on the site with {site_desc}: will be replaced by the sheet's {sheet_desc} (--update)",
        )
