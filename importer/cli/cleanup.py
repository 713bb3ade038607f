"""`cmassoc cleanup`: delete the associations of a wave whose user state was restored long ago."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import click

from importer import InputError, RunOptions
from importer import messages as M
from importer.cli.app import context
from importer.cli.connect import build_provider
from importer.cli.keys import keys_password
from importer.cli.options import OutputOptions, dry_run_option, journal_option, output_options
from importer.cli.output import default_report_path, finish, refuse_overwriting, unique_path, wiring
from importer.cli.runs import chosen_journal, find_run
from importer.cli.site_options import SiteOptions, site_options
from importer.job import Job, execute
from importer.journal.records import RUN_ID_PATTERN
from importer.report.readback import REPORT_SUFFIXES, is_report


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
    path = Path(target)
    stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}"
    if path.is_file() and not (path.suffix.lower() in REPORT_SUFFIXES and is_report(path)):
        job = Job("cleanup", options, sheet=path, journal=journal_path, restored_before=restored_before)
        default = default_report_path(path, kind="cleanup")
    else:
        if not path.is_file() and not RUN_ID_PATTERN.match(target):
            raise InputError(f"'{target[:60]}': no such file, and not a Run ID.", code=M.NO_SUCH_FILE_OR_RUN)
        chosen = chosen_journal(journal_path, env)
        run_id, journal = find_run(target, chosen, env.run_index(), no_run="give the wave sheet itself")
        job = Job("cleanup", options, journal=journal, run_id=run_id, restored_before=restored_before)
        default = unique_path(journal.with_name(f"cleanup-{run_id}-{stamp}.xlsx"))
    refuse_overwriting(
        {"demo site": Path(site.demo) if site.demo else None, "wave": path if path.is_file() else None},
        {"--report": output.report, "--json": output.json_path},
    )
    connect = lambda: build_provider(site, env)  # noqa: E731
    made = wiring(default, output, connect, interruptible=True, index=env.run_index())
    password = keys_password(env, "the escrow of recovery keys")  # asked only when a key is kept
    finish(execute(job, dataclasses.replace(made, keys_password=password)), output)
