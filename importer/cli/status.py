"""`cmassoc status` and `cmassoc export`: reading what is on the site, changing nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from importer import InputError, RunOptions
from importer import messages as M
from importer.cli.app import context
from importer.cli.connect import build_provider
from importer.cli.options import journal_option, output_options, paper_option
from importer.cli.output import (
    OutputOptions,
    announce,
    default_report_path,
    finish,
    unique_path,
    usage_error,
    wiring,
)
from importer.cli.runs import sheet_or_run
from importer.cli.site_options import SiteOptions, site_options
from importer.job import Job, Wiring, execute
from importer.report.pages import Paper


@click.command()
@click.argument("target", metavar="WAVE_OR_REPORT_OR_RUN")
@output_options
@site_options
@journal_option
@click.option(
    "--restore-overdue-days",
    "overdue_days",
    type=click.IntRange(min=0),
    default=14,
    show_default=True,
    metavar="N",
    help="A pair captured and not restored for more than N days is at risk.",
)
def status(
    target: str, output: OutputOptions, site: SiteOptions, journal_path: Path | None, overdue_days: int
) -> None:
    """Where the user state of each pair of a wave stands: not started, capturing, captured,
    restored, or missing. TARGET is the wave sheet, a run's report, or its Run ID.

    Reads only; exit 0 when the reading worked, whatever the statuses. Run it daily.
    """
    env = context().env
    options = RunOptions(batch_size=site.batch_size, retry=site.retry)
    connect = lambda: build_provider(site, env)  # noqa: E731
    found = sheet_or_run(target, journal_path, env, "give the wave sheet itself")
    if isinstance(found, Path):
        job = Job("status", options, sheet=found, overdue_days=overdue_days)
        default = default_report_path(found, kind="status")
    else:
        run_id, journal = found
        job = Job("status", options, journal=journal, run_id=run_id, overdue_days=overdue_days)
        stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}"
        default = unique_path(journal.with_name(f"status-{run_id}-{stamp}.xlsx"))
    finish(execute(job, wiring(default, output, connect, index=env.run_index())), output)


@click.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@site_options
@click.option(
    "--source", "sources", multiple=True, metavar="NAME", help="Only the associations of this computer."
)
@click.option(
    "--collection", metavar="ID_OR_NAME", help="Only the associations of this collection's members."
)
@paper_option
def export(
    out: Path, site: SiteOptions, sources: tuple[str, ...], collection: str | None, paper: Paper
) -> None:
    """Write the associations on the site to OUT (.xlsx or .csv) as a wave sheet `run` takes."""
    from importer.after.export import EXPORT_SUFFIXES

    if out.suffix.lower() not in EXPORT_SUFFIXES:
        raise InputError(
            f"'{out.name}': export writes .xlsx or .csv, not '{out.suffix}'.", code=M.EXPORT_FORMAT
        )
    if sources and collection:
        raise usage_error(M.SOURCE_OR_COLLECTION, "give --source or --collection, not both.")
    env = context().env
    options = RunOptions(batch_size=site.batch_size, retry=site.retry)
    job = Job("export", options, export_to=out, sources=tuple(sources), collection=collection, paper=paper)
    outcome = execute(job, Wiring(connect=lambda: build_provider(site, env), announce=announce))
    announce(M.Notice(M.EXPORTED, f"exported {outcome.exported} associations to {out.absolute()}"))
