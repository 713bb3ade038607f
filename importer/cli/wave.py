"""`cmassoc validate` and `cmassoc run`: parse, build, call the pipeline, render."""

from __future__ import annotations

from pathlib import Path

import click

from importer import Behavior, InputLimits, RunOptions
from importer import messages as M
from importer.cli.app import context
from importer.cli.options import (
    HardwareOptions,
    RefreshOptions,
    dry_run_option,
    journal_option,
    output_options,
    refresh_options,
    wave_arguments,
)
from importer.cli.output import (
    OutputOptions,
    announce,
    default_report_path,
    finish,
    refuse_overwriting,
    usage_error,
    wiring,
)
from importer.cli.site_options import SiteOptions, site_options
from importer.job import Job, execute


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
    ignore: tuple[str, ...],
    output: OutputOptions,
) -> None:
    """Read and check SHEET without contacting any site."""
    refuse_overwriting(
        {"sheet": sheet, "users file": users_file}, {"--report": output.report, "--json": output.json_path}
    )
    options = RunOptions(
        default_behavior=behavior, users_from=hardware.users_from, collections=hardware.collections
    )
    job = Job("validate", options, sheet, users_file, limits, mapping, ignore=ignore)
    finish(execute(job, wiring(default_report_path(sheet), output)), output)


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
@refresh_options
def run(
    sheet: Path,
    users_file: Path | None,
    behavior: Behavior,
    limits: InputLimits,
    hardware: HardwareOptions,
    mapping: dict[str, str],
    ignore: tuple[str, ...],
    output: OutputOptions,
    site: SiteOptions,
    dry_run: bool,
    journal_path: Path | None,
    resume_id: str | None,
    new_run: bool,
    overwrite_existing_record: bool,
    update: bool,
    refresh: RefreshOptions,
) -> None:
    """Create the associations of SHEET on a site (the demo site or a real SMS Provider).

    Every run is journaled; an interrupted run of the same sheet is continued (--new-run
    to start afresh), and `cmassoc undo` can take it back.
    """
    # Imported here, not above: `cmassoc validate` starts without the site and journal code.
    from importer.cli.connect import build_provider
    from importer.cli.runs import chosen_journal
    from importer.journal.storage import default_journal_path

    env = context().env
    journal_file = chosen_journal(journal_path, env) or default_journal_path(sheet)
    refuse_overwriting(
        {"sheet": sheet, "users file": users_file, "journal": journal_file, "demo site": _demo(site)},
        {"--report": output.report, "--json": output.json_path},
    )
    options = RunOptions(
        default_behavior=behavior,
        batch_size=site.batch_size,
        dry_run=dry_run,
        retry=site.retry,
        users_from=hardware.users_from,
        collections=hardware.collections,
        overwrite_existing_record=overwrite_existing_record,
        update=update,
        inactive_days=refresh.inactive_days,
        strict_readiness=refresh.strict_readiness,
        copy_collections=refresh.copy_collections,
        skip_collections=refresh.skip_collections,
        include_collections=refresh.include_collections,
    )
    if (refresh.skip_collections or refresh.include_collections) and not refresh.copy_collections:
        raise usage_error(
            M.COLLECTION_OPTIONS_ALONE,
            "--skip-collection and --include-collection go with --copy-collections.",
        )
    if overwrite_existing_record:
        announce(
            M.Notice(
                M.OVERWRITE_RECORDS_ON,
                "--overwrite-existing-record: an import may take over a record holding its MAC or GUID",
            )
        )
    job = Job(
        "run",
        options,
        sheet,
        users_file,
        limits,
        mapping,
        ignore,
        journal_file,
        resume_id=resume_id,
        new_run=new_run,
    )
    connect = lambda: build_provider(site, env)  # noqa: E731
    made = wiring(default_report_path(sheet), output, connect, interruptible=True, index=env.run_index())
    finish(execute(job, made), output)


def _demo(site: SiteOptions) -> Path | None:
    return Path(site.demo) if site.demo else None
