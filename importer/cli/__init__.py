"""The `cmassoc` command line: a thin layer that parses options, builds the pieces and calls the
library (importer.pipeline, importer.undo); each command lives in its own module."""

from __future__ import annotations

from importer.cli.app import Context, cli
from importer.cli.demo import demo_site, template
from importer.cli.doctor import doctor
from importer.cli.serve import serve
from importer.cli.status import export, status
from importer.cli.undo import undo
from importer.cli.wave import run, validate

for _command in (validate, run, status, export, undo, doctor, template, demo_site, serve):
    cli.add_command(_command)

__all__ = ["Context", "cli", "main"]


def main() -> None:
    cli(prog_name="cmassoc")
