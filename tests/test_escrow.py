"""Nothing is deleted before its key is kept (issue 27, point 3): before undo deletes an
association whose capture has started, its recovery key and store path go into an encrypted
escrow beside the journal; if that cannot be done, nothing at all is deleted."""

from __future__ import annotations

import json
import sqlite3
import types
from pathlib import Path
from typing import Any

import pytest

from importer import messages
from importer.environment import Environment
from importer.job import ESCROW, Job, Outcome, Wiring, execute
from importer.journal.index import RunIndex
from importer.journal.records import RUN_ID_PATTERN
from importer.model import Status
from importer.report import keybook
from importer.results import RunOptions
from importer.site.demo.provider import DemoSite
from importer.site.provider import Provider
from tests.support.helpers import NO_WAIT, association_keys, ids_by_name, invoke, remote_args, sheet
from tests.support.keys import KEYS_PASSWORD, capture, key_rows, open_encrypted, site_keys
from tests.support.wsman_endpoint import Endpoint

WAVE = "Source,Destination,Behavior,Users\nCON-PC0020,CON-NB0020,0,\nCON-PC0021,CON-NB0021,2,CONTOSO\\ann\n"


def made(tmp_path: Path, site_path: Path, status: int = 1) -> tuple[Path, str, tuple[int, int]]:
    """A run of two pairs on the site, the first then captured: its report, run ID and pair."""
    out = tmp_path / "run.json"
    done = invoke(
        "run", sheet(tmp_path, WAVE), "--demo", site_path, "--json", out, "--report", tmp_path / "run.xlsx"
    )
    assert done.exit_code == 0, done.output
    ids = ids_by_name(site_path)
    pair = (ids["CON-PC0020"], ids["CON-NB0020"])
    capture(site_path, *pair, status=status)
    return out, json.loads(out.read_text(encoding="utf-8"))["summary"]["run_id"], pair


def undone(
    run_id: str,
    journal: Path,
    connect: Any,
    password: str | None = KEYS_PASSWORD,
    force: bool = True,
    dry_run: bool = False,
) -> Outcome:
    """The undo as a library call (the command line's own wiring, less its console)."""
    options = RunOptions(dry_run=dry_run, retry=NO_WAIT)
    job = Job("undo", options, journal=journal, run_id=run_id, force=force)
    asked = (lambda: password) if password is not None else None
    return execute(job, Wiring(connect=connect, keys_password=asked))


def demo(site_path: Path) -> Any:
    return lambda: DemoSite(site_path)


def codes(outcome: Outcome, index: int) -> list[messages.Code | None]:
    assert outcome.result is not None
    return [m.code for m in outcome.result.rows[index].messages]


def statuses(outcome: Outcome) -> list[Status | None]:
    assert outcome.result is not None
    return [r.status for r in outcome.result.rows]


def test_force_keeps_the_key_before_it_deletes(
    tmp_path: Path, site_path: Path, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", KEYS_PASSWORD)
    report, run_id, pair = made(tmp_path, site_path)
    store = str(capture(site_path, *pair))
    key = site_keys(site_path)[pair]
    out = tmp_path / "undo.json"
    done = invoke(
        "undo", report, "--demo", site_path, "--force", "--json", out, "--report", tmp_path / "u.xlsx"
    )
    assert done.exit_code == 0, done.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["status"] for r in data["rows"]] == ["deleted", "deleted"]
    assert pair not in association_keys(site_path)
    escrow = Path(data["summary"]["escrow"])
    undo_id = escrow.stem.removeprefix("cmassoc-escrow-")
    assert escrow.parent == journal_path.parent  # beside the journal
    assert RUN_ID_PATTERN.match(undo_id) and undo_id != run_id
    assert f"Escrow: {escrow}" in done.output  # the command says where
    with RunIndex(Environment.from_os().run_index(), create=False) as index:  # and in the index of runs
        entry = index.find(run_id)
    assert entry is not None and entry.paths(ESCROW) == [escrow.resolve()]
    [kept] = key_rows(escrow)
    assert (kept["Source"], kept["Destination"], kept["Recovery key"]) == ("CON-PC0020", "CON-NB0020", key)
    assert kept["Store path (StorePath)"] == store and kept["Migration status"] == "in progress"
    assert str(kept["Note"]).startswith("CMA420")
    about = dict(open_encrypted(escrow)["About"].iter_rows(values_only=True))
    assert (about["Run undone"], about["Undo"]) == (run_id, undo_id)
    # The key is in the escrow only: not in the undo's report, JSON, console or journal.
    assert key not in done.output and key not in json.dumps(data)
    assert key.encode() not in (tmp_path / "u.xlsx").read_bytes()
    assert key.encode() not in journal_path.read_bytes() and key.encode() not in escrow.read_bytes()


def test_the_rows_say_where_their_key_went(tmp_path: Path, site_path: Path, journal_path: Path) -> None:
    _report, run_id, _pair = made(tmp_path, site_path)
    outcome = undone(run_id, journal_path, demo(site_path))
    assert statuses(outcome) == [Status.DELETED, Status.DELETED]
    assert codes(outcome, 0) == [messages.ESCROW_KEPT] and codes(outcome, 1) == []
    assert outcome.result is not None and outcome.result.escrow_path is not None
    assert outcome.result.escrow_path in outcome.result.rows[0].messages[0].text


def test_a_stored_state_counts_as_started_without_force(
    tmp_path: Path, site_path: Path, journal_path: Path
) -> None:
    """The plan's own test: a store date set is a capture started, whatever the status says."""
    _report, run_id, pair = made(tmp_path, site_path, status=0)
    key = site_keys(site_path)[pair]
    outcome = undone(run_id, journal_path, demo(site_path), force=False)
    assert statuses(outcome) == [Status.DELETED, Status.DELETED]
    assert outcome.result is not None and outcome.result.escrow_path is not None
    assert [r["Recovery key"] for r in key_rows(Path(outcome.result.escrow_path))] == [key]


def test_a_dry_run_says_it_would_keep_the_key_and_asks_nothing(
    tmp_path: Path, site_path: Path, journal_path: Path
) -> None:
    _report, run_id, _pair = made(tmp_path, site_path)
    before = association_keys(site_path)
    outcome = undone(run_id, journal_path, demo(site_path), password=None, dry_run=True)
    assert codes(outcome, 0) == [messages.ESCROW_WOULD_KEEP]
    assert outcome.result is not None and outcome.result.escrow_path is None
    assert association_keys(site_path) == before
    assert not list(tmp_path.glob("cmassoc-escrow-*"))


def nothing_deleted(tmp_path: Path, site_path: Path, before: list[tuple[int, int]], outcome: Outcome) -> str:
    """Every row left on the site, no escrow: the reason the undo gives."""
    result = outcome.result
    assert result is not None and result.stopped_by is not None
    assert "nothing was deleted" in result.stopped_by and int(result.exit_status) == 1
    assert association_keys(site_path) == before
    assert result.escrow_path is None and not list(tmp_path.glob("*cmassoc-escrow-*"))
    return result.stopped_by


def test_without_a_password_nothing_is_deleted(
    tmp_path: Path, site_path: Path, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, run_id, _pair = made(tmp_path, site_path)
    before = association_keys(site_path)
    said = nothing_deleted(tmp_path, site_path, before, undone(run_id, journal_path, demo(site_path), None))
    assert "nothing here can keep recovery keys" in said
    monkeypatch.delenv("CMASSOC_KEYS_PASSWORD", raising=False)
    cli = invoke("undo", report, "--demo", site_path, "--force", "--report", tmp_path / "u.xlsx")
    assert (
        cli.exit_code == 1 and "nothing was deleted" in cli.output and "CMASSOC_KEYS_PASSWORD" in cli.output
    )
    short = undone(run_id, journal_path, demo(site_path), "too-short")
    assert "shorter than 12 characters" in nothing_deleted(tmp_path, site_path, before, short)
    assert statuses(short) == [Status.NOT_SENT, Status.NOT_SENT]


def test_a_key_the_site_does_not_give_means_nothing_is_deleted(
    tmp_path: Path, site_path: Path, journal_path: Path
) -> None:
    _report, run_id, pair = made(tmp_path, site_path)
    with sqlite3.connect(site_path) as db:
        db.execute("UPDATE associations SET RecoveryKey = NULL WHERE SourceClientResourceID = ?", (pair[0],))
    before = association_keys(site_path)
    outcome = undone(run_id, journal_path, demo(site_path))
    nothing_deleted(tmp_path, site_path, before, outcome)
    assert statuses(outcome) == [Status.KEPT, Status.NOT_SENT]
    assert codes(outcome, 0) == [messages.ESCROW_NO_KEY]


def test_a_key_the_site_refuses_means_nothing_is_deleted(
    tmp_path: Path, site_path: Path, journal_path: Path, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importer.cli.connect import connect_provider
    from importer.cli.site_options import SiteOptions
    from importer.environment import Environment

    _report, run_id, pair = made(tmp_path, site_path)
    key = site_keys(site_path)[pair]
    before = association_keys(site_path)
    options = SiteOptions(
        server=endpoint.address, site_code="DEM", ca_bundle=endpoint.ca_bundle, retry_wait=0.0
    )

    def connect() -> Provider:
        return connect_provider(options, Environment.from_os())

    endpoint.server.recover_user_state = False
    refused = undone(run_id, journal_path, connect)
    nothing_deleted(tmp_path, site_path, before, refused)
    assert statuses(refused) == [Status.KEPT, Status.NOT_SENT]
    assert codes(refused, 0) == [messages.ESCROW_NO_KEY]
    assert refused.result is not None and "0x80041003" in refused.result.rows[0].messages[0].text
    endpoint.server.recover_user_state = True  # given the right, the same undo goes through
    monkeypatch.setenv("CMASSOC_KEYS_PASSWORD", KEYS_PASSWORD)
    again = invoke("undo", run_id, *remote_args(endpoint), "--force", "--report", tmp_path / "u.xlsx")
    assert again.exit_code == 0, again.output
    [escrow] = tmp_path.glob("cmassoc-escrow-*.xlsx")
    assert [r["Recovery key"] for r in key_rows(escrow)] == [key]
    assert pair not in association_keys(site_path)


def test_an_escrow_that_cannot_be_written_means_nothing_is_deleted(
    tmp_path: Path, site_path: Path, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _report, run_id, _pair = made(tmp_path, site_path)
    before = association_keys(site_path)

    def full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    # Only the escrow's writer finds the disk full.
    monkeypatch.setattr(keybook, "os", types.SimpleNamespace(fsync=full))
    said = nothing_deleted(tmp_path, site_path, before, undone(run_id, journal_path, demo(site_path)))
    assert "No space left on device" in said
    assert not [p for p in tmp_path.iterdir() if ".cmassoc-escrow" in p.name]  # no half-written file
