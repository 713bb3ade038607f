"""The README against the code: its layout block names every folder and module there is, and
its commands table every command and only options that exist."""

from __future__ import annotations

import re

import click

from importer.cli import cli
from tests.support.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "importer"


def _block(title: str) -> str:
    section = README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n", 1)[1].split("```", 1)[0]


def _modules(folder: str) -> set[str]:
    found = list(PACKAGE.rglob(f"{folder}/"))
    assert len(found) == 1, folder
    return {p.stem for p in found[0].glob("*.py") if p.stem != "__init__"}


def test_the_layout_block_lists_every_folder_with_its_modules() -> None:
    listed: dict[str, set[str]] = {}
    for line in _block("Layout").splitlines():
        match = re.match(r"^  (\w+)/\s+([\w ]+):", line)
        if match:
            listed[match.group(1)] = set(match.group(2).split())
    folders = {p.parent.name for p in PACKAGE.rglob("*/__init__.py")}
    assert set(listed) == folders
    for folder, names in listed.items():
        assert names == _modules(folder), folder


def test_the_layout_block_lists_every_top_level_module() -> None:
    named = set(re.findall(r"\b(\w+)\.py\b", _block("Layout")))
    present = {p.stem for p in PACKAGE.glob("*.py")} - {"__main__"}
    assert named == present


def _commands() -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    context = click.Context(cli)
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        assert command is not None
        out[name] = command
        if isinstance(command, click.Group):
            sub = click.Context(command, parent=context)
            for subname in command.list_commands(sub):
                found = command.get_command(sub, subname)
                assert found is not None
                out[f"{name} {subname}"] = found
    return out


def test_the_commands_table_names_every_command_and_only_real_options() -> None:
    table = README.split("## Commands\n", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| `cmassoc ([^`]+)` \| (.+) \|$", table, re.M)
    commands = _commands()
    site_options = {o for p in commands["run"].params for o in getattr(p, "opts", [])}
    for usage, _text in rows:
        words = usage.split()
        name = " ".join(words[:2]) if " ".join(words[:2]) in commands else words[0]
        options = {o for p in commands[name].params for o in getattr(p, "opts", [])}
        for option in re.findall(r"--[a-z][a-z-]*", usage):
            assert option in options or (option == "--server" and option in site_options), (name, option)
    for name, command in commands.items():
        if not isinstance(command, click.Group) or command.invoke_without_command:
            assert f"`cmassoc {name} " in table or f"`cmassoc {name}`" in table, name


def test_git_ignores_the_files_the_commands_write_by_default() -> None:
    import datetime as dt
    import subprocess

    from importer.cli.output import default_report_path

    now = dt.datetime(2026, 12, 7, 9, 5, 7)
    written = [
        default_report_path(ROOT / "samples" / "wave-01.xlsx", now),  # validate, run
        default_report_path(ROOT / "samples" / "wave-01.xlsx", now, kind="status"),  # status of a sheet
        ROOT / "status-20261207-090507-abcd-20261207-090507.xlsx",  # status of a run
        ROOT / "undo-20261207-090507-abcd-report-20261207-090507.xlsx",
        ROOT / "samples" / "cmassoc-journal.db",
        ROOT / "demo-site.db",
    ]
    names = [str(p.relative_to(ROOT)) for p in written]
    said = subprocess.run(
        ["git", "check-ignore", *names], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert said.stdout.split() == names
