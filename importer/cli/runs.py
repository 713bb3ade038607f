"""Which journal and which run a command means: --journal, $CMASSOC_JOURNAL, a report, a Run ID
(looked up in the index of runs when its journal is not where the command looks first)."""

from __future__ import annotations

from pathlib import Path

from importer import InputError
from importer import messages as M
from importer.cli.output import announce
from importer.environment import Environment
from importer.journal.index import locate_run
from importer.journal.records import RUN_ID_PATTERN
from importer.report.readback import REPORT_SUFFIXES, is_report, run_from_report

DEFAULT_JOURNAL = Path("cmassoc-journal.db")


def chosen_journal(journal_path: Path | None, env: Environment) -> Path | None:
    """--journal, else $CMASSOC_JOURNAL; None leaves the default to the command."""
    if journal_path is not None:
        return journal_path
    return Path(env.journal) if env.journal else None


def find_run(
    target: str,
    journal_path: Path | None,
    index: Path,
    no_run: str = "it is a dry run, a validation or an older report",
) -> tuple[str, Path]:
    """A Run ID, or a JSON/Excel report that names its run and journal; which journal is read is
    said on stderr.

    A Run ID's journal is `journal_path` (else the current folder's) when it holds the run, else
    the one the index of runs names. `no_run` says why a report that names no run may be so,
    and what to give instead.
    """
    path = Path(target)
    if path.suffix.lower() in REPORT_SUFFIXES and path.is_file():
        run_id, named = run_from_report(path)
        if run_id is None:
            raise InputError(f"'{path.name}' names no run: {no_run}.", code=M.REPORT_NAMES_NO_RUN)
        journal = journal_path or (Path(named) if named else DEFAULT_JOURNAL)
        announce(M.Notice(M.READING_JOURNAL, f"run {run_id}: reading the journal {journal.absolute()}"))
        return run_id, journal
    if path.suffix.lower() in REPORT_SUFFIXES:
        raise InputError(f"'{target}': no such report.", code=M.NO_SUCH_REPORT)
    if not RUN_ID_PATTERN.match(target):
        raise InputError(
            f"'{target[:60]}' is neither a report (.xlsx, .json) nor a Run ID (like 20261123-143232-85d1).",
            code=M.NOT_A_REPORT_OR_RUN_ID,
        )
    found = locate_run(target, journal_path or DEFAULT_JOURNAL, index)
    how = f" (found in the index of runs {index.absolute()})" if found.from_index else ""
    announce(
        M.Notice(M.READING_JOURNAL, f"run {target}: reading the journal {found.journal.absolute()}{how}")
    )
    return target, found.journal


def sheet_or_run(
    target: str, journal_path: Path | None, env: Environment, no_run: str
) -> Path | tuple[str, Path]:
    """TARGET as status, keys and cleanup take it: a wave sheet (the sheet), or a run's report
    or Run ID (the run and its journal, said on stderr)."""
    path = Path(target)
    if path.is_file() and not (path.suffix.lower() in REPORT_SUFFIXES and is_report(path)):
        return path
    if not path.is_file() and not RUN_ID_PATTERN.match(target):
        raise InputError(f"'{target[:60]}': no such file, and not a Run ID.", code=M.NO_SUCH_FILE_OR_RUN)
    return find_run(target, chosen_journal(journal_path, env), env.run_index(), no_run=no_run)
