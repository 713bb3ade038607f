"""Which journal and which run a command means: --journal, $CMASSOC_JOURNAL, a report, a Run ID."""

from __future__ import annotations

from pathlib import Path

from importer import InputError
from importer import messages as M
from importer.environment import Environment
from importer.journal.records import RUN_ID_PATTERN
from importer.report.readback import REPORT_SUFFIXES, run_from_report

DEFAULT_JOURNAL = Path("cmassoc-journal.db")


def chosen_journal(journal_path: Path | None, env: Environment) -> Path | None:
    """--journal, else $CMASSOC_JOURNAL; None leaves the default to the command."""
    if journal_path is not None:
        return journal_path
    return Path(env.journal) if env.journal else None


def find_run(
    target: str,
    journal_path: Path | None,
    no_run: str = "it is a dry run, a validation or an older report",
) -> tuple[str, Path]:
    """A Run ID, or a JSON/Excel report that names its run and journal.

    `no_run` says why a report that names no run may be so, and what to give instead.
    """
    path = Path(target)
    if path.suffix.lower() in REPORT_SUFFIXES and path.is_file():
        run_id, journal = run_from_report(path)
        if run_id is None:
            raise InputError(f"'{path.name}' names no run: {no_run}.", code=M.REPORT_NAMES_NO_RUN)
        return run_id, journal_path or (Path(journal) if journal else DEFAULT_JOURNAL)
    if path.suffix.lower() in REPORT_SUFFIXES:
        raise InputError(f"'{target}': no such report.", code=M.NO_SUCH_REPORT)
    if not RUN_ID_PATTERN.match(target):
        raise InputError(
            f"'{target[:60]}' is neither a report (.xlsx, .json) nor a Run ID (like 20261123-143232-85d1).",
            code=M.NOT_A_REPORT_OR_RUN_ID,
        )
    return target, journal_path or DEFAULT_JOURNAL
