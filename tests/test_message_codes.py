"""Every message has a stable code from the one catalog (importer/messages.py): the catalog is
complete and documented, every code is used, and no message is made without one.

The calls are found in the source (an AST scan of importer/), so a message added without a
code fails here before any run could show it uncoded."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from importer import errors, messages
from importer.messages import CATALOG, Code, Notice, catalog_markdown, notice_dict, notice_line
from importer.model import Level, Message
from tests.support.helpers import ROOT

PACKAGE = ROOT / "importer"
# Files a change may leave uncoded while another codes them (none now).
NOT_YET: set[str] = set()
NOT_YET_FUNCTIONS: set[tuple[str, str]] = set()


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name != "messages.py":
            yield name, ast.parse(path.read_text(encoding="utf-8"))


def _calls(tree: ast.Module) -> Iterator[tuple[str, ast.Call]]:
    """Every call with the name of the function (or method) it sits in."""

    def walk(node: ast.AST, where: str) -> Iterator[tuple[str, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inside = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else where
            if isinstance(child, ast.Call):
                yield where, child
            yield from walk(child, inside)

    yield from walk(tree, "")


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _coded(call: ast.Call, position: int | None = None) -> bool:
    """A `code=` keyword that is not the constant None (or, for a class that takes its code
    positionally, an argument at that place)."""
    if position is not None and len(call.args) > position:
        return True
    return any(
        k.arg == "code" and not (isinstance(k.value, ast.Constant) and k.value.value is None)
        for k in call.keywords
    )


def _error_classes() -> dict[str, int | None]:
    """ImporterError and every subclass defined in importer/, by name: where each takes `code`
    positionally (an index after self), None where only as a keyword."""
    classes: dict[str, int | None] = {"ImporterError": None}
    defined = [n for _, tree in _sources() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in defined:
            if node.name not in classes and any(_name(b) in classes for b in node.bases):
                inits = [f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"]
                names = [a.arg for a in inits[0].args.args[1:]] if inits else []
                classes[node.name] = names.index("code") if "code" in names else None
                grew = True
    return classes


def _exempt(file: str, function: str) -> bool:
    return file in NOT_YET or (file, function) in NOT_YET_FUNCTIONS


def _uncoded(kind: str) -> list[str]:
    """Where a message of this kind is made without a code: file:line."""
    error_classes = _error_classes()
    found = []
    for file, tree in _sources():
        for function, call in _calls(tree):
            name = _name(call.func)
            first = call.args[0] if call.args else None
            if kind == "error":
                wanted = name in error_classes
            elif kind == "message":
                wanted = name == "Message"
            else:  # RowResult.add/fail and Parsed.add: a Level (or a Status) comes first
                wanted = (
                    name in ("add", "fail")
                    and isinstance(first, ast.Attribute)
                    and isinstance(first.value, ast.Name)
                    and first.value.id in ("Level", "Status")
                )
            position = error_classes.get(name) if kind == "error" else None
            if wanted and not _coded(call, position) and not _exempt(file, function):
                found.append(f"{file}:{call.lineno}")
    return found


@pytest.mark.parametrize("kind", ["error", "message", "row message"])
def test_every_message_is_made_with_a_code(kind: str) -> None:
    assert _uncoded(kind) == []


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scan is not vacuous: it sees the calls it checks, and an uncoded one fails it."""
    counted = {"error": 0, "message": 0}
    classes = _error_classes()
    for _file, tree in _sources():
        for _function, call in _calls(tree):
            if _name(call.func) in classes:
                counted["error"] += 1
            elif _name(call.func) == "Message":
                counted["message"] += 1
    assert counted["error"] > 150 and counted["message"] >= 5
    bare = ast.parse("raise InputError('no code')\nrow.add(Level.NOTE, 'x', code=None)")
    calls = [c for _, c in _calls(bare)]
    assert [_coded(c) for c in calls] == [False, False]


def test_notices_are_coded() -> None:
    """A line about the whole input or run (wave.notes, announce, warn) is a Notice."""
    found = []
    for file, tree in _sources():
        for function, call in _calls(tree):
            name = _name(call.func)
            notes = (
                name == "append"
                and isinstance(call.func, ast.Attribute)
                and _name(call.func.value) == "notes"
            )
            if not (notes or name in ("announce", "_announce", "warn")) or _exempt(file, function):
                continue
            [arg] = call.args
            passed_on = isinstance(arg, ast.Name)  # a notice made elsewhere, handed along
            if not passed_on and not (isinstance(arg, ast.Call) and _name(arg.func) == "Notice"):
                found.append(f"{file}:{call.lineno}")
    assert found == []


def test_click_errors_carry_codes() -> None:
    """The command line's own one-line errors come from cli/output.py's coded helpers."""
    found = [
        f"{file}:{call.lineno}"
        for file, tree in _sources()
        for _function, call in _calls(tree)
        if _name(call.func) in ("UsageError", "BadParameter", "ClickException") and file != "cli/output.py"
    ]
    assert found == []


def test_the_catalog_is_documented_and_every_entry_says_what_to_do() -> None:
    assert len(CATALOG) > 200
    for code, entry in CATALOG.items():
        assert re.fullmatch(r"CMA[0-9]{3}", code) and entry.code == code
        assert entry.title and not entry.title.endswith("."), code
        assert len(entry.meaning) >= 20 and entry.meaning.endswith("."), code
        assert entry.action and entry.action.endswith("."), code


def test_every_code_is_one_constant_of_the_catalog() -> None:
    """A constant defined twice would leave a catalog entry nothing can name."""
    constants = {name: value for name, value in vars(messages).items() if isinstance(value, Code)}
    assert sorted(id(c) for c in constants.values()) == sorted(id(c) for c in CATALOG.values())
    assert all(name.isupper() for name in constants)


def test_every_code_is_used() -> None:
    """Each catalog constant is named somewhere in importer/ (as messages.X, M.X, or imported)."""
    used: set[str] = set()
    for _file, tree in _sources():
        aliases = {"messages"}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "importer":
                aliases |= {a.asname or a.name for a in node.names if a.name == "messages"}
            if isinstance(node, ast.ImportFrom) and node.module == "importer.messages":
                used |= {a.name for a in node.names}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                used.add(node.attr)
    constants = {name for name, value in vars(messages).items() if isinstance(value, Code)}
    assert sorted(constants - used) == []


def test_docs_messages_is_the_catalog() -> None:
    """docs/messages.md is generated: python -m importer.messages > docs/messages.md"""
    text = (ROOT / "docs" / "messages.md").read_text(encoding="utf-8")
    assert text == catalog_markdown()
    assert [m for m in re.findall(r"^## (CMA[0-9]{3}):", text, re.M)] == sorted(CATALOG)


def test_a_message_shows_its_code_and_needs_one() -> None:
    said = Message(Level.ERROR, "is empty: type the computer name", "Source", code=messages.NAME_EMPTY)
    assert said.render() == "ERROR CMA110 Source: is empty: type the computer name"
    assert said.as_dict() == {
        "level": "error",
        "code": "CMA110",
        "column": "Source",
        "text": "is empty: type the computer name",
    }
    with pytest.raises(TypeError):
        Message(Level.ERROR, "no code")  # type: ignore[call-arg]


def test_a_notice_is_its_text_and_carries_its_code() -> None:
    note = Notice(messages.SHEET_SKIPPED, "sheet 'Notes' skipped: no header")
    warning = Notice(messages.TLS_UNCHECKED, "WARNING: the server's certificate is not checked")
    assert note == "sheet 'Notes' skipped: no header" and note.code is messages.SHEET_SKIPPED
    assert notice_dict(note) == {
        "code": "CMA203",
        "level": "note",
        "text": "sheet 'Notes' skipped: no header",
    }
    assert notice_dict(warning) == {
        "code": "CMA704",
        "level": "warning",
        "text": "the server's certificate is not checked",
    }
    assert notice_line(warning) == "CMA704 WARNING: the server's certificate is not checked"
    assert notice_line(note) == "CMA203 sheet 'Notes' skipped: no header"
    # an uncoded line (an older reader's, or one nobody coded) still reads, and shows as it is
    assert notice_dict("a plain line") == {"code": None, "level": "note", "text": "a plain line"}
    assert notice_line("WARNING: a plain line") == "WARNING: a plain line"


def test_an_error_shows_its_code() -> None:
    exc = errors.InputError(
        "the run journal 'x.db' does not exist.", "Give it.", code=messages.JOURNAL_MISSING
    )
    assert exc.coded() == "CMA254 the run journal 'x.db' does not exist. Give it."
    assert str(exc) == "the run journal 'x.db' does not exist. Give it."


def test_the_catalog_module_stays_a_leaf() -> None:
    """The catalog imports nothing of the project: any module may name a code."""
    tree = ast.parse((PACKAGE / "messages.py").read_text(encoding="utf-8"))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not any(name.startswith("importer") for name in imported)


def test_the_exempt_files_exist() -> None:
    for file in NOT_YET | {f for f, _ in NOT_YET_FUNCTIONS}:
        assert Path(PACKAGE / file).is_file(), file


def test_every_code_sits_under_its_range() -> None:
    """The catalog is grouped by the range markers ("# --- CMA100-199: cells"): each code under
    the marker of its range, in order, so parallel changes add theirs in their own place."""
    low = high = -1
    seen: list[int] = []
    for line in (PACKAGE / "messages.py").read_text(encoding="utf-8").splitlines():
        marker = re.match(r"# --- CMA([0-9]{3})-([0-9]{3}):", line)
        if marker:
            low, high = int(marker.group(1)), int(marker.group(2))
            continue
        code = re.match(r'\s+"CMA([0-9]{3})",', line)
        if code:
            number = int(code.group(1))
            assert low <= number <= high, f"CMA{number:03d} is not under its range's marker"
            seen.append(number)
    assert seen == sorted(seen) and len(seen) == len(CATALOG)
