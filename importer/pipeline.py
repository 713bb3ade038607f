"""read -> validate -> resolve -> plan -> (copy collections) -> readiness -> apply, as a library
call; reporters render the result.

The stages stand side by side: each takes the rows and the one `Site` gateway, and none
imports another.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from importer import messages as M
from importer.errors import ImporterError
from importer.interrupt import Interrupts
from importer.model import RowResult, Status, WaveInput
from importer.results import RunOptions, RunResult

if TYPE_CHECKING:  # `cmassoc validate` starts without the site, stage and journal modules
    from importer.journal.listener import JournalRun
    from importer.site.gateway import Site

log = logging.getLogger("importer")


@contextmanager
def _timed(stage: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log.info("%s took %.2f s", stage, time.perf_counter() - started)


def _validate() -> Any:
    """The validate stage, imported when first used: it brings pandas, which `--help` need not."""
    from importer.check.validate import validate

    return validate


def validate_wave(wave: WaveInput, options: RunOptions) -> RunResult:
    rows = _validate()(wave, options.default_behavior, options.users_from is not None, options.collections)
    rows.open_status = Status.VALID  # rows are made as they are read: a reporter's chunk at a time
    result = RunResult("validate", wave, options, rows, defaulted=rows.defaulted)
    result.finished = dt.datetime.now().astimezone()
    return result


def run_wave(
    wave: WaveInput,
    site: Site,
    options: RunOptions,
    journal: JournalRun | None = None,
    interrupts: Interrupts | None = None,
) -> RunResult:
    """The whole job; a provider failure or Ctrl-C ends it early with every row still given a status.

    With a journal, every row's plan and every batch's outcome are recorded, and a resumed
    run counts what it created before it stopped (the plan re-reads the site first).
    """
    from importer.stages.apply import apply
    from importer.stages.memberships import plan_copies
    from importer.stages.plan import plan
    from importer.stages.readiness import check_readiness
    from importer.stages.resolve import resolve

    checked = _validate()(wave, options.default_behavior, options.users_from is not None, options.collections)
    rows = checked.materialize()  # the stages fill every row in
    result = RunResult("run", wave, options, rows, provider=site.info, defaulted=checked.defaulted)
    if journal is not None:
        journal.attach(rows, wave)
        result.run_id = journal.run_id
    try:
        with _timed("resolve"):
            resolve(rows, site, options.users_from, options.overwrite_existing_record)
        if journal is not None:
            journal.restore_imports(rows)
        with _timed("plan"):
            plan(rows, site, options.update)
        if journal is not None:
            journal.overlay(rows)
        if options.copy_collections:
            with _timed("collections"):
                wave.notes.extend(
                    plan_copies(rows, site, options.skip_collections, options.include_collections)
                )
        with _timed("readiness"):
            result.site_readiness = check_readiness(
                rows, site, options.inactive_days, options.strict_readiness
            )
        if not options.dry_run:
            if journal is not None:
                journal.record(rows)
            interrupts = interrupts or Interrupts()
            with _timed("apply"), interrupts.deferred() as stop_requested:
                apply(rows, site, journal, stop_requested, options.overwrite_existing_record)
    except ImporterError as exc:
        result.stopped_by, result.stopped_code = str(exc), exc.code
    except KeyboardInterrupt:
        result.stopped_by, result.stopped_code = "interrupted by the user (Ctrl-C)", M.INTERRUPTED
        result.interrupted = True
    except Exception as exc:  # a bug must still leave every row with a status in the report
        log.exception("internal error")
        result.stopped_by = f"internal error ({type(exc).__name__}: {exc})"
        result.stopped_code = M.INTERNAL_ERROR
    finally:
        result.finished = dt.datetime.now().astimezone()
    if result.stopped_by is not None:
        for row in rows:
            if row.status is None or (row.status is Status.PLANNED and not options.dry_run):
                row.fail(Status.NOT_SENT, f"not done: {result.stopped_by}", code=M.NOT_SENT)
    return result


def status_wave(wave: WaveInput, site: Site, options: RunOptions, overdue_days: int = 14) -> RunResult:
    """The pairs of a wave sheet, looked up by name, and where their user state is."""
    checked = _validate()(wave, options.default_behavior, options.users_from is not None, options.collections)
    rows = checked.materialize()
    result = RunResult("status", wave, options, rows, provider=site.info)
    return _status(result, site, resolve_names=True, overdue_days=overdue_days)


def status_rows(
    wave: WaveInput, rows: list[RowResult], site: Site, options: RunOptions, overdue_days: int = 14
) -> RunResult:
    """The pairs of an earlier run (from its journal), by ResourceID."""
    result = RunResult("status", wave, options, rows, provider=site.info)
    return _status(result, site, resolve_names=False, overdue_days=overdue_days)


def _status(result: RunResult, site: Site, resolve_names: bool, overdue_days: int = 14) -> RunResult:
    from importer.after.status import read_status
    from importer.stages.resolve import resolve

    try:
        if resolve_names:
            resolve(result.rows, site)
        read_status(result.rows, site, overdue_days)
    except ImporterError as exc:
        result.stopped_by, result.stopped_code = str(exc), exc.code
        for row in result.rows:
            if row.status is None:
                row.fail(Status.NOT_READ, f"not read: {result.stopped_by}", code=M.NOT_READ)
    finally:
        result.finished = dt.datetime.now().astimezone()
    return result
