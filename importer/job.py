"""One job wiring: what the command line and the web worker both call to do a job.

A `Job` says what to do (validate, run, status, undo, export, keys) and with what; `Wiring` says how
this caller reaches the world (how to connect to the site, where progress and notices go,
which reporters write the result). `execute` builds the provider, the journal and the
pipeline, runs the job, writes its reports and finishes its run in the journal. The callers
only parse their options and show the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from importer import messages as M
from importer.errors import InputError
from importer.limits import InputLimits
from importer.report.pages import DEFAULT_PAPER, Paper
from importer.report.reporters import JsonReport, Reporter, write_reports
from importer.results import RunOptions, RunResult

if TYPE_CHECKING:  # a validation starts without the site and journal code
    from importer.interrupt import Interrupts
    from importer.journal.records import RunRecord
    from importer.journal.storage import Journal
    from importer.model import WaveInput
    from importer.progress import Progress
    from importer.site.gateway import Site
    from importer.site.provider import Provider

Command = Literal["validate", "run", "status", "undo", "export", "keys", "cleanup"]


@dataclass(frozen=True)
class Job:
    command: Command
    options: RunOptions = field(default_factory=RunOptions)
    sheet: Path | None = None  # validate, run, and the status of a wave sheet
    users: Path | None = None
    limits: InputLimits = field(default_factory=InputLimits)
    mapping: Mapping[str, str] = field(default_factory=dict)  # --map: field -> header
    ignore: tuple[str, ...] = ()  # --ignore-column: headers left unread
    journal: Path | None = None  # run: where it is journaled; undo and status of a run: where it is
    run_id: str | None = None  # undo, and the status of a run
    resume_id: str | None = None  # run: continue this run
    new_run: bool = False
    force: bool = False  # undo: also what capture has started on
    keep_imported: bool = False  # undo: leave the computer records the run imported
    export_to: Path | None = None  # export: the sheet written
    sources: tuple[str, ...] = ()  # export: only these computers' associations
    collection: str | None = None  # export: only this collection's members'
    paper: Paper = DEFAULT_PAPER  # export: what the sheet's pages are laid out for
    keys_to: Path | None = None  # keys: the encrypted workbook of recovery keys written
    overdue_days: int = 14  # status: captured and not restored for longer puts a pair at risk
    restored_before: int = 30  # cleanup: restored at least this many days ago


def _say_nothing(_text: str) -> None:
    return None


def _no_reporters(_result: RunResult) -> Sequence[Reporter]:
    return ()


@dataclass(frozen=True)
class Wiring:
    connect: Callable[[], Provider] | None = None  # the site (a job that reads only needs none)
    progress: Progress | None = None
    announce: Callable[[str], None] = _say_nothing
    reporters: Callable[[RunResult], Sequence[Reporter]] = _no_reporters  # named after the result
    # Ctrl-C finishes the batch in flight first (a command in a terminal; the web has none)
    interrupts: Callable[[], AbstractContextManager[Interrupts]] | None = None
    operator: str | None = None  # who, as the reports say it (the web: the signed-in user)
    index: Path | None = None  # the index of runs (None: runs are not indexed)
    # The password that encrypts recovery keys (`keys`, undo's escrow), asked for when needed;
    # None where there is none to ask (the web), so no key is ever kept or written there.
    keys_password: Callable[[], str] | None = None


@dataclass
class Outcome:
    result: RunResult | None  # None for an export, which writes a sheet and no report
    written: list[Path | None] = field(default_factory=list)  # where each reporter wrote
    formats: list[str] = field(default_factory=list)  # what each wrote: "xlsx" or "json"
    exported: int = 0  # export: the associations written
    keys: str = ""  # keys: what the workbook holds, counted ("12 pairs: 10 with a key, ...")


def execute(job: Job, wiring: Wiring) -> Outcome:
    """Do the job; its reports are written and its run finished before this returns."""
    if job.command == "validate":
        from importer.pipeline import validate_wave

        return _finish(validate_wave(_read(job), job.options), wiring)
    if wiring.connect is None:
        raise InputError(f"`{job.command}` needs a site: give --demo or --server.", code=M.NEEDS_SITE)
    if job.command == "export":
        return _export(job, wiring)
    provider = wiring.connect()
    try:
        if job.command == "run":
            return _run(job, wiring, provider)
        if job.command == "undo":
            return _undo(job, wiring, provider)
        if job.command == "keys":
            return _keys(job, wiring, provider)
        if job.command == "cleanup":
            return _cleanup(job, wiring, provider)
        return _status(job, wiring, provider)
    finally:
        provider.close()


def _read(job: Job) -> WaveInput:
    """The wave sheet; a status, which creates nothing, names a column that looks meaningful
    but is not read instead of stopping on it."""
    from importer.read.wave import read_wave

    if job.sheet is None:
        raise InputError(f"`{job.command}` needs a wave sheet.", code=M.NEEDS_SHEET)
    stop = job.command not in ("status", "keys")
    return read_wave(job.sheet, job.users, job.limits, job.mapping, job.ignore, stop_unread=stop)


def _finish(result: RunResult, wiring: Wiring) -> Outcome:
    if wiring.operator is not None:
        result.operator = wiring.operator
    reporters = wiring.reporters(result)
    formats = ["json" if isinstance(r, JsonReport) else "xlsx" for r in reporters]
    return Outcome(result, write_reports(result, reporters), formats=formats)


def _made(outcome: Outcome) -> list[tuple[str, Path]]:
    """The reports a job wrote for a run, by kind, for the index of runs."""
    from importer.journal.index import FileKind

    result = outcome.result
    assert result is not None
    prefix = {"run": "report", "status": "status", "undo": "undo", "cleanup": "cleanup"}[result.command]
    if result.command in ("undo", "cleanup") and result.options.dry_run:
        prefix = f"{prefix} preview"
    made = [
        (FileKind(f"{prefix} {fmt}"), path)
        for path, fmt in zip(outcome.written, outcome.formats, strict=True)
        if path is not None
    ]
    return made + ([(ESCROW, Path(result.escrow_path))] if result.escrow_path is not None else [])


ESCROW = "escrow xlsx"  # the index of runs' kind for the escrow of recovery keys undo and cleanup keep


def _gateway(provider: Provider, options: RunOptions, wiring: Wiring) -> Site:
    from importer.site.gateway import build_site

    return build_site(provider, options, wiring.progress)


def _interrupts(wiring: Wiring) -> AbstractContextManager[Interrupts | None]:
    return wiring.interrupts() if wiring.interrupts is not None else nullcontext(None)


def _run(job: Job, wiring: Wiring, provider: Provider) -> Outcome:
    from importer.interrupt import Interrupts
    from importer.journal.index import Indexing
    from importer.journal.listener import resume_or_start
    from importer.journal.records import RunState
    from importer.journal.storage import Journal, default_journal_path
    from importer.pipeline import run_wave

    wave = _read(job)
    journal = None
    indexing = Indexing(wiring.index, wiring.announce)
    site = provider.info.site_code
    try:
        journal_run = None
        if not job.options.dry_run:
            assert job.sheet is not None
            journal = Journal(job.journal or default_journal_path(job.sheet))
            journal_run = resume_or_start(
                journal, wave, provider.info, job.options, job.resume_id, job.new_run, wiring.announce
            )
            wiring.announce(
                M.Notice(
                    M.RUN_STARTED,
                    f"run {journal_run.run_id}, journal {journal.path.absolute()} "
                    "(a stopped run continues from there)",
                )
            )
            indexing.run(journal_run.run_id, job.sheet.resolve(), journal.path, site)
        with _interrupts(wiring) as interrupts:
            gateway = _gateway(provider, job.options, wiring)
            result = run_wave(wave, gateway, job.options, journal_run, interrupts or Interrupts())
        if journal is not None:
            result.journal_path = str(journal.path)
        outcome = _finish(result, wiring)
        if journal is not None and result.run_id is not None:
            report = next((str(p) for p in outcome.written if p is not None), None)
            journal.finish(result.run_id, RunState.of(result), report)
            assert job.sheet is not None
            indexing.files(result.run_id, job.sheet.resolve(), journal.path, site, _made(outcome))
        return outcome
    finally:
        if journal is not None:
            journal.close()


def _undo(job: Job, wiring: Wiring, provider: Provider) -> Outcome:
    from importer.after.escrow import Escrow
    from importer.after.undo import UndoOptions, undo_run
    from importer.journal.index import Indexing
    from importer.journal.storage import Journal
    from importer.results import operator

    if job.run_id is None or job.journal is None:
        raise InputError("`undo` needs the run to undo and its journal.", code=M.UNDO_NEEDS_RUN)
    journal = Journal(job.journal, create=False)
    try:
        record = journal.run(job.run_id)
        escrow = Escrow(journal.path.parent, wiring.keys_password) if wiring.keys_password else None
        options = UndoOptions(
            job.options,
            force=job.force,
            keep_imported=job.keep_imported,
            escrow=escrow,
            operator=wiring.operator or operator(),
        )
        with _interrupts(wiring) as interrupts:
            result = undo_run(journal, record, _gateway(provider, job.options, wiring), options, interrupts)
        result.journal_path = str(journal.path)
        outcome = _finish(result, wiring)
    finally:
        journal.close()
    made = _made(outcome)
    Indexing(wiring.index, wiring.announce).files(
        record.run_id, record.input_path, job.journal, record.site, made
    )
    return outcome


def _keys(job: Job, wiring: Wiring, provider: Provider) -> Outcome:
    """The pairs read as `status` reads them, then each association's recovery key, written only
    into the encrypted workbook (never into a report, the JSON or the journal)."""
    from importer import messages
    from importer.after.keys import about, key_rows, tally
    from importer.errors import ImporterError, ProviderUnavailable
    from importer.report.keybook import check_password, write_keys

    if job.keys_to is None:
        raise InputError("`keys` needs the workbook to write (--out).", code=messages.KEYS_NOT_XLSX)
    asked = wiring.keys_password() if wiring.keys_password is not None else None
    password = check_password(asked, "the recovery keys")
    result, _record = _reading(job, wiring, provider)
    if wiring.operator is not None:
        result.operator = wiring.operator
    try:
        if result.stopped_by is not None:
            raise ProviderUnavailable(result.stopped_by, code=result.stopped_code or messages.KEYS_NOT_READ)
        rows = key_rows(result.rows, _gateway(provider, job.options, wiring))
    except ImporterError as exc:
        raise ProviderUnavailable(
            f"the recovery keys could not be read ({exc.message.rstrip('.')}); no workbook was written.",
            exc.hint,
            code=exc.code or messages.KEYS_NOT_READ,
        ) from exc
    what = f"run {job.run_id}" if job.run_id else str(job.sheet)
    written = write_keys(job.keys_to, rows, about(result, what), password)
    return Outcome(result, [written], keys=tally(rows))


def _status(job: Job, wiring: Wiring, provider: Provider) -> Outcome:
    from importer.journal.index import Indexing

    result, record = _reading(job, wiring, provider)
    if job.run_id is not None:
        _progress(result, job.run_id, wiring)
    elif job.sheet is not None:
        _progress(result, str(job.sheet.resolve()), wiring)
    outcome = _finish(result, wiring)
    if record is not None and job.run_id is not None and job.journal is not None:
        Indexing(wiring.index, wiring.announce).files(
            job.run_id, record.input_path, job.journal, record.site, _made(outcome)
        )
    return outcome


def _reading(
    job: Job, wiring: Wiring, provider: Provider, gateway: Site | None = None
) -> tuple[RunResult, RunRecord | None]:
    """Where each pair of a wave sheet (by name) or of a run (by ResourceID, with the run's
    record) stands on the site."""
    from importer.pipeline import status_rows, status_wave

    gateway = gateway or _gateway(provider, job.options, wiring)
    if job.run_id is None:
        return status_wave(_read(job), gateway, job.options, job.overdue_days), None
    from importer.journal.storage import Journal, journaled_wave

    if job.journal is None:
        raise InputError("the status of a run needs its journal.", code=M.STATUS_NEEDS_JOURNAL)
    journal = Journal(job.journal, create=False)
    try:
        record = journal.run(job.run_id)
        records = journal.rows(job.run_id)
    finally:
        journal.close()
    rows = [r.as_reading() for r in records]
    result = status_rows(journaled_wave(record, records), rows, gateway, job.options, job.overdue_days)
    result.run_id = job.run_id
    return result, record


def _cleanup(job: Job, wiring: Wiring, provider: Provider) -> Outcome:
    """Read the wave as `status` does, then delete what was restored long enough ago; the deletes
    are journaled in the run's journal (or the sheet's) as a cleanup run."""
    from importer.after.cleanup import CleanupOptions, cleanup
    from importer.after.escrow import Escrow, escrow_about
    from importer.journal.index import Indexing
    from importer.journal.storage import Journal, default_journal_path
    from importer.results import operator

    gateway = _gateway(provider, job.options, wiring)
    dry = job.options.dry_run
    reading, record = _reading(job, wiring, provider, gateway)
    if record is None:
        assert job.sheet is not None
        journal_path = job.journal or default_journal_path(job.sheet)
        input_path, site = job.sheet.resolve(), provider.info.site_code
    else:
        assert job.journal is not None
        journal_path, input_path, site = job.journal, Path(record.input_path), record.site
    escrow = Escrow(Path(journal_path).parent, wiring.keys_password) if wiring.keys_password else None
    about = escrow_about(
        job.run_id or "",
        "cleanup",
        f"{provider.info.site_code} ({provider.info.kind}: {provider.info.location})",
        str(journal_path),
        wiring.operator or operator(),
    )
    options = CleanupOptions(job.restored_before, cleans=job.run_id, escrow=escrow, about=tuple(about))
    journal: Journal | None = None if dry else Journal(journal_path)
    try:
        with _interrupts(wiring) as interrupts:
            result = cleanup(reading, gateway, journal, options, interrupts)
        if journal is not None:
            result.journal_path = str(journal.path)
        outcome = _finish(result, wiring)
    finally:
        if journal is not None:
            journal.close()
    if job.run_id is not None:
        Indexing(wiring.index, wiring.announce).files(
            job.run_id, input_path, journal_path, site, _made(outcome)
        )
    return outcome


def _progress(result: RunResult, target: str, wiring: Wiring) -> None:
    """A status call's pairs per state go into the index of runs; the report draws them all."""
    from importer.journal.index import Indexing
    from importer.model.progress import progress_counts

    if result.stopped_by is not None:  # a reading that stopped counts nothing reliable
        return
    read_at = (result.finished or result.started).isoformat(timespec="seconds")
    counts = progress_counts(result.rows)
    result.progress_history = Indexing(wiring.index, wiring.announce).progress(target, read_at, counts)


def _export(job: Job, wiring: Wiring) -> Outcome:
    from importer.after.export import Selection, read_associations, write_export

    if job.export_to is None:
        raise InputError("`export` needs the sheet to write.", code=M.EXPORT_NEEDS_FILE)
    assert wiring.connect is not None
    provider = wiring.connect()
    try:
        gateway = _gateway(provider, job.options, wiring)
        items = read_associations(gateway, Selection(job.sources, job.collection))
    finally:
        provider.close()
    write_export(items, job.export_to, job.paper)
    return Outcome(None, [job.export_to], exported=len(items))


__all__ = ["Command", "Job", "Outcome", "Wiring", "execute"]
