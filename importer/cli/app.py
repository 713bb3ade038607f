"""The `cmassoc` group: global options, configuration, and errors as one line and an exit status."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import click

from importer import ExitStatus, ImporterError, __version__
from importer.cli.output import stderr
from importer.config import default_map, load_config
from importer.environment import Environment

log = logging.getLogger("importer")


@dataclass(frozen=True)
class Context:
    env: Environment
    debug: bool = False


def context() -> Context:
    obj = click.get_current_context().find_object(Context)
    return obj if obj is not None else Context(Environment.from_os())


class _Cli(click.Group):
    """Turns our errors into one line on stderr and the right exit status, never a traceback
    (with --debug, the traceback too, and still the same exit status)."""

    lazy: ClassVar[dict[str, str]] = {}  # command name -> "module:function", imported when first wanted

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(dict.fromkeys([*self.lazy, *super().list_commands(ctx)]))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            module, _, attribute = self.lazy[name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # --debug is welcome after the subcommand too: `cmassoc run wave.xlsx --demo --debug`.
        if "--debug" in args:
            args = ["--debug", *(a for a in args if a != "--debug")]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImporterError as exc:
            if _debug(ctx):
                traceback.print_exc()
            code = f"{exc.code} " if exc.code is not None else ""
            stderr().print(f"cmassoc: error: {code}{exc}", markup=False)
            ctx.exit(int(exc.exit_status))
        except KeyboardInterrupt:
            stderr().print("cmassoc: interrupted", markup=False)
            ctx.exit(int(ExitStatus.INTERRUPTED))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # `cmassoc demo-site show | head`: the reader left; say nothing more.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(int(ExitStatus.OK))
        except Exception as exc:
            if _debug(ctx):
                traceback.print_exc()
            stderr().print(
                f"cmassoc: internal error: {type(exc).__name__}: {exc} (run again with --debug for details)",
                markup=False,
            )
            ctx.exit(int(ExitStatus.FATAL))


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(Context)
    return bool(obj and obj.debug)


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
    env = ctx.obj.env if isinstance(ctx.obj, Context) else Environment.from_os()
    ctx.obj = Context(env, debug)
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="cmassoc: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    data, path = load_config(config_path, env)
    if path is not None:
        log.info("defaults from %s", path)
        ctx.default_map = default_map(data)
