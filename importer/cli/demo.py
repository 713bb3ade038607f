"""`cmassoc template` and `cmassoc demo-site`: the blank wave sheet and the simulated site."""

from __future__ import annotations

import json
from pathlib import Path

import click

from importer import messages as M
from importer.cli.output import usage_error


@click.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Write over OUT if it exists.")
def template(out: Path, force: bool) -> None:
    """Write the blank wave template to OUT (.xlsx)."""
    from importer import InputError
    from importer.after.template import write_template

    if out.suffix.lower() != ".xlsx":
        raise InputError(
            f"'{out.name}': the template is an .xlsx workbook.",
            "Give a name ending in .xlsx.",
            code=M.TEMPLATE_NOT_XLSX,
        )
    if out.exists() and not force:
        raise InputError(
            f"'{out}' exists already.",
            "Choose another name, or add --force to replace it.",
            code=M.FILE_EXISTS,
        )
    write_template(out)
    click.echo(f"Template written: {out}")


@click.group("demo-site")
def demo_site() -> None:
    """Create or inspect a simulated ConfigMgr site (a SQLite file)."""


@demo_site.command("create")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--inventory",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Computers CSV (Name, ResourceID, Domain, Obsolete, Active, Client, Decommissioned, "
    "MAC, SMBIOSGUID, CreationDate) [default: the sample inventory].",
)
@click.option(
    "--associations",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Existing associations CSV (SourceResourceID, RestoreResourceID, Behavior, Users, Status) "
    "[default: the sample ones, with the sample inventory; none otherwise].",
)
@click.option("--site-code", default="DEM", show_default=True)
def demo_site_create(path: Path, inventory: Path | None, associations: Path | None, site_code: str) -> None:
    """Create a demo site at PATH."""
    from importer.site.demo.samples import create_sample_site

    create_sample_site(path, inventory, associations, site_code)
    click.echo(f"Demo site created: {path}")


@demo_site.command("show")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print computers and associations as JSON.")
def demo_site_show(path: Path, as_json: bool) -> None:
    """Show the computers and associations of the demo site at PATH."""
    from importer.site.demo.provider import DemoSite
    from importer.site.records import MIGRATION_STATUS_TEXT

    site = DemoSite(path)
    try:
        snapshot = site.snapshot()
    finally:
        site.close()
    if as_json:
        click.echo(json.dumps(snapshot, indent=1))
        return
    computers = snapshot["computers"]
    associations = snapshot["associations"]
    assert isinstance(computers, list) and isinstance(associations, list)
    click.echo(f"Site {snapshot['site_code']}: {len(computers)} computers, {len(associations)} associations")
    for item in associations:
        users = ", ".join(item["users"]) or "-"
        status = MIGRATION_STATUS_TEXT.get(item["status"], str(item["status"]))
        click.echo(
            f"  {item['source_name']} ({item['source_resource_id']}) -> {item['restore_name']} "
            f"({item['restore_resource_id']})  behaviour {item['behavior']}  users {users}  "
            f"migration {status}"
        )


@demo_site.command("migrate")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("source")
@click.argument("destination")
@click.option("--captured", "stage", flag_value="captured", help="The capture stored the user state.")
@click.option("--restored", "stage", flag_value="restored", help="The restore took it on the new computer.")
@click.option(
    "--days-ago",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="It happened N days ago (to try retention and cleanup without waiting).",
)
def demo_site_migrate(path: Path, source: str, destination: str, stage: str | None, days_ago: int) -> None:
    """Move an association of the demo site at PATH through the migration, as a task sequence
    would (to try `cmassoc status`)."""
    from importer.site.demo.provider import DemoSite

    if stage is None:
        raise usage_error(M.DEMO_STAGE_NEEDED, "give --captured or --restored.")
    site = DemoSite(path)
    try:
        site.migrate(source, destination, stage, days_ago)
    finally:
        site.close()
    click.echo(f"{source} -> {destination}: {stage}" + (f" {days_ago} days ago" if days_ago else ""))
