"""`cmassoc doctor`: check a site before the first wave."""

from __future__ import annotations

import json
from pathlib import Path

import click

from importer import ExitStatus, RunOptions, RunResult, Status
from importer.after.doctor import Outcome, Report, check_adminservice, check_demo, check_winrm
from importer.cli.app import context
from importer.cli.connect import connect_provider
from importer.cli.options import inactive_days_option
from importer.cli.output import readiness_lines
from importer.cli.site_options import SiteOptions, site_options


@click.command()
@site_options
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option(
    "--wave",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="SHEET",
    help="Also check a wave's readiness (each pair's warnings and the site's state migration "
    "points), as a dry run would, without creating anything.",
)
@inactive_days_option
def doctor(site: SiteOptions, as_json: bool, wave: Path | None, inactive_days: int) -> None:
    """Check that a site can take a wave: network, TLS, logon, shell, PowerShell, namespace, site
    type, reads, and the account's ConfigMgr role. Changes nothing.

    Exit 0 when every check passes (notes and readiness warnings are fine), 1 otherwise.
    """
    env = context().env
    if site.demo is not None and site.server is None:
        provider = connect_provider(site, env)
        try:
            report = check_demo(provider)
        finally:
            provider.close()
    else:
        once = SiteOptions(**{**site.__dict__, "retries": 1})
        if not (site.server and site.site_code):
            raise click.UsageError("give either --demo [SITE.db] or --server HOST --site-code ABC.")
        if site.via == "adminservice":
            report = check_adminservice(once.adminservice_settings(), lambda: connect_provider(once, env))
        else:
            report = check_winrm(once.winrm_settings(), lambda: connect_provider(once, env))
    readiness = (
        _wave_readiness(wave, site, inactive_days, report) if wave is not None and report.passed else None
    )
    if as_json:
        data: dict[str, object] = {
            "target": report.target,
            "passed": report.passed,
            "checks": [c.as_dict() for c in report.checks],
        }
        if readiness is not None:
            data["readiness"] = _readiness_json(readiness)
        click.echo(json.dumps(data, indent=1))
    else:
        _print(report)
        if readiness is not None:
            _print_readiness(readiness)
    click.get_current_context().exit(int(ExitStatus.OK if report.passed else ExitStatus.FATAL))


def _wave_readiness(wave: Path, site: SiteOptions, inactive_days: int, report: Report) -> RunResult:
    """The wave's readiness: a dry run (nothing created, no journal, no report), as a check too."""
    from importer.cli.connect import build_provider
    from importer.job import Job, Wiring, execute

    env = context().env
    options = RunOptions(
        batch_size=site.batch_size, dry_run=True, retry=site.retry, inactive_days=inactive_days
    )
    outcome = execute(Job("run", options, wave), Wiring(connect=lambda: build_provider(site, env)))
    result = outcome.result
    assert result is not None
    if result.stopped_by is not None:
        report.add("wave readiness", Outcome.FAIL, f"{wave.name}: {result.stopped_by}")
        return result
    checked = [r for r in result.rows if r.status in (Status.PLANNED, Status.EXISTS)]
    warned = [r for r in checked if r.readiness]
    others = len(result.rows) - len(checked)
    detail = f"{wave.name}: {len(warned):,} of {len(checked):,} pairs with readiness warnings" + (
        f"; {others:,} rows not checked ({result.tally()}): `run --dry-run` says why" if others else ""
    )
    report.add("wave readiness", Outcome.NOTE if warned else Outcome.OK, detail)
    return result


def _readiness_json(result: RunResult) -> dict[str, object]:
    return {
        "input_file": result.wave.path,
        "counts": result.readiness_counts(),
        "site": [r.as_dict() for r in result.site_readiness or ()],
        "rows": [
            {
                "sheet": row.sheet,
                "row": row.row,
                "source": row.source,
                "destination": row.destination,
                "status": row.status.value if row.status else None,
                "readiness": [r.as_dict() for r in row.readiness],
            }
            for row in result.rows
            if row.readiness
        ],
    }


def _print_readiness(result: RunResult) -> None:
    if result.stopped_by is not None:
        return
    click.echo(f"Readiness of {result.wave.path}:")
    for row in result.rows:
        if row.readiness:
            click.echo(f"  {row.where}: {row.source} -> {row.destination}")
            for item in row.readiness:
                click.echo(f"    {item.render()}")
    for line in readiness_lines(result):
        click.echo(f"  {line}")


def _print(report: Report) -> None:
    click.echo(f"cmassoc doctor: {report.target}")
    width = max(len(c.name) for c in report.checks)
    for check in report.checks:
        line = f"  {check.outcome.value:<7} {check.name:<{width}}  {check.detail}"
        click.echo(line)
        if check.advice and check.outcome in (Outcome.FAIL, Outcome.NOTE):
            click.echo(f"  {'':<7} {'':<{width}}  -> {check.advice}")
    failed = sum(c.outcome is Outcome.FAIL for c in report.checks)
    click.echo("All checks passed." if not failed else f"{failed} check(s) failed.")
