"""`cmassoc doctor`: check a site before the first wave."""

from __future__ import annotations

import json

import click

from importer import ExitStatus
from importer import messages as M
from importer.after.doctor import Outcome, Report, check_demo, check_winrm
from importer.after.doctor_adminservice import check_adminservice
from importer.cli.app import context
from importer.cli.connect import connect_provider
from importer.cli.output import usage_error
from importer.cli.site_options import SiteOptions, site_options


@click.command()
@site_options
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor(site: SiteOptions, as_json: bool) -> None:
    """Check that a site can take a wave: network, TLS, logon, shell, PowerShell, namespace, site
    type, reads, and the account's ConfigMgr role. Changes nothing.

    Exit 0 when every check passes (notes are fine), 1 otherwise.
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
            raise usage_error(M.NEEDS_SITE, "give either --demo [SITE.db] or --server HOST --site-code ABC.")
        if site.via == "adminservice":
            report = check_adminservice(once.adminservice_settings(), lambda: connect_provider(once, env))
        else:
            report = check_winrm(once.winrm_settings(), lambda: connect_provider(once, env))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "target": report.target,
                    "passed": report.passed,
                    "checks": [c.as_dict() for c in report.checks],
                },
                indent=1,
            )
        )
    else:
        _print(report)
    click.get_current_context().exit(int(ExitStatus.OK if report.passed else ExitStatus.FATAL))


def _print(report: Report) -> None:
    click.echo(f"cmassoc doctor: {report.target}")
    width = max(len(c.name) for c in report.checks)
    for check in report.checks:
        code = f"{check.code}: " if check.code else ""
        line = f"  {check.outcome.value:<7} {check.name:<{width}}  {code}{check.detail}"
        click.echo(line)
        if check.advice and check.outcome in (Outcome.FAIL, Outcome.NOTE):
            click.echo(f"  {'':<7} {'':<{width}}  -> {check.advice}")
    failed = sum(c.outcome is Outcome.FAIL for c in report.checks)
    click.echo("All checks passed." if not failed else f"{failed} check(s) failed.")
