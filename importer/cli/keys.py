"""`cmassoc keys`: the recovery key of every pair of a wave, a report or a run, written only into
an encrypted workbook; and the password that encrypts keys, asked for the same way by undo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from importer import InputError, RunOptions, messages
from importer.cli.app import context
from importer.cli.connect import build_provider
from importer.cli.options import journal_option
from importer.cli.output import announce, refuse_overwriting, stderr
from importer.cli.runs import sheet_or_run
from importer.cli.site_options import SiteOptions, site_options
from importer.environment import Environment
from importer.job import Job, Wiring, execute


def keys_password(env: Environment, what: str) -> Callable[[], str]:
    """How a command has the password that encrypts recovery keys: CMASSOC_KEYS_PASSWORD, or
    asked twice on the terminal (never a flag: command lines are logged); asked once at most."""
    from importer.report.keybook import check_password

    kept: list[str] = []

    def password() -> str:
        if not kept:
            given = env.keys_password
            if given is None and env.stdin_isatty:
                try:
                    given = click.prompt(
                        f"Password for {what} (12 characters or more)",
                        hide_input=True,
                        confirmation_prompt=True,
                        err=True,
                    )
                except click.Abort:
                    given = None
            kept.append(check_password(given, what))
        return kept[0]

    return password


@click.command()
@click.argument("target", metavar="WAVE_OR_REPORT_OR_RUN")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The workbook of keys to write (.xlsx), encrypted: Excel asks for its password.",
)
@site_options
@journal_option
def keys(target: str, out: Path, site: SiteOptions, journal_path: Path | None) -> None:
    """The recovery key of every pair of a wave (TARGET: the wave sheet, a run's report, or its
    Run ID), with its store path and dates and how to restore the user state by hand, written
    to OUT encrypted with a password from CMASSOC_KEYS_PASSWORD or asked twice.

    Reads only; exit 0 when the keys were read and the workbook written.
    """
    if out.suffix.lower() != ".xlsx":
        raise InputError(
            f"--out '{out.name}': the keys are written to an Excel workbook (.xlsx).",
            "Give a name ending in .xlsx.",
            code=messages.KEYS_NOT_XLSX,
        )
    env = context().env
    options = RunOptions(batch_size=site.batch_size, retry=site.retry)
    inputs: dict[str, Path | None]
    found = sheet_or_run(target, journal_path, env, "give the wave sheet")
    if isinstance(found, Path):
        job = Job("keys", options, sheet=found, keys_to=out)
        inputs = {"wave sheet": found}
    else:
        run_id, journal = found
        job = Job("keys", options, journal=journal, run_id=run_id, keys_to=out)
        inputs = {"report": Path(target) if Path(target).is_file() else None, "journal": journal}
    refuse_overwriting({**inputs, "demo site": Path(site.demo) if site.demo else None}, {"--out": out})
    password = keys_password(env, f"the recovery keys in {out.name}")
    password()  # asked before the site is: a wrong one costs nothing
    from importer.progress import progress_for

    wiring = Wiring(
        connect=lambda: build_provider(site, env),
        progress=progress_for(stderr()),
        announce=announce,
        keys_password=password,
    )
    outcome = execute(job, wiring)
    click.echo(f"Recovery keys of {outcome.keys}")
    click.echo(f"Keys: {out.absolute()} (encrypted: Excel asks for the password; keep the two apart)")
