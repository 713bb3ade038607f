"""`cmassoc serve`: the web front end for a migration team, and its accounts."""

from __future__ import annotations

import dataclasses
import ipaddress
import tomllib
from pathlib import Path

import click

from importer import InputError
from importer.cli.app import context
from importer.cli.connect import build_provider
from importer.cli.output import announce
from importer.cli.site_options import SiteOptions, site_options
from importer.environment import PASSWORD, USERNAME


@click.group(invoke_without_command=True)
@site_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for uploaded waves, reports and accounts [default: the user data folder].",
)
@click.option(
    "--upload-limit", default=50, show_default=True, type=click.IntRange(1, 200), help="Largest upload, MB."
)
@click.option(
    "--trusted-user-header",
    metavar="HEADER",
    help="Take the user from this header, set by a reverse proxy doing Windows logon (IIS, nginx); "
    "roles come from --roles.",
)
@click.option(
    "--roles",
    "roles_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="TOML file mapping users to roles, for --trusted-user-header "
    '([roles] "CONTOSO\\\\ann" = "operator").',
)
@click.pass_context
def serve(
    ctx: click.Context,
    site: SiteOptions,
    host: str,
    port: int,
    data_dir: Path | None,
    upload_limit: int,
    trusted_user_header: str | None,
    roles_file: Path | None,
) -> None:
    """Serve the web front end: a team uploads waves, reviews them, dry-runs and (operators) runs
    them, from a browser. The credentials for the site stay on this host."""
    ctx.meta["cmassoc.serve.data"] = data_dir  # for add-user
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from importer.cli.connect import connect_provider
    from importer.web.app import build_app
    from importer.web.config import WebConfig
    from importer.web.store import Role, Store
    from importer.web.worker import Worker

    env = context().env
    folder = data_dir or env.data_dir()
    store = Store(folder)
    roles = _roles(roles_file) if trusted_user_header else {}
    if trusted_user_header and not roles:
        raise InputError("--trusted-user-header needs --roles: a file that gives each user a role.")
    if not _loopback(host) and not store.has_users() and not trusted_user_header:
        raise InputError(
            f"--host {host} would let anyone on the network in, and there is no account yet.",
            "Add one first: cmassoc serve add-user NAME --role operator (or serve on 127.0.0.1).",
        )
    if site.demo is None and site.server is None:
        site = dataclasses.replace(site, demo="demo-site.db")
    provider = build_provider(site, env)  # checked once now: a wrong site fails here, not in a job
    info = provider.info
    provider.close()
    if site.server is not None:
        from importer.site.winrm.credentials import resolve_credentials

        username, password = resolve_credentials(site.auth, site.username, env)
        env = dataclasses.replace(
            env, variables={**env.variables, USERNAME: username or "", PASSWORD: password or ""}
        )
    label = f"demo site {site.demo}" if site.demo else f"site {info.site_code} on {site.server}"
    worker = Worker(store, lambda: connect_provider(site, env), index=env.run_index()).start()
    config = WebConfig(
        store,
        worker,
        label,
        upload_limit=upload_limit * 1024 * 1024,
        trusted_user_header=trusted_user_header,
        trusted_roles={k.casefold(): Role(v) for k, v in roles.items()},
    )
    announce(f"serving {label} on http://{host}:{port}/ (data in {folder}); Ctrl-C stops")
    if not store.has_users() and not trusted_user_header:
        announce("no account yet: add one with `cmassoc serve add-user NAME --role operator`")
    try:
        uvicorn.run(build_app(config), host=host, port=port, log_level="warning", server_header=False)
    finally:
        worker.stop()
        store.close()


@serve.command("add-user")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "planner", "operator"]), required=True)
@click.pass_context
def add_user(ctx: click.Context, name: str, role: str) -> None:
    """Add an account (or change its role and password); the password is asked for."""
    from importer.web.auth import MIN_PASSWORD, hash_password
    from importer.web.store import Role, Store

    folder = ctx.meta.get("cmassoc.serve.data") or context().env.data_dir()
    if not name.strip() or len(name) > 100:
        raise click.BadParameter("give a name of 1 to 100 characters", param_hint="NAME")
    password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is shorter than {MIN_PASSWORD} characters.")
    store = Store(folder)
    try:
        store.add_user(name.strip(), Role(role), hash_password(password))
    finally:
        store.close()
    announce(f"account {name} ({role}) saved in {folder}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _roles(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"'{path}': not a roles file ({exc}).") from exc
    roles = data.get("roles", {})
    bad = {k: v for k, v in roles.items() if v not in ("viewer", "planner", "operator")}
    if not isinstance(roles, dict) or bad:
        raise InputError(f"'{path}': each user's role must be viewer, planner or operator ({bad}).")
    return {str(k): str(v) for k, v in roles.items()}
