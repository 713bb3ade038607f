"""The apply stage on its own: planned rows made by hand, sent to the sample demo site through the
gateway (tests/flaky.py in front of it where faults are wanted), and the exact answer: each row's
status and messages, the batches sent, and what is on the site afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from importer.errors import ProviderUnavailable
from importer.model import Behavior, Hardware, Level, Message, RowResult, Status
from importer.results import RunOptions
from importer.site.demo.provider import DemoSite
from importer.site.gateway import Site, build_site
from importer.site.provider import WBEM_E_ACCESS_DENIED, CallResult, MethodCall, WmiError
from importer.stages.apply import apply
from tests.support.flaky import FlakyProvider
from tests.support.helpers import NO_WAIT, association_keys, ids_by_name, site_snapshot

ALL = Behavior.CAPTURE_AND_RESTORE_ALL
ONE = Behavior.CAPTURE_AND_RESTORE_SPECIFIED
# The sample site's associations (demo-associations.csv), by pair: behaviour and users.
SAMPLE = {
    (16777217, 16777257): (2, ["CONTOSO\\alice.w"]),
    (16777218, 16777258): (0, []),
    (16777246, 16777286): (2, ["CONTOSO\\omar.k"]),
    (16777247, 16777287): (1, ["CONTOSO\\lee.c", "CONTOSO\\svc-scan"]),
}
SAMPLE_KEYS = sorted(SAMPLE)
CONFIRMED = Message(Level.NOTE, "confirmed on the site after a retry (not sent twice)")


@pytest.fixture
def ids(site_path: Path) -> dict[str, int]:
    return ids_by_name(site_path)


def gateway(provider: DemoSite | FlakyProvider, batch_size: int = 2) -> Site:
    return build_site(provider, RunOptions(batch_size=batch_size, retry=NO_WAIT))


def planned(ids: dict[str, int], n: int, behavior: Behavior = ONE, **more: Any) -> RowResult:
    """Row `n`: CON-PC00nn -> CON-NB00nn, planned (behaviour 2 with CONTOSO\\usernn by default)."""
    source, destination = f"CON-PC{n:04d}", f"CON-NB{n:04d}"
    more.setdefault("users", [f"CONTOSO\\user{n}"] if behavior is not ALL else [])
    more.setdefault("status", Status.PLANNED)
    return RowResult(
        "Wave",
        n,
        source=source,
        destination=destination,
        behavior=behavior,
        source_resource_id=ids[source],
        restore_resource_id=ids[destination],
        **more,
    )


def key(ids: dict[str, int], n: int) -> tuple[int, int]:
    return (ids[f"CON-PC{n:04d}"], ids[f"CON-NB{n:04d}"])


def said(row: RowResult) -> list[Message]:
    return list(row.messages)


def on_site(site_path: Path) -> dict[tuple[int, int], tuple[int, list[str]]]:
    """Every association on the site: its behaviour and users."""
    associations = site_snapshot(site_path)["associations"]
    assert isinstance(associations, list)
    return {
        (a["source_resource_id"], a["restore_resource_id"]): (a["behavior"], a["users"]) for a in associations
    }


def rules(site_path: Path) -> list[tuple[str, int, str]]:
    """The direct rules of every computer but the sample's old ones (their own memberships)."""
    with sqlite3.connect(site_path) as db:
        return db.execute(
            "SELECT CollectionID, ResourceID, RuleName FROM collection_rules WHERE ResourceID IN "
            "(SELECT ResourceID FROM computers WHERE Name NOT LIKE 'CON-PC%') ORDER BY ResourceID"
        ).fetchall()


class Recorder:
    """A BatchListener that writes down what it is told."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, list[int]]] = []

    def _note(self, what: str, rows: Sequence[RowResult]) -> None:
        self.heard.append((what, [r.row for r in rows]))

    def before_send(self, rows: Sequence[RowResult]) -> None:
        self._note("before", rows)

    def imported(self, rows: Sequence[RowResult]) -> None:
        self._note("imported", rows)

    def replacing(self, rows: Sequence[RowResult]) -> None:
        self._note("replacing", rows)

    def after_send(self, rows: Sequence[RowResult]) -> None:
        self._note("after", rows)


def test_planned_rows_are_created_in_batches(site: DemoSite, site_path: Path, ids: dict[str, int]) -> None:
    flaky = FlakyProvider(site)
    rows = [planned(ids, n) for n in (3, 4, 5, 6)] + [planned(ids, 8, ALL)]
    # rows the plan did not leave planned are not sent
    rows += [planned(ids, 9, status=Status.EXISTS), planned(ids, 10, status=Status.CONFLICT)]
    listener = Recorder()
    apply(rows, gateway(flaky), listener)
    assert flaky.call_batches == [2, 2, 1]
    assert [r.status for r in rows] == [Status.CREATED] * 5 + [Status.EXISTS, Status.CONFLICT]
    assert [said(r) for r in rows] == [[]] * 7
    assert on_site(site_path) == {
        **SAMPLE,
        key(ids, 3): (2, ["CONTOSO\\user3"]),
        key(ids, 4): (2, ["CONTOSO\\user4"]),
        key(ids, 5): (2, ["CONTOSO\\user5"]),
        key(ids, 6): (2, ["CONTOSO\\user6"]),
        key(ids, 8): (0, []),
    }
    assert len(association_keys(site_path)) == 4 + 5
    assert listener.heard == [
        ("before", [3, 4]),
        ("after", [3, 4]),
        ("before", [5, 6]),
        ("after", [5, 6]),
        ("before", [8]),
        ("after", [8]),
    ]


def test_nothing_planned_sends_nothing(site: DemoSite, site_path: Path, ids: dict[str, int]) -> None:
    flaky = FlakyProvider(site)
    rows = [planned(ids, 3, status=Status.EXISTS), planned(ids, 4, status=Status.UNRESOLVED)]
    apply(rows, gateway(flaky))
    assert (flaky.call_batches, [r.status for r in rows]) == ([], [Status.EXISTS, Status.UNRESOLVED])
    assert association_keys(site_path) == SAMPLE_KEYS


def test_a_batch_the_provider_refuses_fails_with_its_message(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    """Planned, then the destinations of the first batch were decommissioned: the provider refuses
    both calls for good; they are not retried, and the next batch is created."""
    flaky = FlakyProvider(site)
    rows = [planned(ids, n) for n in (3, 4, 5)]
    with sqlite3.connect(site_path) as db:
        db.execute("UPDATE computers SET Decommissioned = 1 WHERE Name IN ('CON-NB0003', 'CON-NB0004')")
    apply(rows, gateway(flaky))
    assert flaky.call_batches == [2, 1]  # a refusal is not retried
    assert [r.status for r in rows] == [Status.FAILED, Status.FAILED, Status.CREATED]
    refused = (
        "the provider refused it: 0x80041001 Generic failure: RestoreClientResourceID {} ({}) is "
        "decommissioned; ErrorCode 2147749889 (0x80041001); Operation ExecMethod; ParameterInfo "
        "SMS_StateMigration"
    )
    assert [said(r) for r in rows] == [
        [Message(Level.ERROR, refused.format(ids["CON-NB0003"], "CON-NB0003"))],
        [Message(Level.ERROR, refused.format(ids["CON-NB0004"], "CON-NB0004"))],
        [],
    ]
    assert association_keys(site_path) == sorted([*SAMPLE_KEYS, key(ids, 5)])


def test_a_refusal_fails_only_its_row_and_a_pair_made_meanwhile_exists(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    from importer.site.provider import add_association_call

    rows = [
        planned(ids, 3),
        # NB0002 restores PC0002 on the site (the plan would have said so; someone was quicker)
        RowResult(
            "Wave",
            20,
            source="CON-PC0020",
            destination="CON-NB0002",
            behavior=ALL,
            source_resource_id=ids["CON-PC0020"],
            restore_resource_id=ids["CON-NB0002"],
            status=Status.PLANNED,
        ),
        planned(ids, 4, ALL),
    ]
    [made] = site.call([add_association_call(*key(ids, 4), 0, [])])  # by someone else, after the plan
    assert made.ok
    apply(rows, gateway(site, batch_size=10))
    assert [r.status for r in rows] == [Status.CREATED, Status.FAILED, Status.EXISTS]
    assert [said(r) for r in rows] == [
        [],
        [
            Message(
                Level.ERROR,
                f"the provider refused it: 0x80041001 Generic failure: restore client {ids['CON-NB0002']} "
                f"already restores from {ids['CON-PC0002']}; ErrorCode 2147749889 (0x80041001); Operation "
                "ExecMethod; ParameterInfo SMS_StateMigration",
            )
        ],
        [Message(Level.NOTE, "created by someone else after the plan was made: left as it is")],
    ]
    assert association_keys(site_path) == sorted([*SAMPLE_KEYS, key(ids, 3), key(ids, 4)])


class DeniesAssociations(FlakyProvider):
    """The account may not make associations: every AddAssociationEx is refused for good."""

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        self.call_batches.append(len(calls))
        denied = WmiError(WBEM_E_ACCESS_DENIED, "Access denied", {"Description": "no StateMigration rights"})
        return [CallResult(error=denied) for _ in calls]


def test_access_denied_is_reported_and_never_retried(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    denied = DeniesAssociations(site)
    rows = [planned(ids, n) for n in (3, 4, 5)]
    apply(rows, gateway(denied))
    assert denied.call_batches == [2, 1]
    assert [r.status for r in rows] == [Status.FAILED] * 3
    assert [said(r) for r in rows] == [
        [Message(Level.ERROR, "the provider refused it: 0x80041003 Access denied: no StateMigration rights")]
    ] * 3
    assert association_keys(site_path) == SAMPLE_KEYS


@pytest.mark.parametrize(
    ("fault", "batches", "confirmed"),
    [
        # the connection drops before batch 2 arrives: batch 2 is sent again, whole
        ("before", [2, 2, 2, 1], []),
        # batch 2 lands and its reply is lost: the site is read back, nothing is sent again
        ("after", [2, 2, 1], [5, 6]),
        # the first call of batch 2 is busy (RPC): only that call is sent again
        ("first-call-busy", [2, 2, 1, 1], []),
    ],
)
def test_retries_of_transient_faults_never_create_twice(
    site: DemoSite, site_path: Path, ids: dict[str, int], fault: str, batches: list[int], confirmed: list[int]
) -> None:
    flaky = FlakyProvider(site, faults=[None, fault])
    rows = [planned(ids, n) for n in (3, 4, 5, 6, 7)]
    apply(rows, gateway(flaky))
    assert flaky.call_batches == batches
    # sent twice, a pair would come back "already exists" and the row would be `exists`
    assert [r.status for r in rows] == [Status.CREATED] * 5
    assert [said(r) for r in rows] == [[CONFIRMED] if r.row in confirmed else [] for r in rows]
    assert association_keys(site_path) == sorted([*SAMPLE_KEYS, *(key(ids, n) for n in (3, 4, 5, 6, 7))])


def test_a_provider_gone_for_good_leaves_the_batch_in_flight_unknown_and_the_rest_not_sent(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    flaky = FlakyProvider(site, faults=[None, "always"])
    rows = [planned(ids, n) for n in (3, 4, 5, 6, 7)]
    with pytest.raises(ProviderUnavailable) as stopped:
        apply(rows, gateway(flaky))
    assert flaky.call_batches == [2, 2, 2, 2, 2]  # batch 2: four attempts (NO_WAIT), then no more
    reason = str(stopped.value)
    assert reason.startswith(
        "creating 2 associations: the provider still failed after 4 attempts (host unreachable)."
    )
    assert [r.status for r in rows] == [Status.CREATED] * 2 + [Status.UNKNOWN] * 2 + [Status.NOT_SENT]
    unknown = (
        f"outcome unknown ({reason}): run the same sheet again; if it was created it will show as exists"
    )
    assert [said(r) for r in rows] == [
        [],
        [],
        [Message(Level.ERROR, unknown)],
        [Message(Level.ERROR, unknown)],
        [Message(Level.ERROR, f"not sent ({reason})")],
    ]
    assert association_keys(site_path) == sorted([*SAMPLE_KEYS, key(ids, 3), key(ids, 4)])


def test_an_interruption_between_batches_leaves_the_rest_not_sent(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    flaky = FlakyProvider(site)
    rows = [planned(ids, n) for n in (3, 4, 5, 6, 7)]
    listener = Recorder()
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C came during batch 1: honoured after it
        apply(rows, gateway(flaky), listener, stop_requested=lambda: len(flaky.call_batches) >= 1)
    assert flaky.call_batches == [2]
    assert [r.status for r in rows] == [Status.CREATED] * 2 + [Status.NOT_SENT] * 3
    assert [said(r) for r in rows] == [[], []] + [[Message(Level.ERROR, "not sent (interrupted)")]] * 3
    assert listener.heard == [("before", [3, 4]), ("after", [3, 4])]
    assert association_keys(site_path) == sorted([*SAMPLE_KEYS, key(ids, 3), key(ids, 4)])


def test_created_destinations_join_their_collections(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    flaky = FlakyProvider(site)
    to_add = ["DEM00010 (Windows 11 Deployment): to add"]
    both = [*to_add, "DEM00011 (Wave Refresh - Pilot): to add"]
    rows = [
        planned(ids, 3, collections=["DEM00010"], membership=to_add),
        planned(ids, 4, collections=["DEM00010", "DEM00011"], membership=both),
        planned(ids, 5),  # no collection
        # already associated, its collection still to join (after the creations)
        planned(ids, 6, status=Status.EXISTS, collections=["DEM00011"], membership=both[1:]),
    ]
    apply(rows, gateway(flaky, batch_size=10))
    # one AddAssociationEx batch, then one AddMembershipRules call per collection; then the row that exists
    assert flaky.call_batches == [3, 2, 1]
    assert [r.status for r in rows] == [Status.CREATED, Status.CREATED, Status.CREATED, Status.EXISTS]
    assert [list(r.joined) for r in rows] == [["DEM00010"], ["DEM00010", "DEM00011"], [], ["DEM00011"]]
    assert [list(r.membership) for r in rows] == [
        ["DEM00010 (Windows 11 Deployment): added"],
        ["DEM00010 (Windows 11 Deployment): added", "DEM00011 (Wave Refresh - Pilot): added"],
        [],
        ["DEM00011 (Wave Refresh - Pilot): added"],
    ]
    assert [said(r) for r in rows] == [[]] * 4
    assert rules(site_path) == [
        ("DEM00010", ids["CON-NB0003"], "CON-NB0003"),
        ("DEM00010", ids["CON-NB0004"], "CON-NB0004"),
        ("DEM00011", ids["CON-NB0004"], "CON-NB0004"),
        ("DEM00011", ids["CON-NB0006"], "CON-NB0006"),
    ]


def test_a_join_whose_reply_is_lost_is_confirmed_not_sent_again(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    flaky = FlakyProvider(site, faults=[None, "after"])  # the association lands; the join's reply is lost
    rows = [
        planned(ids, 3, collections=["DEM00010"], membership=["DEM00010 (Windows 11 Deployment): to add"])
    ]
    apply(rows, gateway(flaky))
    assert flaky.call_batches == [1, 1]
    assert (rows[0].status, list(rows[0].joined), list(rows[0].membership)) == (
        Status.CREATED,
        ["DEM00010"],
        ["DEM00010 (Windows 11 Deployment): added (confirmed after a retry)"],
    )
    assert rules(site_path) == [("DEM00010", ids["CON-NB0003"], "CON-NB0003")]


def test_a_refused_join_fails_the_row_and_says_the_association_is_made(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    with sqlite3.connect(site_path) as db:  # the collection became a user collection after the plan
        db.execute("UPDATE collections SET CollectionType = 1 WHERE CollectionID = 'DEM00011'")
    rows = [planned(ids, 3, collections=["DEM00011"], membership=["DEM00011 (Wave Refresh - Pilot): to add"])]
    apply(rows, gateway(site))
    assert rows[0].status is Status.FAILED
    assert said(rows[0]) == [
        Message(
            Level.ERROR,
            "the association is created, but adding CON-NB0003 to DEM00011 failed: 0x80041001 Generic "
            "failure: DEM00011 is a user collection; ErrorCode 2147749889 (0x80041001); Operation "
            "ExecMethod; ParameterInfo SMS_Collection",
            "Collection",
        )
    ]
    assert key(ids, 3) in association_keys(site_path)
    assert rules(site_path) == []


def test_a_new_computer_is_imported_then_associated(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    flaky = FlakyProvider(site, faults=["after"])  # the import lands; its reply is lost
    row = RowResult(
        "Wave",
        2,
        source="CON-PC0003",
        destination="NEWPC01",
        behavior=ALL,
        source_resource_id=ids["CON-PC0003"],
        mac="00:1A:2B:00:00:01",
        hardware=Hardware.IMPORT,
        status=Status.PLANNED,
    )
    listener = Recorder()
    apply([row], gateway(flaky), listener)
    new_id = 16777303  # the demo site numbers a new record after its highest (CON-NB0099's 16777302)
    assert flaky.call_batches == [1, 1]  # the import was confirmed by name, not sent again
    assert (row.status, row.hardware, row.restore_resource_id) == (Status.CREATED, Hardware.IMPORTED, new_id)
    # the plan's "it will be imported" (none here: the row was made planned) becomes what happened
    assert said(row) == [
        Message(
            Level.NOTE,
            f"NEWPC01 was imported by this run (ResourceID {new_id}); confirmed on the site after a retry, "
            "not sent twice",
        )
    ]
    assert listener.heard == [("before", [2]), ("imported", [2]), ("after", [2])]
    computers = site_snapshot(site_path)["computers"]
    assert isinstance(computers, list)
    assert [(c["resource_id"], c["mac"], c["client"]) for c in computers if c["name"] == "NEWPC01"] == [
        (new_id, "00:1A:2B:00:00:01", 0)
    ]
    assert on_site(site_path)[(ids["CON-PC0003"], new_id)] == (0, [])


def test_update_replaces_the_version_on_the_site(
    site: DemoSite, site_path: Path, ids: dict[str, int]
) -> None:
    row = planned(ids, 1, users=["CONTOSO\\bob"], replaces=(2, ("CONTOSO\\alice.w",)))
    listener = Recorder()
    apply([row], gateway(site), listener)
    assert row.status is Status.CREATED
    assert said(row) == [
        Message(Level.NOTE, "replaced the version on the site (behaviour 2, users CONTOSO\\alice.w)")
    ]
    assert listener.heard == [("before", [1]), ("replacing", [1]), ("after", [1])]
    assert on_site(site_path)[key(ids, 1)] == (2, ["CONTOSO\\bob"])
    assert len(association_keys(site_path)) == 4
