"""The `cmassoc` command: parse options, build the pieces, call the pipeline, render results."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from importer import __version__
from importer.config import default_map, load_config
from importer.errors import ImporterError, InputError, ReportError
from importer.exit_status import ExitStatus
from importer.interrupt import graceful_interrupt
from importer.journal import Journal, JournalRun, default_journal_path
from importer.model import Behavior, WaveInput
from importer.names import parse_behavior
from importer.pipeline import DEFAULT_BATCH_SIZE, RunOptions, RunResult, run_wave, validate_wave
from importer.progress import progress_for
from importer.provider import Provider
from importer.read import read_wave
from importer.retry import RetryPolicy, with_retries
from importer.winrm.provider import AUTH_METHODS

log = logging.getLogger("importer")
F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DEMO_SITE = "demo-site.db"


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _announce(text: str) -> None:
    _stderr().print(f"cmassoc: {text}", markup=False)


def _behavior_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Behavior:
    if value is None:
        return Behavior.CAPTURE_AND_RESTORE_SPECIFIED
    parsed = parse_behavior(value, None)
    if parsed.value is None:
        raise click.BadParameter(parsed.messages[0].text)
    return parsed.value


def _wave_options(func: F) -> F:
    for option in reversed(
        (
            click.argument("sheet", type=click.Path(path_type=Path, dir_okay=False)),
            click.option(
                "--users",
                "users_file",
                type=click.Path(path_type=Path, dir_okay=False),
                help="A separate users file (columns: source computer, user).",
            ),
            click.option(
                "--behavior",
                "--behaviour",
                "behavior",
                callback=_behavior_option,
                metavar="B",
                help="Behaviour for rows that give none: 0, 1, 2 or a cmdlet name. "
                "Default 2 (capture and restore specified accounts, the console's default).",
            ),
            click.option(
                "--report",
                type=click.Path(path_type=Path, dir_okay=False),
                help="Excel report path [default: <sheet>-report-<time>.xlsx next to the sheet].",
            ),
            click.option(
                "--json",
                "json_path",
                type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
                help="Also write the results as JSON ('-' for stdout).",
            ),
        )
    ):
        func = option(func)
    return func


class _Cli(click.Group):
    """Turns our errors into one line on stderr and the right exit status, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImporterError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _stderr().print(f"cmassoc: error: {exc}", markup=False)
            ctx.exit(int(exc.exit_status))
        except KeyboardInterrupt:
            _stderr().print("cmassoc: interrupted", markup=False)
            ctx.exit(int(ExitStatus.INTERRUPTED))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # `cmassoc demo-site show | head`: the reader left; say nothing more.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(int(ExitStatus.OK))
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            _stderr().print(
                f"cmassoc: internal error: {type(exc).__name__}: {exc} (run again with --debug for details)",
                markup=False,
            )
            ctx.exit(int(ExitStatus.FATAL))


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cmassoc")
@click.option("--debug", is_flag=True, help="Show internal details and tracebacks.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML file of defaults [default: ./cmassoc.toml, then the user config folder].",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, config_path: Path | None) -> None:
    """Bulk-create ConfigMgr computer associations (USMT source -> destination) from a wave sheet."""
    ctx.obj = {"debug": debug}
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="cmassoc: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    data, path = load_config(config_path)
    if path is not None:
        log.info("defaults from %s", path)
        ctx.default_map = default_map(data)


@cli.command()
@_wave_options
def validate(
    sheet: Path, users_file: Path | None, behavior: Behavior, report: Path | None, json_path: Path | None
) -> None:
    """Read and check SHEET without contacting any site."""
    wave = read_wave(sheet, users_file)
    result = validate_wave(wave, RunOptions(default_behavior=behavior))
    written = _write_reports(result, default_report_path(sheet), report, json_path)
    _print_summary(result, written)
    click.get_current_context().exit(int(result.exit_status))


_SITE_OPTIONS = (
    click.option(
        "--demo",
        "demo",
        is_flag=False,
        flag_value=DEFAULT_DEMO_SITE,
        default=None,
        metavar="[SITE.db]",
        help=f"Use the simulated site (default ./{DEFAULT_DEMO_SITE}, created from the samples if missing).",
    ),
    click.option(
        "--server", metavar="HOST[:PORT]", help="SMS Provider server, reached over WinRM (or a full URL)."
    ),
    click.option("--site-code", metavar="ABC", help="Site code of the SMS Provider."),
    click.option(
        "--auth",
        type=click.Choice(AUTH_METHODS),
        default="ntlm",
        show_default=True,
        help="WinRM authentication (basic only over HTTPS; certificate needs --cert-pem/--cert-key-pem).",
    ),
    click.option(
        "--http",
        is_flag=True,
        help="HTTP on 5985 (messages encrypted by ntlm/kerberos/credssp) instead of HTTPS on 5986.",
    ),
    click.option(
        "--username",
        metavar="DOMAIN\\USER",
        help="WinRM account [default: CMASSOC_USERNAME]. The password comes from CMASSOC_PASSWORD, "
        "the keyring or a prompt, never from a flag.",
    ),
    click.option(
        "--ca-bundle",
        type=click.Path(dir_okay=False, exists=True),
        help="CA certificate(s) that signed the WinRM listener's certificate.",
    ),
    click.option(
        "--insecure-skip-tls-verify",
        is_flag=True,
        help="Do not check the server's certificate (prints a warning).",
    ),
    click.option(
        "--cert-pem",
        type=click.Path(dir_okay=False, exists=True),
        help="Client certificate (--auth certificate).",
    ),
    click.option("--cert-key-pem", type=click.Path(dir_okay=False, exists=True), help="Its private key."),
    click.option(
        "--proxy", metavar="URL", help="HTTP proxy for WinRM [default: none, whatever the environment says]."
    ),
    click.option(
        "--operation-timeout",
        type=click.IntRange(5, 3600),
        default=20,
        show_default=True,
        help="WinRM operation timeout, seconds.",
    ),
    click.option(
        "--read-timeout",
        type=click.IntRange(6, 3600),
        default=30,
        show_default=True,
        help="HTTP read timeout, seconds (longer than the operation timeout).",
    ),
    click.option(
        "--batch-size",
        type=click.IntRange(1, 5000),
        default=DEFAULT_BATCH_SIZE,
        show_default=True,
        help="Pairs per provider round trip.",
    ),
    click.option(
        "--retries",
        type=click.IntRange(1, 50),
        default=5,
        show_default=True,
        help="Attempts per provider round trip when the fault is transient.",
    ),
    click.option(
        "--retry-wait",
        type=click.FloatRange(0, 300),
        default=1.0,
        show_default=True,
        help="First wait before a retry, seconds; it doubles (with jitter) up to 30 s.",
    ),
)


def _site_options(func: F) -> F:
    """--demo or --server and its WinRM options, batching and retries: for run and undo."""
    for option in reversed(_SITE_OPTIONS):
        func = option(func)
    return func


@cli.command()
@_wave_options
@_site_options
@click.option("--dry-run", is_flag=True, help="Resolve and plan only: nothing is created.")
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="CMASSOC_JOURNAL",
    help="Run journal (SQLite) [default: $CMASSOC_JOURNAL, else cmassoc-journal.db next to the sheet].",
)
@click.option("--resume", "resume_id", metavar="RUN", help="Continue run RUN (see the report's Run ID).")
@click.option("--new-run", is_flag=True, help="Do not continue an unfinished run of the same sheet.")
def run(
    sheet: Path,
    users_file: Path | None,
    behavior: Behavior,
    report: Path | None,
    json_path: Path | None,
    dry_run: bool,
    journal_path: Path | None,
    resume_id: str | None,
    new_run: bool,
    **site: Any,
) -> None:
    """Create the associations of SHEET on a site (the demo site or a real SMS Provider).

    Every run is journaled; an interrupted run of the same sheet is continued (--new-run
    to start afresh), and `cmassoc undo` can take it back.
    """
    wave = read_wave(sheet, users_file)
    options = RunOptions(
        default_behavior=behavior, batch_size=site["batch_size"], dry_run=dry_run, retry=_policy(site)
    )
    provider = _build_provider(site, options.retry)
    journal: Journal | None = None
    try:
        journal_run = None
        if not dry_run:
            journal = Journal(journal_path or default_journal_path(sheet))
            journal_run = _journal_run(journal, wave, provider, options, resume_id, new_run)
        with graceful_interrupt(_announce) as interrupts:
            result = run_wave(wave, provider, options, progress_for(_stderr()), journal_run, interrupts)
        if journal is not None:
            result.journal_path = str(journal.path)
        written = _write_reports(result, default_report_path(sheet), report, json_path)
        if journal is not None and result.run_id is not None:
            state = (
                "finished"
                if result.stopped_by is None
                else ("interrupted" if result.interrupted else "stopped")
            )
            journal.finish(result.run_id, state, str(written))
    finally:
        provider.close()
        if journal is not None:
            journal.close()
    _print_summary(result, written)
    click.get_current_context().exit(int(result.exit_status))


def _policy(site: dict[str, Any]) -> RetryPolicy:
    wait = float(site["retry_wait"])
    return RetryPolicy(attempts=int(site["retries"]), wait_first=wait, wait_max=max(30.0, wait))


def _journal_run(
    journal: Journal,
    wave: WaveInput,
    provider: Provider,
    options: RunOptions,
    resume_id: str | None,
    new_run: bool,
) -> JournalRun:
    info = provider.info
    where = f"{info.kind}: {info.location}"
    record = None
    if resume_id is not None:
        record = journal.run(resume_id)
        if record.input_sha256 != wave.sha256:
            raise InputError(
                f"run {resume_id} was made from another version of the sheet (its SHA-256 differs).",
                "Start a new run with --new-run.",
            )
        if record.site.upper() != info.site_code.upper():
            raise InputError(f"run {resume_id} was made on site {record.site}, not {info.site_code}.")
    elif not new_run:
        record = journal.unfinished(wave.sha256, info.site_code, where)
    if record is not None:
        journal.reopen(record.run_id)
        _stderr().print(
            f"cmassoc: continuing run {record.run_id} ({record.state}, started {record.started}); "
            "--new-run starts afresh",
            markup=False,
        )
        return JournalRun(journal, record.run_id, journal.rows(record.run_id))
    settings: dict[str, object] = {
        "default_behavior": int(options.default_behavior),
        "batch_size": options.batch_size,
    }
    run_id = journal.start_run("run", wave.path, wave.sha256, info.site_code, where, settings)
    return JournalRun(journal, run_id)


def _build_provider(site: dict[str, Any], retry: RetryPolicy) -> Provider:
    demo, server, site_code = site.pop("demo"), site.pop("server"), site.pop("site_code")
    if (demo is None) == (server is None):
        raise click.UsageError("give either --demo [SITE.db] or --server HOST --site-code ABC.")
    if demo is not None:
        from importer.demo.samples import ensure_default_site
        from importer.demo.site import DemoSite

        path = Path(demo)
        if demo == DEFAULT_DEMO_SITE:
            ensure_default_site(path)
        return DemoSite(path)
    if not site_code:
        raise click.UsageError("--server needs --site-code (the three-character site code).")
    return connect_winrm(server, site_code, retry, site)


def connect_winrm(server: str, site_code: str, retry: RetryPolicy, opts: dict[str, Any]) -> Provider:
    """Settings, credentials, then one checked connection (retried only if the fault is transient)."""
    from importer.winrm.credentials import resolve_credentials
    from importer.winrm.provider import WinRMProvider, WinRMSettings

    settings = WinRMSettings(
        server=server,
        site_code=site_code,
        auth=opts["auth"],
        https=not opts.get("http"),
        ca_bundle=opts.get("ca_bundle"),
        verify_tls=not opts.get("insecure_skip_tls_verify"),
        cert_pem=opts.get("cert_pem"),
        cert_key_pem=opts.get("cert_key_pem"),
        proxy=opts.get("proxy"),
        operation_timeout=opts.get("operation_timeout") or 20,
        read_timeout=opts.get("read_timeout") or 30,
    )
    username, password = resolve_credentials(settings.auth, opts.get("username"))
    settings = dataclasses.replace(settings, username=username, password=password)
    if not settings.verify_tls:
        _stderr().print(
            "cmassoc: WARNING: the server's certificate is not checked (--insecure-skip-tls-verify): "
            "anyone in the middle could read the credentials and the data.",
            markup=False,
        )
    provider = WinRMProvider(settings)
    try:
        with_retries(retry, f"connecting to {settings.host}", lambda _n: provider.connect())
    except BaseException:
        provider.close()
        raise
    return provider


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def template(out: Path) -> None:
    """Write the blank wave template to OUT (.xlsx)."""
    from importer.template import write_template

    write_template(out)
    click.echo(f"Template written: {out}")


@cli.group("demo-site")
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
    from importer.demo.samples import create_sample_site

    create_sample_site(path, inventory, associations, site_code)
    click.echo(f"Demo site created: {path}")


@demo_site.command("show")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print computers and associations as JSON.")
def demo_site_show(path: Path, as_json: bool) -> None:
    """Show the computers and associations of the demo site at PATH."""
    from importer.demo.site import DemoSite

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
        click.echo(
            f"  {item['source_name']} ({item['source_resource_id']}) -> {item['restore_name']} "
            f"({item['restore_resource_id']})  behaviour {item['behavior']}  users {users}"
        )


@cli.command()
@click.argument("target", metavar="RUN_OR_REPORT")
@_site_options
@click.option("--dry-run", is_flag=True, help="Show what would be deleted: nothing changes.")
@click.option("--force", is_flag=True, help="Also delete associations whose user state capture has started.")
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="CMASSOC_JOURNAL",
    help="The run journal [default: $CMASSOC_JOURNAL, the one the report names, else ./cmassoc-journal.db].",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Excel report path [default: undo-<run>-report-<time>.xlsx next to the journal].",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Also write the results as JSON ('-' for stdout).",
)
def undo(
    target: str,
    dry_run: bool,
    force: bool,
    journal_path: Path | None,
    report: Path | None,
    json_path: Path | None,
    **site: Any,
) -> None:
    """Delete exactly the associations that a run created (RUN_OR_REPORT: a Run ID or its report).

    Associations that were there before the run are never touched, nor ones whose user
    state capture has started (unless --force).
    """
    from importer.undo import UndoOptions, undo_run

    run_id, journal_path = _find_run(target, journal_path)
    options = UndoOptions(
        RunOptions(batch_size=site["batch_size"], dry_run=dry_run, retry=_policy(site)), force=force
    )
    journal = Journal(journal_path)
    try:
        record = journal.run(run_id)
        provider = _build_provider(site, options.run.retry)
        try:
            with graceful_interrupt(_announce) as interrupts:
                result = undo_run(journal, record, provider, options, progress_for(_stderr()), interrupts)
        finally:
            provider.close()
        result.journal_path = str(journal.path)
        default = journal.path.with_name(f"undo-{run_id}-report-{dt.datetime.now():%Y%m%d-%H%M%S}.xlsx")
        written = _write_reports(result, default, report, json_path)
    finally:
        journal.close()
    _print_summary(result, written)
    click.get_current_context().exit(int(result.exit_status))


def _find_run(target: str, journal_path: Path | None) -> tuple[str, Path]:
    """A Run ID, or a JSON/Excel report that names its run and journal."""
    path = Path(target)
    if path.suffix.lower() in (".json", ".xlsx") and path.is_file():
        run_id, journal = _run_from_report(path)
        if run_id is None:
            raise InputError(f"'{path.name}' names no run: it is a dry run, a validation or an older report.")
        return run_id, journal_path or Path(journal or "cmassoc-journal.db")
    if path.suffix.lower() in (".json", ".xlsx"):
        raise InputError(f"'{target}': no such report.")
    return target, journal_path or Path("cmassoc-journal.db")


def _run_from_report(path: Path) -> tuple[str | None, str | None]:
    if path.suffix.lower() == ".json":
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))["summary"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"'{path.name}' is not a cmassoc JSON report.") from exc
        return summary.get("run_id"), summary.get("journal")
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True)["Summary"]
    except Exception as exc:
        raise InputError(f"'{path.name}' is not a cmassoc report.") from exc
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and len(row) > 1}
    run_id, journal = cells.get("Run ID"), cells.get("Journal")
    return (str(run_id) if run_id else None), (str(journal) if journal else None)


def default_report_path(sheet: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return sheet.with_name(f"{sheet.stem}-report-{stamp}.xlsx")


def _write_reports(result: RunResult, default: Path, report: Path | None, json_path: Path | None) -> Path:
    from importer.report.json_report import write_json, write_json_to
    from importer.report.xlsx_report import write_xlsx

    report = report or default
    try:
        write_xlsx(result, report)
    except ReportError as exc:
        fallback = Path(tempfile.gettempdir()) / default.name
        _stderr().print(f"cmassoc: {exc} Writing it to {fallback} instead.", markup=False)
        write_xlsx(result, fallback)
        report = fallback
    if json_path is not None:
        if str(json_path) == "-":
            write_json_to(result, sys.stdout)
        else:
            write_json(result, json_path)
    return report


def _print_summary(result: RunResult, report: Path) -> None:
    err = _stderr()
    what = {"validate": "Checked", "undo": "Undo:", "run": "Imported"}[result.command]
    if result.options.dry_run and result.command != "validate":
        what = f"{what} (dry run, nothing changed)"
    counts = ", ".join(f"{n} {s.value}" for s, n in result.counts().items() if n)
    err.print(f"{what} {len(result.rows)} rows: {counts or 'nothing'}", markup=False)
    if result.wave.rows and result.command == "run" and result.provider is not None:
        err.print(
            f"Site {result.provider.site_code} ({result.provider.kind}); rows without a behaviour "
            f"used {result.options.default_behavior.label}",
            markup=False,
        )
    if result.stopped_by:
        err.print(f"Stopped early: {result.stopped_by}", markup=False)
    if result.run_id and result.command == "run":
        err.print(f"Run ID: {result.run_id} (journal {result.journal_path})", markup=False)
    err.print(f"Report: {report}", markup=False)


def main() -> None:
    cli(prog_name="cmassoc")
