"""Option groups declared once, and the typed values they turn into: the reports, the dry
run, the journal, the wave's sheet and how to read it (the site's options, in site_options,
are grouped the same way).

Defaults come from the option dataclasses (RunOptions, InputLimits), so a default is written
in one place and the help text shows it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from importer import Behavior, InputLimits, RunOptions, UsersFrom
from importer import messages as M
from importer.check.values import COLLECTION_ID, parse_behavior
from importer.cli.output import OutputOptions, bad_parameter
from importer.read.aliases import mapping_entry
from importer.report.pages import DEFAULT_PAPER, PAPERS

F = TypeVar("F", bound=Callable[..., Any])


def default(cls: type, name: str) -> Any:
    """The default a dataclass declares for one of its fields."""
    for item in dataclasses.fields(cls):
        if item.name == name:
            if item.default is not dataclasses.MISSING:
                return item.default
            if item.default_factory is not dataclasses.MISSING:
                return item.default_factory()
    raise KeyError(f"{cls.__name__}.{name} has no default")


paper_option = click.option(
    "--paper",
    type=click.Choice(sorted(PAPERS), case_sensitive=False),
    default=DEFAULT_PAPER,
    show_default=True,
    help="The paper the report is laid out for, landscape (also `paper` in the config file).",
)


def grouped(options: tuple[Callable[[F], F], ...], cls: type, target: str) -> Callable[[F], F]:
    """Declare `options` on a command and hand them to it as one `cls` instance named `target`."""
    names = tuple(f.name for f in dataclasses.fields(cls))

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[target] = cls(**{name: kwargs.pop(name) for name in names})
            return func(*args, **kwargs)

        command: Any = wrapper
        for option in reversed(options):
            command = option(command)
        return command  # type: ignore[no-any-return]

    return decorate


output_options = grouped(
    (
        click.option(
            "--report",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Excel report path [default: <input>-report-<time>.xlsx next to the input].",
        ),
        click.option(
            "--json",
            "json_path",
            type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
            help="Also write the results as JSON ('-' for stdout).",
        ),
        paper_option,
    ),
    OutputOptions,
    "output",
)
dry_run_option = click.option("--dry-run", is_flag=True, help="Show what would change: nothing is changed.")
journal_option = click.option(
    "--journal",
    "journal_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Run journal (SQLite) [default: $CMASSOC_JOURNAL, else cmassoc-journal.db next to the sheet "
    "or the one a report names].",
)


def _behavior_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Behavior:
    if value is None:
        return default(RunOptions, "default_behavior")  # type: ignore[no-any-return]
    parsed = parse_behavior(value, None)
    if parsed.value is None:
        said = parsed.messages[0]
        raise bad_parameter(said.code, said.text)
    return parsed.value


LIMIT_KEYS = ("max_file_size", "max_unpacked_size", "max_zip_ratio")


def _limits_options(func: F) -> F:
    """--max-file-size, --max-unpacked-size, --max-zip-ratio, handed over as one InputLimits."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["limits"] = InputLimits(
            max_file_mb=kwargs.pop("max_file_size"),
            max_unpacked_mb=kwargs.pop("max_unpacked_size"),
            max_zip_ratio=kwargs.pop("max_zip_ratio"),
        )
        return func(*args, **kwargs)

    command: Any = wrapper
    for option in reversed(
        (
            click.option(
                "--max-file-size",
                type=click.IntRange(1, 100_000),
                default=default(InputLimits, "max_file_mb"),
                show_default=True,
                metavar="MB",
                help="Refuse input files larger than this.",
            ),
            click.option(
                "--max-unpacked-size",
                type=click.IntRange(1, 100_000),
                default=default(InputLimits, "max_unpacked_mb"),
                show_default=True,
                metavar="MB",
                help="Refuse workbooks that unpack to more than this.",
            ),
            click.option(
                "--max-zip-ratio",
                type=click.IntRange(2, 100_000),
                default=default(InputLimits, "max_zip_ratio"),
                show_default=True,
                help="Refuse workbooks whose parts unpack to more than this many times their size.",
            ),
        )
    ):
        command = option(command)
    return command  # type: ignore[no-any-return]


@dataclass(frozen=True)
class HardwareOptions:
    users_from: UsersFrom | None = None
    collections: tuple[str, ...] = ()


def _hardware_options(func: F) -> F:
    """--users-from and --collection, handed over as one HardwareOptions."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        users_from = kwargs.pop("users_from")
        refs = [r.strip() for value in kwargs.pop("collection") for r in value.split(";") if r.strip()]
        kwargs["hardware"] = HardwareOptions(
            UsersFrom(_USERS_FROM[users_from]) if users_from else None,
            tuple(r.upper() if COLLECTION_ID.match(r) else r for r in dict.fromkeys(refs)),
        )
        return func(*args, **kwargs)

    command: Any = wrapper
    command = click.option(
        "--collection",
        multiple=True,
        metavar="NAME_OR_ID",
        help="Add every destination computer to this device collection (direct rule); repeatable. "
        "A Collection column does the same per row.",
    )(command)
    command = click.option(
        "--users-from",
        type=click.Choice(sorted(_USERS_FROM)),
        help="Behaviour 1/2 rows without users take them from the site: the source computer's primary "
        "users (user device affinity) or its last logon user.",
    )(command)
    return command  # type: ignore[no-any-return]


_USERS_FROM = {"primary": UsersFrom.PRIMARY.value, "last-logon": UsersFrom.LAST_LOGON.value}


@dataclass(frozen=True)
class RefreshOptions:
    """Around the refresh: readiness, and the old computers' collections."""

    inactive_days: int = default(RunOptions, "inactive_days")
    strict_readiness: bool = False
    copy_collections: bool = False
    skip_collections: tuple[str, ...] = ()
    include_collections: tuple[str, ...] = ()


def _refs(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    refs = [r.strip() for value in values for r in value.split(";") if r.strip()]
    return tuple(r.upper() if COLLECTION_ID.match(r) else r for r in dict.fromkeys(refs))


inactive_days_option = click.option(
    "--inactive-days",
    type=click.IntRange(1, 3650),
    default=default(RunOptions, "inactive_days"),
    show_default=True,
    metavar="DAYS",
    help="Readiness: an old computer's client with no activity for this long (LastActiveTime) will "
    "not run its capture, and is warned about.",
)


def refresh_options(func: F) -> F:
    """--inactive-days, --strict-readiness and the --copy-collections family, as one RefreshOptions.
    Collections never to copy add up: --skip-collection's and the config file's skip_collections."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        configured = (click.get_current_context().default_map or {}).get("skip_collections") or []
        kwargs["refresh"] = RefreshOptions(
            inactive_days=kwargs.pop("inactive_days"),
            strict_readiness=kwargs.pop("strict_readiness"),
            copy_collections=kwargs.pop("copy_collections"),
            skip_collections=_refs([*kwargs.pop("skip_collections"), *configured]),
            include_collections=_refs(kwargs.pop("include_collections")),
        )
        return func(*args, **kwargs)

    command: Any = wrapper
    for option in reversed(
        (
            inactive_days_option,
            click.option(
                "--strict-readiness",
                is_flag=True,
                help="Refuse (conflict) a pair with a readiness warning instead of creating it.",
            ),
            click.option(
                "--copy-collections",
                is_flag=True,
                help="Give each new computer the old one's direct collection memberships (not built-in "
                "collections, nor those a task sequence is deployed to); undo removes them.",
            ),
            click.option(
                "--skip-collection",
                "skip_collections",
                multiple=True,
                metavar="NAME_OR_ID",
                help="With --copy-collections: never copy this collection (repeatable; also the config "
                "file's skip_collections).",
            ),
            click.option(
                "--include-collection",
                "include_collections",
                multiple=True,
                metavar="ID",
                help="With --copy-collections: copy this collection even though a task sequence is "
                "deployed to it (repeatable).",
            ),
        )
    ):
        command = option(command)
    return command  # type: ignore[no-any-return]


def _mapping_option(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        entry = mapping_entry(value)
        if entry is None:
            raise bad_parameter(
                M.MAP_INVALID,
                f'{value!r}: write FIELD=HEADER, e.g. Source="Old PC" (fields: Source, Destination, Users, '
                "Behavior, MAC, SMBIOSGUID, Collection, SourceResourceID, RestoreResourceID)",
            )
        mapping[entry[0]] = entry[1]
    return mapping


def _ignore_option(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    headers = tuple(dict.fromkeys(v.strip() for v in values))
    if any(not h for h in headers):
        raise bad_parameter(
            M.IGNORE_COLUMN_EMPTY, 'give the column\'s header, e.g. --ignore-column "USMT behaviour"'
        )
    return headers


def wave_arguments(func: F) -> F:
    """SHEET, --users, --behavior, --map and --ignore-column (and the input limits): what validate
    and run read."""
    func = _limits_options(func)
    func = _hardware_options(func)
    func = click.option(
        "--ignore-column",
        "ignore",
        multiple=True,
        metavar='"HEADER"',
        callback=_ignore_option,
        help="Leave this column unread (carried into the report as it is), also when it looks like "
        "behaviours or users, which otherwise stops the job (repeatable).",
    )(func)
    func = click.option(
        "--map",
        "mapping",
        multiple=True,
        metavar='FIELD="HEADER"',
        callback=_mapping_option,
        help='Which column is which when the headers are not recognised, e.g. --map Source="Old PC" '
        '--map Destination="New PC" (repeatable).',
    )(func)
    for option in reversed(
        (
            click.argument("sheet", type=click.Path(path_type=Path)),
            click.option(
                "--users",
                "users_file",
                type=click.Path(path_type=Path),
                help="A separate users file (columns: source computer, user).",
            ),
            click.option(
                "--behavior",
                "--behaviour",
                "behavior",
                callback=_behavior_option,
                metavar="B",
                help="Behaviour for rows that give none: 0, 1, 2, a cmdlet name or the console's words. "
                "Default 2 (capture and restore specified accounts, the console's default).",
            ),
        )
    ):
        func = option(func)
    return func
