"""The PowerShell the project ships must parse (no PowerShell runs on this machine)."""

from __future__ import annotations

import base64

import pytest
import tree_sitter
import tree_sitter_powershell

from importer.site.winrm.shell import bootstrap_script, encoded_command, powershell_arguments

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def syntax_errors(source: str) -> list[tuple[int, str]]:
    tree = PARSER.parse(source.encode("utf-8"))
    found: list[tuple[int, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append((node.start_point[0] + 1, (node.text or b"").decode("utf-8", "replace")[:60]))
        stack.extend(node.children)
    return found


def test_the_parser_can_fail() -> None:
    assert syntax_errors("function f( { $x = ")


@pytest.mark.parametrize("form", ["file", "encoded"])
def test_bootstrap_parses(form: str) -> None:
    source = bootstrap_script()
    if form == "encoded":
        source = base64.b64decode(encoded_command()).decode("utf-16-le")
    assert syntax_errors(source) == []


def test_encoded_command_fits_a_command_line() -> None:
    # CreateProcess allows 32,767 characters; WinRS without cmd.exe passes it whole.
    assert len(" ".join(["powershell.exe", *powershell_arguments()])) < 32_000


def test_bootstrap_never_evaluates_request_text() -> None:
    source = bootstrap_script()
    for dangerous in ("Invoke-Expression", "iex ", "ScriptBlock]::Create", "Add-Type -TypeDefinition", "& $"):
        assert dangerous not in source


def test_bootstrap_does_not_assign_automatic_variables() -> None:
    # $input, $args, $_ and friends are PowerShell's own (names are case-insensitive):
    # assigning them silently misbehaves. `$null = ...` is the idiom for discarding output.
    import re

    automatic = {"input", "args", "_", "this", "matches", "error", "host", "pid", "home", "true", "false"}
    assigned = {name.lower() for name in re.findall(r"\$([A-Za-z_]+)\s*=[^=]", bootstrap_script())}
    assert "escaped" in assigned  # the pattern sees assignments
    assert not assigned & automatic


def variables(source: str) -> set[str]:
    """Every variable the PowerShell parser sees, lower-cased, without $ or a scope prefix."""
    tree = PARSER.parse(source.encode("utf-8"))
    found: set[str] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "variable":
            name = (node.text or b"").decode("utf-8").lstrip("$@").lower()
            found.add(name.split(":", 1)[-1])
        stack.extend(node.children)
    return found


def test_bootstrap_never_reads_the_input_automatic_variable() -> None:
    # Naming it anywhere makes powershell.exe read stdin into the pipeline itself, racing the
    # script's own [Console]::In.ReadLine() for the batches (ConsoleHost: IsUsingDollarInput).
    assert "input" in variables("$Input | Out-Null")  # the check can fail
    assert "input" not in variables(bootstrap_script())
    assert "inparams" in variables(bootstrap_script())  # names that merely start with it are fine


def test_bootstrap_guards_the_51_array_quirk_and_refuses_constrained_language() -> None:
    source = bootstrap_script()
    assert "Remove-TypeData System.Array" in source
    lines = [ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert lines[0].startswith("if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage')")
    assert "DeflateStream" not in source and "Compression" not in source


def test_powershell_is_started_with_only_the_flags_it_needs() -> None:
    arguments = powershell_arguments()
    assert arguments[:-1] == ["-NoProfile", "-NonInteractive", "-EncodedCommand"]
