"""`cmassoc undo`: delete exactly what one run created."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from importer.cli.app import context
from importer.cli.options import OutputOptions, dry_run_option, journal_option, output_options
from importer.cli.output import (
    announce,
    print_summary,
    refuse_overwriting,
    stderr,
    unique_path,
    write_reports,
)
from importer.cli.runs import chosen_journal, find_run
from importer.cli.site import build_provider
from importer.cli.site_options import SiteOptions, site_options
from importer.interrupt import graceful_interrupt
from importer.journal.storage import Journal
from importer.progress import progress_for
from importer.results import RunOptions
from importer.site.gateway import build_site


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
    state capture has started (unless --force).
    """
    from importer.after.undo import UndoOptions, undo_run

    env = context().env
    run_id, journal_path = find_run(target, chosen_journal(journal_path, env))
    refuse_overwriting(
        {
            "journal": journal_path,
            "report undone": Path(target),
            "demo site": Path(site.demo) if site.demo else None,
        },
        {"--report": output.report, "--json": output.json_path},
    )
    options = UndoOptions(
        RunOptions(batch_size=site.batch_size, dry_run=dry_run, retry=site.retry),
        force=force,
        keep_imported=keep_imported,
    )
    journal = Journal(journal_path, create=False)
    try:
        record = journal.run(run_id)
        provider = build_provider(site, env)
        try:
            with graceful_interrupt(announce) as interrupts:
                gateway = build_site(provider, options.run, progress_for(stderr()))
                result = undo_run(journal, record, gateway, options, interrupts)
        finally:
            provider.close()
        result.journal_path = str(journal.path)
        default = unique_path(
            journal.path.with_name(f"undo-{run_id}-report-{dt.datetime.now():%Y%m%d-%H%M%S}.xlsx")
        )
        written = write_reports(result, default, output.report, output.json_path)
    finally:
        journal.close()
    print_summary(result, written, str(output.json_path) == "-")
    click.get_current_context().exit(int(result.exit_status))
