"""`cmassoc undo`: delete exactly what one run created."""

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
from importer.cli.output import OutputOptions, finish, refuse_overwriting, unique_path, wiring
from importer.cli.runs import chosen_journal, find_run
from importer.cli.site_options import SiteOptions, site_options
from importer.job import Job, execute


@click.command()
@click.argument("target", metavar="RUN_OR_REPORT")
@output_options
@site_options
@dry_run_option
@journal_option
@click.option("--force", is_flag=True, help="Also delete associations whose user state capture has started.")
@click.option("--keep-imported", is_flag=True, help="Keep the computer records the run imported.")
def undo(
    target: str,
    output: OutputOptions,
    site: SiteOptions,
    dry_run: bool,
    journal_path: Path | None,
    force: bool,
    keep_imported: bool,
) -> None:
    """Delete exactly the associations that a run created (RUN_OR_REPORT: a Run ID or its report).

    Associations that were there before the run are never touched, nor ones whose user
    state capture has started (unless --force). Before one whose capture has started is deleted,
    its recovery key goes into an encrypted escrow beside the journal (the password from
    CMASSOC_KEYS_PASSWORD, or asked); if it cannot, nothing is deleted.
    """
    env = context().env
    run_id, journal_path = find_run(target, chosen_journal(journal_path, env), env.run_index())
    refuse_overwriting(
        {
            "journal": journal_path,
            "report undone": Path(target),
            "demo site": Path(site.demo) if site.demo else None,
        },
        {"--report": output.report, "--json": output.json_path},
    )
    options = RunOptions(batch_size=site.batch_size, dry_run=dry_run, retry=site.retry)
    job = Job("undo", options, journal=journal_path, run_id=run_id, force=force, keep_imported=keep_imported)
    stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}"
    default = unique_path(journal_path.with_name(f"undo-{run_id}-report-{stamp}.xlsx"))
    connect = lambda: build_provider(site, env)  # noqa: E731
    made = wiring(default, output, connect, interruptible=True, index=env.run_index())
    password = keys_password(env, "the escrow of recovery keys")
    finish(execute(job, dataclasses.replace(made, keys_password=password)), output)
