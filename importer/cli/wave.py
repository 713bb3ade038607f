"""`cmassoc validate` and `cmassoc run`: parse, build, call the pipeline, render."""

from __future__ import annotations

from pathlib import Path

import click

from importer.cli.app import context
from importer.cli.options import (
    HardwareOptions,
    OutputOptions,
    dry_run_option,
    journal_option,
    output_options,
    wave_arguments,
)
from importer.cli.output import (
    announce,
    default_report_path,
    print_summary,
    refuse_overwriting,
    stderr,
    write_reports,
)
from importer.cli.site_options import SiteOptions, site_options
from importer.limits import InputLimits
from importer.model import Behavior
from importer.pipeline import run_wave, validate_wave
from importer.results import RunOptions


@click.command()
@wave_arguments
@output_options
def validate(
    sheet: Path,
    users_file: Path | None,
    behavior: Behavior,
    limits: InputLimits,
    hardware: HardwareOptions,
    mapping: dict[str, str],
    output: OutputOptions,
) -> None:
    """Read and check SHEET without contacting any site."""
    refuse_overwriting(
        {"sheet": sheet, "users file": users_file}, {"--report": output.report, "--json": output.json_path}
    )
    from importer.read.wave import read_wave  # pandas: imported by the commands that read
    wave = read_wave(sheet, users_file, limits, mapping)
    options = RunOptions(
        default_behavior=behavior, users_from=hardware.users_from, collections=hardware.collections
    )
    result = validate_wave(wave, options)
    written = write_reports(result, default_report_path(sheet), output.report, output.json_path)
    print_summary(result, written, str(output.json_path) == "-")
    click.get_current_context().exit(int(result.exit_status))


@click.command()
@wave_arguments
@output_options
@site_options
@dry_run_option
@journal_option
@click.option(
    "--update",
    is_flag=True,
    help="Bring an association whose behaviour or users differ from the sheet to the sheet's version "
    "(delete and re-create it), while its user state capture has not started.",
)
@click.option(
    "--overwrite-existing-record",
    is_flag=True,
    help="Let an imported computer take over a record that already holds its MAC address or SMBIOS GUID "
    "(printed and recorded in the report).",
)
@click.option("--resume", "resume_id", metavar="RUN", help="Continue run RUN (see the report's Run ID).")
@click.option("--new-run", is_flag=True, help="Do not continue an unfinished run of the same sheet.")
def run(
    sheet: Path,
    users_file: Path | None,
    behavior: Behavior,
    limits: InputLimits,
    hardware: HardwareOptions,
    mapping: dict[str, str],
    output: OutputOptions,
    site: SiteOptions,
    dry_run: bool,
    journal_path: Path | None,
    resume_id: str | None,
    new_run: bool,
    overwrite_existing_record: bool,
    update: bool,
) -> None:
    """Create the associations of SHEET on a site (the demo site or a real SMS Provider).

    Every run is journaled; an interrupted run of the same sheet is continued (--new-run
    to start afresh), and `cmassoc undo` can take it back.
    """
    # Imported here, not above: `cmassoc validate` starts without the site and journal code.
    from importer.cli.runs import chosen_journal
    from importer.cli.site import build_provider
    from importer.interrupt import graceful_interrupt
    from importer.journal.storage import Journal, RunState, default_journal_path
    from importer.progress import progress_for
    from importer.site.gateway import build_site

    env = context().env
    journal_file = chosen_journal(journal_path, env) or default_journal_path(sheet)
    refuse_overwriting(
        {"sheet": sheet, "users file": users_file, "journal": journal_file, "demo site": _demo(site)},
        {"--report": output.report, "--json": output.json_path},
    )
    from importer.read.wave import read_wave  # pandas: imported by the commands that read
    wave = read_wave(sheet, users_file, limits, mapping)
    options = RunOptions(
        default_behavior=behavior,
        batch_size=site.batch_size,
        dry_run=dry_run,
        retry=site.retry,
        users_from=hardware.users_from,
        collections=hardware.collections,
        overwrite_existing_record=overwrite_existing_record,
        update=update,
    )
    if overwrite_existing_record:
        announce("--overwrite-existing-record: an import may take over a record holding its MAC or GUID")
    provider = build_provider(site, env)
    journal: Journal | None = None
    try:
        journal_run = None
        if not dry_run:
            journal = Journal(journal_file)
            journal_run = journal.resume_or_start(
                wave, provider.info, options, resume_id, new_run, announce=announce
            )
            announce(f"run {journal_run.run_id}, journal {journal.path} (a stopped run continues from there)")
        with graceful_interrupt(announce) as interrupts:
            gateway = build_site(provider, options, progress_for(stderr()))
            result = run_wave(wave, gateway, options, journal_run, interrupts)
        if journal is not None:
            result.journal_path = str(journal.path)
        written = write_reports(result, default_report_path(sheet), output.report, output.json_path)
        if journal is not None and result.run_id is not None:
            journal.finish(result.run_id, RunState.of(result), str(written))
    finally:
        provider.close()
        if journal is not None:
            journal.close()
    print_summary(result, written, str(output.json_path) == "-")
    click.get_current_context().exit(int(result.exit_status))


def _demo(site: SiteOptions) -> Path | None:
    return Path(site.demo) if site.demo else None
