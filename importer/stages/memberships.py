"""--copy-collections: the new computer gets the old one's direct collection memberships.

The old computer's memberships come from SMS_FullCollectionMembership (IsDirect), confirmed by
the SMS_CollectionRuleDirect among that collection's CollectionRules. A direct rule is planned
for the new computer (added by apply, journaled and removed by undo, as for --collection),
except in built-in collections (IDs starting with SMS), collections named by --skip-collection,
and, unless --include-collection names it, collections a task sequence is deployed to (a
required OS deployment would rebuild the new computer). Memberships by a query rule are listed,
not copied. A collection whose limiting collection does not hold the new computer is reported
(pending evaluation for a computer this run imports) and not copied: run the sheet again once it
does. A computer that already holds the rule is left as it is, so a re-run adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from importer import messages
from importer.messages import Notice
from importer.model import Hardware, Level, RowResult, Status
from importer.site.gateway import Site
from importer.site.lookups import ALL_SYSTEMS, CollectionFacts

_COPIED_FOR = (Status.PLANNED, Status.EXISTS)
DEVICE_COLLECTION = 2
WINDOW = 20_000  # rows read at a time, as resolve and plan do


class Choice:
    """--skip-collection and --include-collection: names or IDs, and which of them matched."""

    def __init__(self, refs: Sequence[str]) -> None:
        self.refs = {r.casefold(): r for r in refs}
        self.used: set[str] = set()

    def names(self, collection: CollectionFacts) -> bool:
        for key in (collection.collection_id.casefold(), collection.name.casefold()):
            if key in self.refs:
                self.used.add(key)
                return True
        return False

    def unused(self) -> list[str]:
        return [ref for key, ref in self.refs.items() if key not in self.used]


def plan_copies(
    rows: Iterable[RowResult], site: Site, skip: Sequence[str] = (), include: Sequence[str] = ()
) -> list[Notice]:
    """Plan the old computers' direct rules for the new ones (row.collections, row.copies) and
    list every membership of the old computer in row.membership; notices for options that
    matched nothing."""
    todo = [r for r in rows if r.status in _COPIED_FOR and r.source_resource_id]
    skipping, including = Choice(skip), Choice(include)
    with site.stage("Reading the old computers' collections", len(todo)):
        for start in range(0, len(todo), WINDOW):
            window = todo[start : start + WINDOW]
            _plan_window(window, site, skipping, including)
            site.progress.advance(len(window))
    return [
        Notice(
            messages.COPY_REF_UNUSED, f"{option} {ref}: no old computer of the wave is a direct member of it"
        )
        for option, choice in (("--skip-collection", skipping), ("--include-collection", including))
        for ref in choice.unused()
    ]


def _plan_window(rows: list[RowResult], site: Site, skipping: Choice, including: Choice) -> None:
    sources = sorted({r.source_resource_id for r in rows if r.source_resource_id})
    news = sorted({r.restore_resource_id for r in rows if r.restore_resource_id})
    memberships = site.memberships_of(sorted({*sources, *news}))
    of_source: dict[int, list[tuple[str, bool]]] = {}
    held = set()  # (CollectionID, ResourceID) of the new computers
    for cid, rid, direct in memberships:
        if rid in sources:
            of_source.setdefault(rid, []).append((cid, direct))
        if rid in news:
            held.add((cid, rid))
    listed = {
        cid for pairs in of_source.values() for cid, direct in pairs if direct or not cid.startswith("SMS")
    }
    wanted = sorted({cid for pairs in of_source.values() for cid, direct in pairs if direct})
    facts = site.collection_facts(sorted(listed), rules_of=[c for c in wanted if not c.startswith("SMS")])
    limits = sorted({f.limit for f in facts.values() if f.limit and f.limit not in facts})
    if limits:
        facts |= site.collection_facts(limits)
    for row in rows:
        _plan_row(row, of_source.get(row.source_resource_id or 0, []), held, facts, skipping, including)


def _plan_row(
    row: RowResult,
    memberships: list[tuple[str, bool]],
    held: set[tuple[str, int]],
    facts: dict[str, CollectionFacts],
    skipping: Choice,
    including: Choice,
) -> None:
    new = row.restore_resource_id or 0
    lines: list[str] = []
    copies: list[str] = []
    named = {*row.collections, *(m.split(" ", 1)[0] for m in row.membership)}
    for cid, direct in sorted(memberships):
        collection = facts.get(cid)
        if collection is None or collection.kind != DEVICE_COLLECTION or cid in named:
            continue  # not visible to this account, a user collection, or named for the row already
        if collection.built_in:
            if direct:
                lines.append(f"{collection.describe()}: built-in, not copied")
            continue
        # IsDirect, confirmed by the old computer's SMS_CollectionRuleDirect in the collection's rules
        direct = direct and (row.source_resource_id or 0) in collection.direct
        if not direct:
            lines.append(f"{collection.describe()}: member by a query rule, not copied")
        elif skipping.names(collection):
            lines.append(f"{collection.describe()}: not copied (--skip-collection)")
        elif collection.task_sequence and not including.names(collection):
            lines.append(
                f"{collection.describe()}: not copied, a task sequence is deployed to it "
                f"(--include-collection {cid} copies it)"
            )
        elif new in collection.direct or (cid, new) in held:
            lines.append(f"{collection.describe()}: already a member")
        elif _outside_limit(row, collection, held, facts, lines):
            continue
        else:
            lines.append(f"{collection.describe()}: to copy")
            copies.append(cid)
    if copies:
        row.collections = [*row.collections, *copies]
        row.copies = copies
    if lines:
        row.membership = [*row.membership, *lines]


def _outside_limit(
    row: RowResult,
    collection: CollectionFacts,
    held: set[tuple[str, int]],
    facts: dict[str, CollectionFacts],
    lines: list[str],
) -> bool:
    """Whether the limiting collection lacks the new computer (then said in `lines` and a message).
    A computer this run imports is taken to be in All Systems, as the console's import puts it in
    collections at once; any other limit holds it only after ConfigMgr evaluates it."""
    limit = collection.limit
    if not limit:
        return False
    importing = row.hardware is Hardware.IMPORT or row.restore_resource_id is None
    if importing and limit == ALL_SYSTEMS:
        return False
    if not importing and (limit, row.restore_resource_id or 0) in held:
        return False
    shown = facts[limit].describe() if limit in facts else limit
    if importing:
        text = (
            f"{collection.describe()} was not copied: pending evaluation, {row.destination} is imported by "
            f"this run and its limiting collection {shown} does not hold it yet; run the sheet again later"
        )
        lines.append(f"{collection.describe()}: not copied, pending evaluation of {shown}")
        row.add(Level.WARNING, text, code=messages.COPY_PENDING_EVALUATION)
    else:
        text = (
            f"{collection.describe()} was not copied: its limiting collection {shown} does not hold "
            f"{row.destination}; run the sheet again once it does"
        )
        lines.append(f"{collection.describe()}: not copied, {shown} does not hold {row.destination}")
        row.add(Level.WARNING, text, code=messages.COPY_OUTSIDE_LIMIT)
    return True
