"""`cmassoc cleanup`: delete the associations of a wave whose user state was restored long ago."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import click

from importer import RunOptions
from importer.cli.app import context
from importer.cli.connect import build_provider
from importer.cli.keys import keys_password
from importer.cli.options import dry_run_option, journal_option, output_options
from importer.cli.output import (
    OutputOptions,
    default_report_path,
    finish,
    refuse_overwriting,
    unique_path,
    wiring,
)
from importer.cli.runs import sheet_or_run
from importer.cli.site_options import SiteOptions, site_options
from importer.job import Job, execute


@click.command()
@click.argument("target", metavar="WAVE_OR_REPORT_OR_RUN")
@output_options
@site_options
@dry_run_option
@journal_option
@click.option(
    "--restored-before",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="Delete only pairs whose state was restored more than DAYS ago.",
)
def cleanup(
    target: str,
    output: OutputOptions,
    site: SiteOptions,
    dry_run: bool,
    journal_path: Path | None,
    restored_before: int,
) -> None:
    """Delete the associations of a wave whose user state was restored more than DAYS ago.

    Never one captured and not restored (listed, with why). Each recovery key is kept before
    its delete, and every delete is journaled. A cleaned-up association, its key on the site
    and its store do not come back: try --dry-run first.
    """
    env = context().env
    options = RunOptions(batch_size=site.batch_size, dry_run=dry_run, retry=site.retry)
    stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}"
    found = sheet_or_run(target, journal_path, env, "give the wave sheet itself")
    if isinstance(found, Path):
        job = Job("cleanup", options, sheet=found, journal=journal_path, restored_before=restored_before)
        default = default_report_path(found, kind="cleanup")
    else:
        run_id, journal = found
        job = Job("cleanup", options, journal=journal, run_id=run_id, restored_before=restored_before)
        default = unique_path(journal.with_name(f"cleanup-{run_id}-{stamp}.xlsx"))
    refuse_overwriting(
        {
            "demo site": Path(site.demo) if site.demo else None,
            "wave": Path(target) if Path(target).is_file() else None,
        },
        {"--report": output.report, "--json": output.json_path},
    )
    connect = lambda: build_provider(site, env)  # noqa: E731
    made = wiring(default, output, connect, interruptible=True, index=env.run_index())
    password = keys_password(env, "the escrow of recovery keys")  # asked only when a key is kept
    finish(execute(job, dataclasses.replace(made, keys_password=password)), output)
