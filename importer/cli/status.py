"""`cmassoc status` and `cmassoc export`: reading what is on the site, changing nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from importer.cli.app import context
from importer.cli.options import OutputOptions, journal_option, output_options
from importer.cli.output import (
    announce,
    default_report_path,
    print_summary,
    stderr,
    unique_path,
    write_reports,
)
from importer.cli.runs import chosen_journal, find_run
from importer.cli.site import build_provider
from importer.cli.site_options import SiteOptions, site_options
from importer.errors import InputError
from importer.journal.storage import RUN_ID_PATTERN, Journal, journaled_wave
from importer.limits import InputLimits
from importer.pipeline import status_rows, status_wave
from importer.progress import progress_for
from importer.report.readback import REPORT_SUFFIXES, is_report
from importer.results import RunOptions, RunResult
from importer.site.gateway import build_site


@click.command()
@click.argument("target", metavar="WAVE_OR_REPORT_OR_RUN")
@output_options
@site_options
@journal_option
def status(target: str, output: OutputOptions, site: SiteOptions, journal_path: Path | None) -> None:
    """Where the user state of each pair of a wave stands: not started, capturing, captured,
    restored, or missing. TARGET is the wave sheet, a run's report, or its Run ID.

    Reads only; exit 0 when the reading worked, whatever the statuses. Run it daily.
    """
    env = context().env
    options = RunOptions(batch_size=site.batch_size, retry=site.retry)
    path = Path(target)
    provider = None
    try:
        if path.is_file() and not (path.suffix.lower() in REPORT_SUFFIXES and is_report(path)):
            from importer.read.wave import read_wave  # pandas: imported by the commands that read
            wave = read_wave(path, None, InputLimits())
            provider = build_provider(site, env)
            result = status_wave(wave, build_site(provider, options, progress_for(stderr())), options)
            default = default_report_path(path, kind="status")
        else:
            result, default = _status_of_run(target, chosen_journal(journal_path, env), site, options)
    finally:
        if provider is not None:
            provider.close()
    written = write_reports(result, default, output.report, output.json_path)
    print_summary(result, written, str(output.json_path) == "-")
    click.get_current_context().exit(int(result.exit_status))


def _status_of_run(
    target: str, journal_path: Path | None, site: SiteOptions, options: RunOptions
) -> tuple[RunResult, Path]:
    if not Path(target).is_file() and not RUN_ID_PATTERN.match(target):
        raise InputError(f"'{target[:60]}': no such file, and not a Run ID.")
    run_id, journal_path = find_run(target, journal_path, no_run="give the wave sheet itself")
    journal = Journal(journal_path, create=False)
    try:
        record = journal.run(run_id)
        records = journal.rows(run_id)
    finally:
        journal.close()
    provider = build_provider(site, context().env)
    try:
        gateway = build_site(provider, options, progress_for(stderr()))
        rows = [r.as_result() for r in records]
        result = status_rows(journaled_wave(record, records), rows, gateway, options)
    finally:
        provider.close()
    result.run_id = run_id
    default = unique_path(journal_path.with_name(f"status-{run_id}-{dt.datetime.now():%Y%m%d-%H%M%S}.xlsx"))
    return result, default


@click.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@site_options
@click.option(
    "--source", "sources", multiple=True, metavar="NAME", help="Only the associations of this computer."
)
@click.option(
    "--collection", metavar="ID_OR_NAME", help="Only the associations of this collection's members."
)
def export(out: Path, site: SiteOptions, sources: tuple[str, ...], collection: str | None) -> None:
    """Write the associations on the site to OUT (.xlsx or .csv) as a wave sheet `run` takes."""
    from importer.after.export import EXPORT_SUFFIXES, Selection, read_associations, write_export

    if out.suffix.lower() not in EXPORT_SUFFIXES:
        raise InputError(f"'{out.name}': export writes .xlsx or .csv, not '{out.suffix}'.")
    if sources and collection:
        raise click.UsageError("give --source or --collection, not both.")
    env = context().env
    provider = build_provider(site, env)
    try:
        gateway = build_site(provider, RunOptions(batch_size=site.batch_size, retry=site.retry))
        items = read_associations(gateway, Selection(tuple(sources), collection))
    finally:
        provider.close()
    write_export(items, out)
    announce(f"exported {len(items)} associations to {out}")
