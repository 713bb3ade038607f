"""The resolve stage on its own: hand-made rows, the sample demo site through the gateway, and
the exact answer for each of its rules (which record a name is, what is refused and why)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from importer.model import Behavior, Hardware, Level, Message, RowResult, Status, Tag, UsersFrom
from importer.results import RunOptions
from importer.site.demo.provider import DemoSite
from importer.site.gateway import Site, build_site
from importer.stages.resolve import resolve
from tests.support.flaky import FlakyProvider
from tests.support.helpers import NO_WAIT, ids_by_name, site_snapshot

ALL = Behavior.CAPTURE_AND_RESTORE_ALL
SOME = Behavior.CAPTURE_ALL_RESTORE_SPECIFIED
ONE = Behavior.CAPTURE_AND_RESTORE_SPECIFIED
NOT_ON_SITE = (
    "{} is not on site DEM, or not visible to this account (security scopes): check the spelling "
    "and the account's scopes"
)
ADD_HARDWARE = "; a new computer can be imported: add its MAC address or SMBIOS GUID to the sheet"


def row(number: int, source: str, destination: str, behavior: Behavior = ALL, **more: Any) -> RowResult:
    return RowResult("Wave", number, source=source, destination=destination, behavior=behavior, **more)


def gateway(provider: DemoSite | FlakyProvider) -> Site:
    return build_site(provider, RunOptions(retry=NO_WAIT))


def records_of(site_path: Path, name: str) -> list[int]:
    """Every ResourceID the site holds for `name`, live or not."""
    computers = site_snapshot(site_path)["computers"]
    assert isinstance(computers, list)
    return [c["resource_id"] for c in computers if c["name"] == name]


def said(done: RowResult) -> list[Message]:
    return list(done.messages)


def error(text: str, column: str, tag: Tag | None = None) -> Message:
    return Message(Level.ERROR, text, column, tag)


def test_a_name_with_one_live_record_is_that_record(site: DemoSite, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    rows = [row(2, "CON-PC0003", "CON-NB0003"), row(3, "CON-PC0004", "CON-NB0004", ONE, users=["CONTOSO\\a"])]
    resolve(rows, gateway(site))
    assert [(r.status, r.source_resource_id, r.restore_resource_id) for r in rows] == [
        (None, ids["CON-PC0003"], ids["CON-NB0003"]),
        (None, ids["CON-PC0004"], ids["CON-NB0004"]),
    ]
    assert (ids["CON-PC0003"], ids["CON-NB0003"]) == (16777219, 16777259)  # the sample inventory's
    assert [said(r) for r in rows] == [[], []]  # nothing to say
    assert [r.hardware for r in rows] == [None, None]
    assert rows[1].users == ["CONTOSO\\a"]  # the sheet's users are kept as they are


def test_an_obsolete_twin_is_ignored_with_a_note(site: DemoSite, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    assert records_of(site_path, "CON-PC0007") == [16777223, 16777297]  # the second one is obsolete
    [done] = rows = [row(2, "CON-PC0007", "CON-NB0007")]
    resolve(rows, gateway(site))
    assert (done.status, done.source_resource_id, done.restore_resource_id) == (
        None,
        ids["CON-PC0007"],
        ids["CON-NB0007"],
    )
    assert done.source_resource_id == 16777223
    assert said(done) == [
        Message(
            Level.NOTE,
            "CON-PC0007: used 16777223; ignored 16777297 (CONTOSO, created 2019-05-04, obsolete)",
            "Source",
        )
    ]


def test_only_retired_records_leave_the_row_unresolved(site: DemoSite) -> None:
    rows = [row(2, "CON-PC0099", "CON-NB0015"), row(3, "CON-PC0098", "CON-NB0016")]
    resolve(rows, gateway(site))
    assert [(r.status, r.source_resource_id, r.restore_resource_id) for r in rows] == [
        (Status.UNRESOLVED, None, None),
        (Status.UNRESOLVED, None, None),
    ]
    assert [said(r) for r in rows] == [
        [
            error(
                "CON-PC0099 has only retired records (16777300 (CONTOSO, created 2021-05-14, obsolete)): "
                "it was reimaged or decommissioned; check the name",
                "Source",
            )
        ],
        [
            error(
                "CON-PC0098 has only retired records (16777299 (CONTOSO, created 2021-04-13, "
                "decommissioned)): it was reimaged or decommissioned; check the name",
                "Source",
            )
        ],
    ]


def test_two_live_records_leave_the_row_unresolved_unless_the_sheet_picks_one(
    site: DemoSite, site_path: Path
) -> None:
    first, second = records_of(site_path, "CON-PC0013")
    ids = ids_by_name(site_path)
    rows = [
        row(2, "CON-PC0013", "CON-NB0013"),
        row(3, "CON-PC0013", "CON-NB0014", given_source_resource_id=first),
        row(4, "CON-PC0015", "CON-PC0013", headers={"restore_resource_id": "New PC ID"}),
    ]
    resolve(rows, gateway(site))
    assert [(r.status, r.source_resource_id, r.restore_resource_id) for r in rows] == [
        (Status.UNRESOLVED, None, None),
        (None, first, ids["CON-NB0014"]),
        (Status.UNRESOLVED, None, None),
    ]
    both = f"{first} (CONTOSO, created 2021-06-24), {second} (WORKGROUP, created 2024-02-01)"
    assert said(rows[0]) == [
        error(
            f"CON-PC0013 has 2 live records: {both}; put the right one in the SourceResourceID column "
            "(or remove the duplicate record in the console)",
            "Source",
        )
    ]
    assert said(rows[1]) == []
    assert said(rows[2]) == [  # as a destination: the column for its ID, by the user's header
        error(
            f"CON-PC0013 has 2 live records: {both}; put the right one in the New PC ID column "
            "(or remove the duplicate record in the console)",
            "Destination",
        )
    ]


def test_a_given_resource_id_is_verified_not_trusted(site: DemoSite, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    rows = [
        row(2, "CON-PC0017", "CON-NB0017", given_source_resource_id=ids["CON-PC0018"]),
        row(3, "CON-PC0019", "CON-NB0019", given_restore_resource_id=99999999),
        row(4, "CON-PC0007", "CON-NB0020", given_source_resource_id=16777297),  # its obsolete twin
        row(5, "CON-PC0021", "CON-NB0021", given_restore_resource_id=ids["CON-NB0021"]),
    ]
    resolve(rows, gateway(site))
    assert [(r.status, r.source_resource_id, r.restore_resource_id) for r in rows] == [
        (Status.UNRESOLVED, None, None),
        (Status.UNRESOLVED, None, None),
        (Status.UNRESOLVED, None, None),
        (None, ids["CON-PC0021"], ids["CON-NB0021"]),
    ]
    assert [said(r) for r in rows] == [
        [
            error(
                f"ResourceID {ids['CON-PC0018']} belongs to CON-PC0018, not CON-PC0017: fix the name or the ID",
                "Source",
            )
        ],
        [
            error(
                "ResourceID 99999999 is not on site DEM, or not visible to this account (security scopes)",
                "Destination",
            )
        ],
        [error("ResourceID 16777297 (CONTOSO, created 2019-05-04, obsolete) is not a live record", "Source")],
        [],
    ]


def test_an_unknown_name_is_not_on_the_site(site: DemoSite) -> None:
    rows = [row(2, "CON-PC0077", "CON-NB0003"), row(3, "CON-PC0003", "CON-NB0077"), row(4, "NOPE1", "NOPE2")]
    resolve(rows, gateway(site))
    assert [r.status for r in rows] == [Status.UNRESOLVED] * 3
    assert [(r.source_resource_id, r.restore_resource_id) for r in rows] == [(None, None)] * 3
    assert [said(r) for r in rows] == [
        [error(NOT_ON_SITE.format("CON-PC0077"), "Source", Tag.NOT_ON_SITE)],
        [error(NOT_ON_SITE.format("CON-NB0077") + ADD_HARDWARE, "Destination", Tag.NOT_ON_SITE)],
        [
            error(NOT_ON_SITE.format("NOPE1"), "Source", Tag.NOT_ON_SITE),
            error(NOT_ON_SITE.format("NOPE2") + ADD_HARDWARE, "Destination", Tag.NOT_ON_SITE),
        ],
    ]


@pytest.mark.parametrize("name", ["CON-GHOST", "CON-NB0005"])
def test_resource_id_0_is_never_an_answer(site: DemoSite, site_path: Path, name: str) -> None:
    """A record the provider reports with ResourceID 0 is no computer to associate: alone it
    leaves its name unresolved, beside a real record it is passed over; a given ID 0 is refused."""
    ids = ids_by_name(site_path)
    with sqlite3.connect(site_path) as db:
        db.execute("INSERT INTO computers (ResourceID, Name, Domain) VALUES (0, ?, 'CONTOSO')", (name,))
    rows = [
        row(2, "CON-PC0005", name),
        row(3, "CON-PC0006", "CON-NB0006", given_restore_resource_id=0),
    ]
    resolve(rows, gateway(site))
    if name == "CON-GHOST":
        assert (rows[0].status, rows[0].source_resource_id, rows[0].restore_resource_id) == (
            Status.UNRESOLVED,
            None,
            None,
        )
        assert said(rows[0]) == [
            error(
                "CON-GHOST has only retired records (0 (CONTOSO)): it was reimaged or decommissioned; "
                "check the name",
                "Destination",
            )
        ]
    else:
        assert (rows[0].status, rows[0].source_resource_id, rows[0].restore_resource_id) == (
            None,
            ids["CON-PC0005"],
            16777261,
        )
        assert said(rows[0]) == [
            Message(Level.NOTE, "CON-NB0005: used 16777261; ignored 0 (CONTOSO)", "Destination")
        ]
    assert (rows[1].status, rows[1].source_resource_id, rows[1].restore_resource_id) == (
        Status.UNRESOLVED,
        None,
        None,
    )
    assert said(rows[1]) == [
        error(
            "ResourceID 0 is not on site DEM, or not visible to this account (security scopes)", "Destination"
        )
    ]


def test_a_source_without_a_client_resolves(site: DemoSite, site_path: Path) -> None:
    """Resolve finds it; that its capture cannot run is readiness's to say (test_readiness)."""
    ids = ids_by_name(site_path)
    [done] = rows = [row(2, "CON-KIOSK01", "CON-NB0009")]
    resolve(rows, gateway(site))
    assert (done.status, done.source_resource_id, done.restore_resource_id) == (
        None,
        ids["CON-KIOSK01"],
        ids["CON-NB0009"],
    )
    assert said(done) == []


def test_rows_already_decided_or_without_both_names_are_not_looked_up(site: DemoSite) -> None:
    flaky = FlakyProvider(site)
    rows = [
        row(2, "CON-PC0003", "CON-NB0003", status=Status.INVALID),
        row(3, "CON-PC0004", "", status=None),
        row(4, "", "CON-NB0005"),
    ]
    resolve(rows, gateway(flaky))
    assert [(r.status, r.source_resource_id, r.restore_resource_id, said(r)) for r in rows] == [
        (Status.INVALID, None, None, []),
        (None, None, None, []),
        (None, None, None, []),
    ]
    assert flaky.query_round_trips == 0  # nothing to look up: the site is not asked


@pytest.mark.parametrize(
    ("users_from", "source", "users"),
    [
        (UsersFrom.PRIMARY, "CON-PC0027", ["CONTOSO\\zack.i", "CONTOSO\\amy.j"]),
        (UsersFrom.PRIMARY, "CON-PC0026", ["CONTOSO\\yara.h"]),
        (UsersFrom.LAST_LOGON, "CON-PC0028", ["CONTOSO\\dina.m"]),
        (UsersFrom.LAST_LOGON, "CON-PC0026", ["CONTOSO\\yara.h"]),
    ],
)
def test_users_from_the_site(site: DemoSite, users_from: UsersFrom, source: str, users: list[str]) -> None:
    rows = [
        row(2, source, "CON-NB0003", ONE),  # needs users, gives none: the site's
        row(3, source, "CON-NB0004", SOME, users=["CONTOSO\\kept"]),  # the sheet's stay
        row(4, source, "CON-NB0005", ALL),  # behaviour 0 needs none
    ]
    resolve(rows, gateway(site), users_from)
    assert [(r.status, r.users, r.users_from) for r in rows] == [
        (None, users, users_from),
        (None, ["CONTOSO\\kept"], None),
        (None, [], None),
    ]
    assert said(rows[0]) == [
        Message(Level.NOTE, f"users from the site ({users_from.value}): {', '.join(users)}", "Users")
    ]
    assert [said(r) for r in rows[1:]] == [[], []]


@pytest.mark.parametrize(
    ("users_from", "source"),
    [
        (UsersFrom.PRIMARY, "CON-PC0028"),  # a last logon, no primary user
        (UsersFrom.PRIMARY, "CON-PC0005"),  # only inactive or non-primary relationships (below)
        (UsersFrom.LAST_LOGON, "CON-PC0027"),  # primary users, no last logon
    ],
)
def test_a_source_the_site_knows_no_users_of_is_invalid(
    site: DemoSite, site_path: Path, users_from: UsersFrom, source: str
) -> None:
    ids = ids_by_name(site_path)
    with sqlite3.connect(site_path) as db:
        db.execute("INSERT INTO affinity VALUES (?, 'CONTOSO\\gone', 0, '1')", (ids["CON-PC0005"],))
        db.execute("INSERT INTO affinity VALUES (?, 'CONTOSO\\helpdesk', 1, '2')", (ids["CON-PC0005"],))
    [done] = rows = [row(2, source, "CON-NB0003", ONE)]
    resolve(rows, gateway(site), users_from)
    assert (done.status, done.users, done.users_from) == (Status.INVALID, [], None)
    assert (done.source_resource_id, done.restore_resource_id) == (ids[source], ids["CON-NB0003"])
    assert said(done) == [
        error(
            f"behaviour 2 (capture and restore specified user accounts) needs users, and the site knows "
            f"no {users_from.value} of {source}: add them to the sheet",
            "Users",
        )
    ]


def test_without_users_from_a_row_without_users_is_left_to_the_checks_before(site: DemoSite) -> None:
    [done] = rows = [row(2, "CON-PC0027", "CON-NB0003", ONE)]
    resolve(rows, gateway(site))
    assert (done.status, done.users, done.users_from, said(done)) == (None, [], None, [])


def test_a_new_computer_with_a_mac_or_guid_is_planned_as_an_import(site: DemoSite, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    guid = "4C4C4544-0042-3510-8052-000000000001"
    rows = [
        row(2, "CON-PC0003", "NEWPC01", mac="00:1A:2B:00:00:01"),
        row(3, "CON-PC0004", "NEWPC02", smbios_guid=guid),
        row(
            4,
            "CON-PC0005",
            "NEWPC03",
            mac="00:1A:2B:00:00:03",
            smbios_guid="4C4C4544-0042-3510-8052-000000000003",
        ),
        # the MAC of CON-PC0007's obsolete record: a retired record holds nothing
        row(5, "CON-PC0006", "NEWPC04", mac="00:15:5D:00:00:51"),
        # a destination the site knows, MAC given anyway: that record, no import
        row(6, "CON-PC0008", "CON-NB0008", mac="00:15:5D:00:00:30"),
        # the new computer is fine, the source is unknown
        row(7, "CON-PC0077", "NEWPC05", mac="00:1A:2B:00:00:05"),
    ]
    resolve(rows, gateway(site))
    assert [(r.status, r.hardware, r.source_resource_id, r.restore_resource_id) for r in rows] == [
        (None, Hardware.IMPORT, ids["CON-PC0003"], None),
        (None, Hardware.IMPORT, ids["CON-PC0004"], None),
        (None, Hardware.IMPORT, ids["CON-PC0005"], None),
        (None, Hardware.IMPORT, ids["CON-PC0006"], None),
        (None, Hardware.KNOWN, ids["CON-PC0008"], ids["CON-NB0008"]),
        (Status.UNRESOLVED, None, None, None),
    ]
    note = "{} is not on the site: it will be imported ({})"
    assert [said(r) for r in rows] == [
        [Message(Level.NOTE, note.format("NEWPC01", "00:1A:2B:00:00:01"), "Destination", Tag.TO_IMPORT)],
        [Message(Level.NOTE, note.format("NEWPC02", guid), "Destination", Tag.TO_IMPORT)],
        [
            Message(
                Level.NOTE,
                note.format("NEWPC03", "00:1A:2B:00:00:03, 4C4C4544-0042-3510-8052-000000000003"),
                "Destination",
                Tag.TO_IMPORT,
            )
        ],
        [Message(Level.NOTE, note.format("NEWPC04", "00:15:5D:00:00:51"), "Destination", Tag.TO_IMPORT)],
        [],
        [error(NOT_ON_SITE.format("CON-PC0077"), "Source", Tag.NOT_ON_SITE)],
    ]
    assert records_of(site_path, "NEWPC01") == []  # resolving imports nothing


def test_a_mac_or_guid_another_record_holds_is_an_import_conflict(site: DemoSite, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    rows = [
        row(2, "CON-PC0004", "NEWPC02", mac="00:15:5D:00:00:50"),  # CON-NB0040's MAC
        row(3, "CON-PC0005", "NEWPC03", smbios_guid="9B9A523E-E2EF-5D1E-9BA8-C64B001C7352"),  # PC0005's
        row(
            4,
            "CON-PC0006",
            "NEWPC04",
            mac="00:15:5D:00:00:4F",
            smbios_guid="4C34E4FA-FB0A-566F-8875-D9751FDF75E5",
        ),
    ]
    resolve(rows, gateway(site))
    assert [(r.status, r.hardware, r.source_resource_id, r.restore_resource_id) for r in rows] == [
        (Status.CONFLICT, Hardware.NOT_IMPORTED, ids["CON-PC0004"], None),
        (Status.CONFLICT, Hardware.NOT_IMPORTED, ids["CON-PC0005"], None),
        (Status.CONFLICT, Hardware.NOT_IMPORTED, ids["CON-PC0006"], None),
    ]
    conflict = (
        "{} is not on the site, but its MAC address or SMBIOS GUID already belongs to {}: not imported, "
        "nothing done. Check the hardware list, or run with --overwrite-existing-record to let the import "
        "take over that record"
    )
    nb39 = f"CON-NB0039 {ids['CON-NB0039']} (CONTOSO, created 2026-11-02)"
    nb40 = f"CON-NB0040 {ids['CON-NB0040']} (CONTOSO, created 2026-11-02)"
    pc5 = f"CON-PC0005 {ids['CON-PC0005']} (CONTOSO, created 2021-10-16)"
    assert [said(r) for r in rows] == [
        [error(conflict.format("NEWPC02", nb40), "MAC Address", Tag.IMPORT_CONFLICT)],
        [error(conflict.format("NEWPC03", pc5), "SMBIOS GUID", Tag.IMPORT_CONFLICT)],
        [error(conflict.format("NEWPC04", f"{nb39}, {nb40}"), "MAC Address", Tag.IMPORT_CONFLICT)],
    ]


def test_overwrite_existing_record_plans_the_import_over_the_holder(site: DemoSite, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    [done] = rows = [row(2, "CON-PC0004", "NEWPC02", mac="00:15:5D:00:00:50")]
    resolve(rows, gateway(site), overwrite_existing_record=True)
    assert (done.status, done.hardware, done.source_resource_id, done.restore_resource_id) == (
        None,
        Hardware.IMPORT,
        ids["CON-PC0004"],
        None,
    )
    assert said(done) == [
        Message(
            Level.NOTE,
            "NEWPC02 is not on the site: it will be imported (00:15:5D:00:00:50), taking over the record "
            f"of CON-NB0040 {ids['CON-NB0040']} (CONTOSO, created 2026-11-02) (--overwrite-existing-record)",
            "Destination",
            Tag.TO_IMPORT,
        )
    ]
