"""The `cmassoc` command line: a thin layer that parses options, builds the pieces and calls the
library (importer.pipeline, importer.after.undo); each command lives in its own module."""

from __future__ import annotations

from importer.cli.app import Context, cli

# A command's module is imported when the command runs (or --help lists them all): start-up
# costs what the command needs, not what all of them need.
cli.lazy.update(
    {
        "validate": "importer.cli.wave:validate",
        "run": "importer.cli.wave:run",
        "status": "importer.cli.status:status",
        "export": "importer.cli.status:export",
        "undo": "importer.cli.undo:undo",
        "keys": "importer.cli.keys:keys",
        "cleanup": "importer.cli.cleanup:cleanup",
        "doctor": "importer.cli.doctor:doctor",
        "template": "importer.cli.demo:template",
        "demo-site": "importer.cli.demo:demo_site",
        "serve": "importer.cli.serve:serve",
    }
)

__all__ = ["Context", "cli", "main"]


def main() -> None:
    cli(prog_name="cmassoc")
