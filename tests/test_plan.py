"""The plan stage on its own: resolved rows made by hand, compared with what the sample demo site
holds (through the gateway), and the exact answer for each rule: exists, conflict, planned,
--update, collections. Planning never changes the site."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from importer import messages as M
from importer.messages import Code
from importer.model import Behavior, Hardware, Level, RowResult, Status, Tag
from importer.results import RunOptions
from importer.site.demo.provider import DemoSite
from importer.site.gateway import Site, build_site
from importer.stages.plan import plan
from tests.support.flaky import FlakyProvider
from tests.support.helpers import NO_WAIT, ids_by_name, site_snapshot

ALL = Behavior.CAPTURE_AND_RESTORE_ALL
SOME = Behavior.CAPTURE_ALL_RESTORE_SPECIFIED
ONE = Behavior.CAPTURE_AND_RESTORE_SPECIFIED
# The sample site's associations: PC0001 -> NB0001 (2, CONTOSO\alice.w, not started),
# PC0002 -> NB0002 (0, not started), PC0030 -> NB0030 (2, CONTOSO\omar.k, in progress),
# PC0031 -> NB0031 (1, CONTOSO\lee.c and CONTOSO\svc-scan, not started).
ONE_SOURCE = (Level.ERROR, None, M.DESTINATION_HAS_ANOTHER_SOURCE)
ONE_ASSOCIATION = (Level.ERROR, None, M.SOURCE_HAS_ANOTHER_DESTINATION)
EXISTS = (Level.NOTE, None, M.ALREADY_ON_SITE)
Said = tuple[Level, str | None, Code]  # a message: level, column, code


@pytest.fixture
def ids(site_path: Path) -> dict[str, int]:
    return ids_by_name(site_path)


def gateway(provider: DemoSite | FlakyProvider) -> Site:
    return build_site(provider, RunOptions(retry=NO_WAIT))


def resolved(
    ids: dict[str, int],
    number: int,
    source: str,
    destination: str,
    behavior: Behavior = ALL,
    users: Sequence[str] = (),
    **more: Any,
) -> RowResult:
    """A row as resolve leaves it: both computers' ResourceIDs filled in (a new one: none)."""
    return RowResult(
        "Wave",
        number,
        source=source,
        destination=destination,
        behavior=behavior,
        users=users,
        source_resource_id=ids[source],
        restore_resource_id=ids.get(destination),
        **more,
    )


def label(ids: dict[str, int], name: str) -> str:
    return f"{name} ({ids[name]})"


def said(row: RowResult) -> list[Said]:
    return [(m.level, m.column, m.code) for m in row.messages]


def named(row: RowResult, *parts: str) -> bool:
    """Whether the row's messages name these (the other association, the versions compared)."""
    texts = "\n".join(m.text for m in row.messages)
    return all(part in texts for part in parts)


def test_a_pair_on_the_site_as_the_sheet_asks_exists(site: DemoSite, ids: dict[str, int]) -> None:
    rows = [
        resolved(ids, 2, "CON-PC0001", "CON-NB0001", ONE, ["CONTOSO\\alice.w"]),
        resolved(ids, 3, "CON-PC0002", "CON-NB0002", ALL),
        # users compare without case and order
        resolved(ids, 4, "CON-PC0031", "CON-NB0031", SOME, ["contoso\\SVC-SCAN", "CONTOSO\\lee.c"]),
    ]
    plan(rows, gateway(site))
    assert [r.status for r in rows] == [Status.EXISTS] * 3
    assert [said(r) for r in rows] == [[EXISTS]] * 3
    assert [m.tag for r in rows for m in r.messages] == [Tag.ALREADY_ON_SITE] * 3
    assert [r.replaces for r in rows] == [None] * 3


def test_a_pair_on_the_site_in_another_version_is_a_conflict_without_update(
    site: DemoSite, ids: dict[str, int]
) -> None:
    rows = [
        resolved(ids, 2, "CON-PC0001", "CON-NB0001", ONE, ["CONTOSO\\bob"]),
        resolved(ids, 3, "CON-PC0002", "CON-NB0002", SOME, ["CONTOSO\\x"]),
    ]
    plan(rows, gateway(site))
    assert [r.status for r in rows] == [Status.CONFLICT, Status.CONFLICT]
    assert [said(r) for r in rows] == [[(Level.ERROR, None, M.DIFFERENT_ON_SITE)]] * 2
    # each says what the site has and what the sheet asks for
    assert named(rows[0], "behaviour 2, users CONTOSO\\alice.w", "behaviour 2, users CONTOSO\\bob")
    assert named(rows[1], "behaviour 0, users none", "behaviour 1, users CONTOSO\\x")


def test_conflicts_with_what_is_on_the_site(site: DemoSite, site_path: Path, ids: dict[str, int]) -> None:
    before = site_snapshot(site_path)
    rows = [
        # NB0002 already restores PC0002
        resolved(ids, 2, "CON-PC0020", "CON-NB0002", ALL),
        # PC0001's association is behaviour 2: it can have no other
        resolved(ids, 3, "CON-PC0001", "CON-NB0020", ALL),
        # PC0002's is behaviour 0, but this row is behaviour 2: one association only
        resolved(ids, 4, "CON-PC0002", "CON-NB0022", ONE, ["CONTOSO\\x"]),
        # PC0002's is behaviour 0 and so is this row: one source may restore to several computers
        resolved(ids, 5, "CON-PC0002", "CON-NB0021", ALL),
        resolved(ids, 6, "CON-PC0031", "CON-NB0023", SOME, ["CONTOSO\\x"]),
        # a new computer to import: its source's association counts all the same
        RowResult(
            "Wave",
            7,
            source="CON-PC0001",
            destination="NEWPC01",
            behavior=ALL,
            source_resource_id=ids["CON-PC0001"],
            hardware=Hardware.IMPORT,
            mac="00:1A:2B:00:00:01",
        ),
    ]
    plan(rows, gateway(site))
    assert [r.status for r in rows] == [
        Status.CONFLICT,
        Status.CONFLICT,
        Status.CONFLICT,
        Status.PLANNED,
        Status.PLANNED,
        Status.CONFLICT,
    ]
    assert [said(r) for r in rows] == [
        [ONE_SOURCE],
        [ONE_ASSOCIATION],
        [ONE_ASSOCIATION],
        [],
        [],
        [ONE_ASSOCIATION],
    ]
    # each names the association on the site it meets
    met = [("CON-NB0002", "CON-PC0002"), ("CON-PC0001", "CON-NB0001"), ("CON-PC0002", "CON-NB0002")]
    met += [("CON-PC0001", "CON-NB0001")]
    conflicts = [rows[0], rows[1], rows[2], rows[5]]
    assert [named(r, label(ids, a), label(ids, b)) for r, (a, b) in zip(conflicts, met, strict=True)] == [
        True
    ] * 4
    assert site_snapshot(site_path) == before


def test_an_in_place_association_is_not_a_conflict(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    with sqlite3.connect(site_path) as db:  # a refresh task sequence's, on PC0005
        db.execute(
            "INSERT INTO associations (SourceClientResourceID, RestoreClientResourceID, MigrationBehavior, "
            "MigrationType, Created) VALUES (?, ?, 0, 2, 'x')",
            (ids["CON-PC0005"], ids["CON-PC0005"]),
        )
    [row] = rows = [resolved(ids, 2, "CON-PC0005", "CON-NB0005", ONE, ["CONTOSO\\x"])]
    plan(rows, gateway(site))
    assert row.status is Status.PLANNED
    assert said(row) == [(Level.NOTE, None, M.IN_PLACE_ON_SITE)]
    assert named(row, label(ids, "CON-PC0005"))


def test_update_replaces_a_differing_pair_while_its_capture_has_not_started(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    site.migrate("CON-PC0031", "CON-NB0031", "captured")  # its user state is stored now
    before = site_snapshot(site_path)
    rows = [
        resolved(ids, 2, "CON-PC0001", "CON-NB0001", ONE, ["CONTOSO\\bob"]),
        resolved(ids, 3, "CON-PC0002", "CON-NB0002", SOME, ["CONTOSO\\x", "CONTOSO\\y"]),
        resolved(ids, 4, "CON-PC0030", "CON-NB0030", ONE, ["CONTOSO\\x"]),  # in progress
        resolved(ids, 5, "CON-PC0031", "CON-NB0031", ALL),  # captured
        resolved(ids, 6, "CON-PC0020", "CON-NB0020", ALL),  # nothing on the site: plain planned
    ]
    plan(rows, gateway(site), update=True)
    assert [(r.status, r.replaces) for r in rows] == [
        (Status.PLANNED, (2, ("CONTOSO\\alice.w",))),
        (Status.PLANNED, (0, ())),
        (Status.CONFLICT, None),
        (Status.CONFLICT, None),
        (Status.PLANNED, None),
    ]
    started = (Level.ERROR, None, M.CAPTURE_STARTED_NOT_UPDATED)
    assert [said(r) for r in rows] == [
        [(Level.NOTE, None, M.WILL_REPLACE)],
        [(Level.NOTE, None, M.WILL_REPLACE)],
        [started],
        [started],
        [],
    ]
    assert named(rows[0], "behaviour 2, users CONTOSO\\alice.w", "behaviour 2, users CONTOSO\\bob")
    assert named(rows[1], "behaviour 0, users none", "behaviour 1, users CONTOSO\\x, CONTOSO\\y")
    assert named(rows[2], "in progress") and named(rows[3], "its user state is stored")  # why it stays
    assert site_snapshot(site_path) == before  # planning replaces nothing yet


def test_update_leaves_a_pair_that_is_as_the_sheet_asks(site: DemoSite, ids: dict[str, int]) -> None:
    [row] = rows = [resolved(ids, 2, "CON-PC0001", "CON-NB0001", ONE, ["CONTOSO\\alice.w"])]
    plan(rows, gateway(site), update=True)
    assert (row.status, row.replaces, said(row)) == (Status.EXISTS, None, [EXISTS])


def test_a_dry_run_plan_leaves_rows_planned_and_the_site_as_it_was(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    before = site_snapshot(site_path)
    flaky = FlakyProvider(site)
    rows = [
        resolved(ids, n, f"CON-PC{n:04d}", f"CON-NB{n:04d}", ONE, [f"CONTOSO\\user{n}"]) for n in (3, 4, 5)
    ]
    plan(rows, gateway(flaky))
    assert [r.status for r in rows] == [Status.PLANNED] * 3
    assert [said(r) for r in rows] == [[], [], []]
    assert flaky.call_batches == []  # not one method call: only reads
    assert site_snapshot(site_path) == before


def test_rows_not_open_or_not_resolved_are_left_as_they_are(site: DemoSite, ids: dict[str, int]) -> None:
    rows = [
        resolved(ids, 2, "CON-PC0001", "CON-NB0020", ALL, status=Status.UNRESOLVED),
        resolved(ids, 3, "CON-PC0001", "CON-NB0020", ALL, status=Status.INVALID),
        RowResult("Wave", 4, source="CON-PC0001", destination="CON-NB0020", behavior=ALL),  # no IDs
    ]
    plan(rows, gateway(site))
    assert [(r.status, said(r)) for r in rows] == [
        (Status.UNRESOLVED, []),
        (Status.INVALID, []),
        (None, []),
    ]


def test_collections_are_checked_and_members_noted(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    with sqlite3.connect(site_path) as db:  # NB0004 was put in DEM00011 by hand before
        db.execute("INSERT INTO collection_rules VALUES ('DEM00011', ?, 'by hand')", (ids["CON-NB0004"],))
    rows = [
        resolved(ids, 2, "CON-PC0003", "CON-NB0003", collections=["DEM00010", "Wave Refresh - Pilot"]),
        resolved(ids, 3, "CON-PC0004", "CON-NB0004", collections=["windows 11 deployment", "dem00011"]),
        resolved(ids, 4, "CON-PC0005", "CON-NB0005", collections=["Migration Users"]),
        resolved(ids, 5, "CON-PC0006", "CON-NB0006", collections=["SMS00001"]),
        resolved(ids, 6, "CON-PC0008", "CON-NB0008", collections=["DEM00010", "No Such Collection"]),
        # already on the site: its collection is still checked and planned
        resolved(ids, 7, "CON-PC0002", "CON-NB0002", collections=["DEM00010"]),
    ]
    plan(rows, gateway(site))
    assert [(r.status, list(r.collections), list(r.membership)) for r in rows] == [
        (
            Status.PLANNED,
            ["DEM00010", "DEM00011"],
            ["DEM00010 (Windows 11 Deployment): to add", "DEM00011 (Wave Refresh - Pilot): to add"],
        ),
        (
            Status.PLANNED,
            ["DEM00010"],
            ["DEM00010 (Windows 11 Deployment): to add", "DEM00011 (Wave Refresh - Pilot): already a member"],
        ),
        (Status.CONFLICT, ["Migration Users"], []),
        (Status.CONFLICT, ["SMS00001"], []),
        (Status.CONFLICT, ["DEM00010", "No Such Collection"], []),
        (Status.EXISTS, ["DEM00010"], ["DEM00010 (Windows 11 Deployment): to add"]),
    ]
    assert [said(r)[-1] for r in rows[2:5]] == [
        (Level.ERROR, "Collection", M.COLLECTION_OF_USERS),
        (Level.ERROR, "Collection", M.COLLECTION_BUILT_IN),
        (Level.ERROR, "Collection", M.COLLECTION_NOT_ON_SITE),
    ]
    assert [
        named(r, c) for r, c in zip(rows[2:5], ["DEM00020", "SMS00001", "No Such Collection"], strict=True)
    ] == [True] * 3


def test_update_never_deletes_a_version_the_site_would_not_let_it_replace(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    """PC0002 -> NB0002 (behaviour 0) beside PC0002 -> NB0021: the sheet's behaviour 2 for the
    first may not stand beside the second, so --update must not delete the first."""
    with sqlite3.connect(site_path) as db:
        db.execute(
            "INSERT INTO associations (SourceClientResourceID, RestoreClientResourceID, MigrationBehavior, "
            "MigrationStatus, Created) VALUES (?, ?, 0, 0, '20261207000000.000000+000')",
            (ids["CON-PC0002"], ids["CON-NB0021"]),
        )
    before = site_snapshot(site_path)
    [row] = rows = [resolved(ids, 2, "CON-PC0002", "CON-NB0002", ONE, ["CONTOSO\\x"])]
    plan(rows, gateway(site), update=True)
    assert (row.status, row.replaces) == (Status.CONFLICT, None)
    assert said(row) == [ONE_ASSOCIATION]
    assert named(row, label(ids, "CON-PC0002"), label(ids, "CON-NB0021"), "--update")
    assert site_snapshot(site_path) == before
