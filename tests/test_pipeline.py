from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from importer import messages as M
from importer.exit_status import ExitStatus
from importer.model import Behavior, Status, UsersFrom
from importer.results import RunResult
from importer.site.demo.provider import DemoSite
from importer.site.provider import CallResult, MethodCall
from tests.support.flaky import FlakyProvider
from tests.support.helpers import (
    FREE,
    association_keys,
    ids_by_name,
    pairs_sheet,
    run_on,
    sheet,
    site_snapshot,
)


def statuses(result: RunResult) -> list[Status | None]:
    return [r.status for r in result.rows]


def test_resolution_rules(tmp_path: Path, site: DemoSite, site_path: Path) -> None:
    ids = ids_by_name(site_path)
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,SourceResourceID\n"
        "CON-PC0007,CON-NB0007,0,\n"  # an obsolete twin is ignored
        "CON-PC0013,CON-NB0013,0,\n"  # two live records
        f"CON-PC0013,CON-NB0014,0,{ids['CON-PC0013']}\n"  # ... unless the sheet picks one
        "CON-PC0099,CON-NB0015,0,\n"  # only an obsolete record
        "CON-PC0077,CON-NB0016,0,\n"  # nowhere
        f"CON-PC0017,CON-NB0017,0,{ids['CON-PC0018']}\n"  # an ID of another computer
        "CON-PC0019,CON-NB0019,0,99999999\n",  # an ID nobody has
    )
    result = run_on(path, site, dry_run=True)
    assert statuses(result) == [
        Status.PLANNED,
        Status.UNRESOLVED,
        Status.PLANNED,
        Status.UNRESOLVED,
        Status.UNRESOLVED,
        Status.UNRESOLVED,
        Status.UNRESOLVED,
    ]
    rows = result.rows
    assert rows[0].source_resource_id == ids["CON-PC0007"]
    assert [r.messages[0].code if r.messages else None for r in rows] == [
        M.RETIRED_RECORDS_IGNORED,
        M.SEVERAL_LIVE_RECORDS,
        None,
        M.ONLY_RETIRED_RECORDS,
        M.NOT_ON_SITE,
        M.RESOURCE_ID_OF_ANOTHER,
        M.RESOURCE_ID_NOT_ON_SITE,
    ]
    assert "16777297" in rows[0].messages[0].text  # the record ignored
    assert str(ids["CON-PC0013"]) in rows[1].messages[0].text  # the records to choose from
    assert rows[2].source_resource_id == ids["CON-PC0013"]
    assert "CON-PC0018" in rows[5].messages[0].text  # whose ID it is
    # never ResourceID 0: a row either has both computers' IDs or none
    assert [(r.source_resource_id, r.restore_resource_id) for r in rows] == [
        (ids["CON-PC0007"], ids["CON-NB0007"]),
        (None, None),
        (ids["CON-PC0013"], ids["CON-NB0014"]),
    ] + [(None, None)] * 4


def test_resolving_and_planning_in_windows_gives_the_same_rows(
    tmp_path: Path, site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large wave is resolved and planned a window of rows at a time; small windows (names
    shared across windows, duplicates, unknown names, users from the site, pairs already on the
    site, conflicts with it) give what one window gives."""
    from importer.stages import plan, resolve

    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        "CON-PC0001,CON-NB0001,2,CONTOSO\\alice.w\n"  # on the site already: exists
        "CON-PC0003,CON-NB0003,1,CONTOSO\\a\n"
        "CON-PC0020,CON-NB0002,0,\n"  # NB0002 already restores PC0002: conflict
        "CON-PC0027,CON-NB0004,1,\n"  # users from the site
        "CON-PC0077,CON-NB0005,0,\n"  # nowhere
        "CON-PC0013,CON-NB0013,0,\n"  # two live records
        "CON-PC0002,CON-NB0021,0,\n"
        "CON-PC0003,CON-NB0022,1,CONTOSO\\b\n",  # a name in another window too
    )

    def facts(result: RunResult) -> list[tuple[object, ...]]:
        return [
            (
                r.row,
                r.status,
                r.source_resource_id,
                r.restore_resource_id,
                r.users,
                [m.text for m in r.messages],
            )
            for r in result.rows
        ]

    whole = facts(run_on(path, site, dry_run=True, users_from=UsersFrom.PRIMARY))
    monkeypatch.setattr(resolve, "WINDOW", 2)
    monkeypatch.setattr(plan, "WINDOW", 3)
    assert facts(run_on(path, site, dry_run=True, users_from=UsersFrom.PRIMARY)) == whole
    assert [f[1] for f in whole] == [
        Status.EXISTS,
        Status.PLANNED,
        Status.CONFLICT,
        Status.PLANNED,
        Status.UNRESOLVED,
        Status.UNRESOLVED,
        Status.PLANNED,
        Status.PLANNED,
    ]
    assert whole[3][4] == ["CONTOSO\\zack.i", "CONTOSO\\amy.j"]  # CON-PC0027's primary users


def test_dry_run_changes_nothing(tmp_path: Path, site: DemoSite, site_path: Path) -> None:
    before = association_keys(site_path)
    result = run_on(pairs_sheet(tmp_path, 6), site, dry_run=True)
    assert statuses(result) == [Status.PLANNED] * 6
    assert association_keys(site_path) == before
    assert result.exit_status is ExitStatus.OK


def test_create_then_second_run_is_all_exists(tmp_path: Path, site: DemoSite, site_path: Path) -> None:
    path = pairs_sheet(tmp_path, 6)
    first = run_on(path, site)
    assert statuses(first) == [Status.CREATED] * 6
    after_first = site_snapshot(site_path)
    second = run_on(path, site)
    assert statuses(second) == [Status.EXISTS] * 6
    assert site_snapshot(site_path)["associations"] == after_first["associations"]
    ids = ids_by_name(site_path)
    associations = after_first["associations"]
    assert isinstance(associations, list)
    created = {(a["source_resource_id"], a["restore_resource_id"]): a for a in associations}
    pair = created[(ids["CON-PC0003"], ids["CON-NB0003"])]
    assert (pair["behavior"], pair["users"]) == (2, ["CONTOSO\\user3"])


def test_existing_pair_with_other_users_is_left_alone(tmp_path: Path, site: DemoSite) -> None:
    # The sample site has CON-PC0001 -> CON-NB0001, behaviour 2, CONTOSO\alice.w
    path = sheet(tmp_path, "Source,Destination,Behavior,Users\nCON-PC0001,CON-NB0001,2,CONTOSO\\bob\n")
    [row] = run_on(path, site).rows
    assert row.status is Status.CONFLICT
    assert row.messages[0].code is M.DIFFERENT_ON_SITE
    assert "behaviour 2, users CONTOSO\\alice.w" in row.messages[0].text  # what the site has


def test_conflicts_with_existing_associations(tmp_path: Path, site: DemoSite, site_path: Path) -> None:
    before = association_keys(site_path)
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        "CON-PC0001,CON-NB0020,0,\n"  # PC0001 already has a behaviour-2 association
        "CON-PC0020,CON-NB0002,0,\n"  # NB0002 already restores PC0002
        "CON-PC0002,CON-NB0021,0,\n",  # PC0002's existing one is behaviour 0: fan-out is fine
    )
    result = run_on(path, site)
    assert statuses(result) == [Status.CONFLICT, Status.CONFLICT, Status.CREATED]
    assert [[m.code for m in r.messages] for r in result.rows] == [
        [M.SOURCE_HAS_ANOTHER_DESTINATION],
        [M.DESTINATION_HAS_ANOTHER_SOURCE],
        [],
    ]
    assert len(association_keys(site_path)) == len(before) + 1


def test_batches_are_the_requested_size(tmp_path: Path, site: DemoSite) -> None:
    flaky = FlakyProvider(site)
    result = run_on(pairs_sheet(tmp_path, 25), flaky, batch_size=10)
    assert statuses(result) == [Status.CREATED] * 25
    assert flaky.call_batches == [10, 10, 5]


@pytest.mark.parametrize("fault", ["before", "after"])
def test_lost_connection_never_creates_twice(
    tmp_path: Path, site: DemoSite, site_path: Path, fault: str
) -> None:
    flaky = FlakyProvider(site, faults=[None, fault])
    result = run_on(pairs_sheet(tmp_path, 25), flaky, batch_size=10)
    assert statuses(result) == [Status.CREATED] * 25
    keys = association_keys(site_path)
    assert len(keys) == 4 + 25
    # the retried batch was reconciled first: after a drop "after", nothing is re-sent
    assert flaky.call_batches == ([10, 10, 10, 5] if fault == "before" else [10, 10, 5])
    confirmed = [r for r in result.rows if any(m.code is M.CONFIRMED_AFTER_RETRY for m in r.messages)]
    assert len(confirmed) == (10 if fault == "after" else 0)


def test_transient_error_of_one_call_retries_only_that_call(
    tmp_path: Path, site: DemoSite, site_path: Path
) -> None:
    flaky = FlakyProvider(site, faults=["first-call-busy"])
    result = run_on(pairs_sheet(tmp_path, 5), flaky, batch_size=10)
    assert statuses(result) == [Status.CREATED] * 5
    assert flaky.call_batches == [5, 1]
    assert len(association_keys(site_path)) == 4 + 5


def test_query_faults_are_retried(tmp_path: Path, site: DemoSite) -> None:
    flaky = FlakyProvider(site, query_faults=["query", None, "query"])
    result = run_on(pairs_sheet(tmp_path, 3), flaky)
    assert statuses(result) == [Status.CREATED] * 3


def test_provider_gone_for_good_stops_with_every_row_accounted(
    tmp_path: Path, site: DemoSite, site_path: Path
) -> None:
    flaky = FlakyProvider(site, faults=[None, "always"])
    path = sheet(
        tmp_path,
        "Source,Destination,Behavior,Users\n"
        + "".join(f"CON-PC{n:04d},CON-NB{n:04d},2,CONTOSO\\u{n}\n" for n in FREE[:25])
        + "BAD NAME,CON-NB0039,0,\n",
    )
    result = run_on(path, flaky, batch_size=10)
    assert result.exit_status is ExitStatus.FATAL
    assert result.stopped_code is M.RETRIES_EXHAUSTED
    assert result.stopped_by and "after 4 attempts" in result.stopped_by
    got = statuses(result)
    assert got == [Status.CREATED] * 10 + [Status.UNKNOWN] * 10 + [Status.NOT_SENT] * 5 + [Status.INVALID]
    assert [r.messages[-1].code for r in result.rows[10:25]] == [M.OUTCOME_UNKNOWN] * 10 + [M.NOT_SENT] * 5
    assert len(association_keys(site_path)) == 4 + 10


def test_permanent_call_error_fails_only_its_row(tmp_path: Path, site: DemoSite, site_path: Path) -> None:
    # Planned against the site, then someone deletes a computer's record before the batch runs:
    # the provider's refusal lands on that row alone, with its code.
    path = pairs_sheet(tmp_path, 3)
    ids = ids_by_name(site_path)
    import sqlite3

    class DeletesFirst(FlakyProvider):
        def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
            with sqlite3.connect(site_path) as db:
                db.execute("DELETE FROM computers WHERE ResourceID = ?", (ids["CON-NB0003"],))
            return super().call(calls)

    result = run_on(path, DeletesFirst(site))
    assert statuses(result) == [Status.FAILED, Status.CREATED, Status.CREATED]
    assert result.rows[0].messages[-1].code is M.CREATE_REFUSED
    assert "0x80041002" in result.rows[0].messages[-1].text  # the provider's code
    assert result.exit_status is ExitStatus.ROWS_NEED_ATTENTION


def test_default_behaviour_is_used_and_recorded(tmp_path: Path, site: DemoSite) -> None:
    path = sheet(tmp_path, "Source,Destination\nCON-PC0003,CON-NB0003\n")
    result = run_on(path, site, default_behavior=Behavior.CAPTURE_AND_RESTORE_ALL)
    assert result.rows[0].behavior is Behavior.CAPTURE_AND_RESTORE_ALL
    assert result.rows[0].status is Status.CREATED
