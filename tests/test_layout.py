"""The shape of the house, checked: stages side by side, reports apart from the pipeline,
one source for defaults, environment read in one place, a light start for every command."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from importer import config
from importer.cli import cli
from importer.cli.options import LIMIT_KEYS
from importer.cli.site_options import SITE_KEYS, SiteOptions
from importer.results import RunOptions
from importer.site.retry import RetryPolicy
from importer.site.winrm.settings import WinRMSettings
from tests.support.helpers import ROOT, invoke, sheet

PACKAGE = ROOT / "importer"
# The pipeline's stages, each a folder or module of its own: read -> check -> resolve -> plan
# -> memberships (--copy-collections) -> readiness -> apply; `after` (status, export, undo,
# doctor) works on what a run left.
STAGES = {
    "read": "importer.read",
    "check": "importer.check",
    "resolve": "importer.stages.resolve",
    "plan": "importer.stages.plan",
    "apply": "importer.stages.apply",
    "memberships": "importer.stages.memberships",
    "readiness": "importer.stages.readiness",
    "after": "importer.after",
}
# What a stage may use of another: reading recognises names, MAC addresses and GUIDs as
# checking does, and the plan holds the site to ConfigMgr's rules, as the sheet check does.
# The template's example row is the one reading knows to skip.
ALLOWED = {
    ("read", "importer.check.names"),
    ("read", "importer.check.values"),
    ("resolve", "importer.check.names"),
    ("plan", "importer.check.rules"),
    ("after", "importer.read.aliases"),
}


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _command(name: str) -> click.Command:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return command


def imports_of(path: Path) -> set[str]:
    """Every importer module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("importer"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("importer"))
    return found


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_no_stage_imports_another(stage: str) -> None:
    found = set()
    for name, path in modules().items():
        if not _in(name, STAGES[stage]):
            continue
        for imported in imports_of(path):
            for other, package in STAGES.items():
                allowed = any(_in(imported, a) for s, a in ALLOWED if s == stage)
                if other != stage and _in(imported, package) and not allowed:
                    found.add((name, imported))
    assert found == set()


def test_reports_never_import_stages_cli_or_web() -> None:
    forbidden = [*STAGES.values(), "importer.pipeline", "importer.job", "importer.cli", "importer.web"]
    found = {
        (name, imported)
        for name, path in modules().items()
        if _in(name, "importer.report")
        for imported in imports_of(path)
        if any(_in(imported, package) for package in forbidden)
    }
    assert found == set()


# `python -m importer` starts the command line, and `cmassoc serve` the web app.
ENTRIES = {("importer.__main__", "importer.cli"), ("importer.cli.serve", "importer.web")}


def test_nothing_imports_cli_or_web_but_themselves() -> None:
    found = {
        (name, imported)
        for name, path in modules().items()
        for imported in imports_of(path)
        for layer in ("importer.cli", "importer.web")
        if _in(imported, layer) and not _in(name, layer) and (name, layer) not in ENTRIES
    }
    assert found == set()


def test_the_model_imports_no_stage_and_no_site() -> None:
    found = {
        (name, imported)
        for name, path in modules().items()
        if _in(name, "importer.model")
        for imported in imports_of(path)
        if not _in(imported, "importer.model") and not _in(imported, "importer.messages")  # a leaf
    }
    assert found == set()


def test_every_module_says_its_job_in_at_most_400_lines() -> None:
    too_long, silent = [], []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 400:
            too_long.append(name)
        if text.strip() and not ast.get_docstring(ast.parse(text)):
            silent.append(name)
    assert too_long == []
    assert silent == []


def test_environment_variables_are_read_in_one_place() -> None:
    readers = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["environment.py"]


HEAVY = ("requests", "winrm", "pandas", "pyarrow", "xlsxwriter", "openpyxl")


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        ("--help", ()),
        ("demo-site --help", ()),
        ("template --help", ()),
        ("run --help", ()),
        # The wave is a DataFrame of Arrow strings, its report an XlsxWriter workbook: no more.
        ("validate samples/wave-03.csv --report {out}", ("pandas", "pyarrow", "xlsxwriter")),
    ],
)
def test_commands_import_only_what_they_use(command: str, needs: tuple[str, ...], tmp_path: Path) -> None:
    command = command.format(out=tmp_path / "v.xlsx")
    unwanted = tuple(m for m in HEAVY if m not in needs)
    code = (
        "import sys\n"
        "from importer.cli import cli\n"
        f"try:\n    cli({command.split()!r}, prog_name='cmassoc')\n"
        "except SystemExit:\n    pass\n"
        f"print(sorted(m for m in {unwanted!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_defaults_are_written_once() -> None:
    params = {p.name: p for p in _command("run").params if isinstance(p, click.Option)}
    assert params["auth"].default == WinRMSettings.auth == SiteOptions.auth
    assert params["operation_timeout"].default == WinRMSettings.operation_timeout
    assert params["read_timeout"].default == WinRMSettings.read_timeout
    assert params["batch_size"].default == RunOptions.batch_size
    assert params["retries"].default == RetryPolicy.attempts
    assert params["retry_wait"].default == RetryPolicy.wait_first
    undo = {p.name: p.default for p in _command("undo").params if isinstance(p, click.Option)}
    assert all(undo[key] == params[key].default for key in SITE_KEYS)


def test_config_keys_are_the_long_options_readme_promises() -> None:
    assert set(config.KEYS) == (
        set(SITE_KEYS) | {"behavior", "journal", "paper"} | set(LIMIT_KEYS) | config.REFRESH_KEYS
    )
    run_options = {p.name for p in _command("run").params}
    assert {"journal_path" if k == "journal" else k for k in config.KEYS} <= run_options
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [example] = [e for e in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[roles]" not in e]
    promised = re.findall(r"^(\w+) =", example, re.M)
    assert promised and set(promised) <= set(config.KEYS)


def test_undo_honours_the_config_file(
    tmp_path: Path, site_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    journal = tmp_path / "elsewhere.db"
    Path("cmassoc.toml").write_text(
        f'demo = "{site_path.as_posix()}"\njournal = "{journal.as_posix()}"\nbatch_size = 1\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("CMASSOC_JOURNAL")
    wave = sheet(tmp_path, "Source,Destination,Behavior\nCON-PC0003,CON-NB0003,0\nCON-PC0004,CON-NB0004,0\n")
    made = invoke("run", wave, "--json", "r.json", "--report", "r.xlsx")
    assert made.exit_code == 0, made.output
    assert journal.is_file()
    run_id = json.loads(Path("r.json").read_text(encoding="utf-8"))["summary"]["run_id"]
    undone = invoke("undo", run_id, "--json", "u.json", "--report", "u.xlsx")
    assert undone.exit_code == 0, undone.output
    summary = json.loads(Path("u.json").read_text(encoding="utf-8"))["summary"]
    assert summary["counts"]["deleted"] == 2 and summary["batch_size"] == 1
    checked = invoke("doctor", "--json")  # the site comes from the file too
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["target"] == f"demo: {site_path}"


def test_demo_latency_comes_from_the_environment_object(
    site_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importer.site.demo.provider import DemoSite

    monkeypatch.setenv("CMASSOC_DEMO_LATENCY", "5")
    site = DemoSite(site_path)  # the site itself never looks at the environment
    assert site.latency == 0
    site.close()
    monkeypatch.setenv("CMASSOC_DEMO_LATENCY", "soon")
    bad = invoke("run", ROOT / "samples" / "wave-03.csv", "--demo", site_path, "--dry-run")
    assert bad.exit_code == 2
    assert "CMASSOC_DEMO_LATENCY='soon'" in bad.output


def test_every_package_is_installed_by_a_normal_install() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["packages"]["find"]["include"] == ["importer*"]
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in PACKAGE.rglob("__init__.py")}
    folders = {
        ".".join(d.relative_to(ROOT).parts) for d in [PACKAGE, *PACKAGE.rglob("*")] if any(d.glob("*.py"))
    }
    assert folders == found  # a folder of modules without __init__.py would not be installed
