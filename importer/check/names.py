"""Cell-level rules: computer names, user accounts and migration behaviours.

Each parser returns the clean value (or None) and the messages a person needs to
fix the cell. They never raise on bad input: bad input is data here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Generic, TypeVar

from importer.messages import Code
from importer.model import Level, Message, Typed
from importer.model.text import quoted as quoted  # one way to quote a cell in a message, for every stage

# Characters Windows forbids in computer (NetBIOS) names, and space, which
# Windows setup refuses too.
_NETBIOS_FORBIDDEN = set('\\/:*?"<>|, ')
_DNS_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_ODD_SPACES = {"\u00a0", "\u2007", "\u202f", "\u3000", "\u2002", "\u2003", "\u2009"}
# Forbidden in sAMAccountName (pre-Windows 2000 logon name).
_SAM_FORBIDDEN = set('"/\\[]:;|=,+*?<>')
_NETBIOS_MAX = 15
_SAM_MAX = 20


T = TypeVar("T")


class Parsed(Generic[T]):
    """A parsed value (None if unusable) and what a person should know about the cell."""

    __slots__ = ("messages", "value")

    def __init__(self, value: T | None, messages: list[Message] | None = None) -> None:
        self.value = value
        self.messages: list[Message] = [] if messages is None else messages

    def add(self, level: Level, text: str, column: str | None, *, code: Code | None = None) -> None:
        self.messages.append(Message(level, text, column, code=code))


_TYPED_WORDS = {
    "number": "a number with a fraction",
    "boolean": "a TRUE/FALSE value",
    "error": "an Excel error value",
    "formula": "a formula that was never calculated",
}
_TYPED_ADVICE = {
    "number": "check that the column holds what its header says",
    "boolean": "check that the column holds what its header says",
    "error": "fix the formula that gives it, or type the value",
    "formula": "the file was written by a program: open it in Excel and save it, or type the value",
}


def typed_problem(text: str, what: str, column: str | None) -> Message | None:
    """An explicit message for a cell that held a number, TRUE/FALSE, an error or an uncalculated
    formula where text was expected; None for ordinary text."""
    if not isinstance(text, Typed):
        return None
    shown = "" if text.kind == "formula" else f"'{text}' "
    return Message(
        Level.ERROR,
        f"{shown}is {_TYPED_WORDS.get(text.kind, 'a typed value')}, not {what}: "
        f"{_TYPED_ADVICE.get(text.kind, 'type the value as text')}",
        column,
    )


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    return f"'{ch}' ({name.lower()})" if ch.isprintable() and not ch.isspace() else name.lower()


def clean_text(text: str, column: str | None, messages: list[Message]) -> str:
    """Strip invisible characters and odd spaces, saying what was removed; "" if unfixable."""
    if text.isascii():  # the invisible and odd characters are all outside ASCII
        return text.strip()
    removed = sorted({ch for ch in text if ch in _ZERO_WIDTH})
    if removed:
        text = "".join(ch for ch in text if ch not in _ZERO_WIDTH)
        shown = ", ".join(_describe(c) for c in removed)
        messages.append(Message(Level.NOTE, f"removed invisible characters ({shown})", column))
    if any(ch in _ODD_SPACES for ch in text):
        stripped = text.strip("".join(_ODD_SPACES) + " \t\r\n")
        if any(ch in _ODD_SPACES for ch in stripped):
            messages.append(
                Message(
                    Level.ERROR,
                    f"'{text.strip()}' contains a non-breaking space inside the value: "
                    "retype it without spaces",
                    column,
                )
            )
            return ""
        messages.append(Message(Level.NOTE, "removed non-breaking spaces around the value", column))
        text = stripped
    return text.strip()


# A plain DNS-safe name of 1-15 characters, not all digits: the common case, settled at once.
# PLAIN_NAME_FORM is its shape alone, for regex engines without look-ahead (Arrow's RE2): a
# name of that shape is plain when it holds a letter.
PLAIN_NAME_FORM = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?"
PLAIN_NAME = re.compile(r"(?=[0-9-]*[A-Za-z])" + PLAIN_NAME_FORM)


def parse_computer_name(text: str, column: str) -> Parsed[str]:
    """A ConfigMgr computer name: NetBIOS rules; an FQDN is reduced to its host part."""
    typed = typed_problem(text, "a computer name", column)
    if typed is not None:
        return Parsed(None, [typed])
    if PLAIN_NAME.fullmatch(text):
        return Parsed(text.upper())
    out: Parsed[str] = Parsed(None)
    if len(text) > 255:  # no name is near this long: say so without quoting it all
        out.add(
            Level.ERROR, f"{quoted(text)} is not a computer name (at most {_NETBIOS_MAX} characters)", column
        )
        return out
    name = clean_text(text, column, out.messages)
    if out.messages and any(m.level is Level.ERROR for m in out.messages):
        return out
    if not name:
        out.add(Level.ERROR, "is empty: type the computer name", column)
        return out
    if "\\" in name:
        out.add(
            Level.ERROR,
            f"'{name}' looks like DOMAIN\\NAME: type only the computer name (part after the \\)",
            column,
        )
        return out
    if "." in name:
        labels = name.split(".")
        if not all(_DNS_LABEL.match(label) for label in labels):
            out.add(
                Level.ERROR,
                f"'{name}' is neither a computer name nor a valid DNS name: "
                "use the computer's name, e.g. PC0042",
                column,
            )
            return out
        host = labels[0]
        out.add(Level.NOTE, f"'{name}' is a DNS name: using its host part '{host}'", column)
        name = host
    if name.endswith("$") and len(name) > 1:
        out.add(
            Level.NOTE,
            f"'{name}' is an Active Directory account name: using '{name[:-1]}'",
            column,
        )
        name = name[:-1]
    bad = sorted({ch for ch in name if ch in _NETBIOS_FORBIDDEN or not ch.isprintable()})
    if bad:
        shown = ", ".join(_describe(c) if c != " " else "space" for c in bad)
        out.add(
            Level.ERROR,
            f"'{name}' contains characters a computer name cannot have ({shown}): "
            "use letters, digits and hyphens",
            column,
        )
        return out
    if name.startswith("."):
        out.add(Level.ERROR, f"'{name}' cannot start with a dot", column)
        return out
    if len(name) > _NETBIOS_MAX:
        out.add(
            Level.ERROR,
            f"'{name}' is {len(name)} characters long; computer names have at most "
            f"{_NETBIOS_MAX}: check for a typo or a missing separator",
            column,
        )
        return out
    if name.isdigit():  # Windows refuses them since Windows 2000 (KB244412): no computer has one
        out.add(
            Level.ERROR,
            f"'{name}' is all digits, which a computer name cannot be: check it is not a row number "
            "or an asset tag",
            column,
        )
        return out
    if not _DNS_LABEL.match(name):
        out.add(
            Level.WARNING,
            f"'{name}' is not a valid DNS host name (only letters, digits and inner hyphens "
            "are); ConfigMgr may know it under another name",
            column,
        )
    out.value = name.upper()
    return out


_USER_SPLIT = re.compile(r"[;,\r\n]+")


# DOMAIN\user with plain characters on both sides: the common case, settled at once.
_PLAIN_USER = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9-]{0,14})\\([A-Za-z0-9_-](?:[A-Za-z0-9._-]{0,18}[A-Za-z0-9_-])?)"
)


def plain_user_pattern() -> str:
    """The plain DOMAIN\\user pattern without its groups, to repeat inside a larger one."""
    return _PLAIN_USER.pattern.replace("(", "(?:").replace("(?:?:", "(?:")


def parse_user(text: str, column: str) -> Parsed[str]:
    """One account as DOMAIN\\user; user@domain.tld is converted with a note."""
    plain = _PLAIN_USER.fullmatch(text)
    if plain:
        return Parsed(f"{plain.group(1).upper()}\\{plain.group(2)}")
    out: Parsed[str] = Parsed(None)
    raw = clean_text(text, column, out.messages)
    if any(m.level is Level.ERROR for m in out.messages):
        return out
    if "@" in raw and "\\" not in raw:
        user, _, domain = raw.rpartition("@")
        netbios = domain.split(".")[0].upper()
        if not user or not domain or not netbios:
            out.add(Level.ERROR, f"'{quoted(raw)}' is not an account: write DOMAIN\\user", column)
            return out
        out.add(
            Level.NOTE,
            f"'{quoted(raw)}' converted to '{netbios}\\{user}' (assumes the NetBIOS domain name is "
            f"{netbios}; write DOMAIN\\user if it differs)",
            column,
        )
        raw = f"{netbios}\\{user}"
    if "\\" not in raw and raw.count("/") == 1:
        turned = raw.replace("/", "\\")
        if _PLAIN_USER.fullmatch(turned):  # DOMAIN/user: the slash the wrong way round
            out.add(
                Level.ERROR,
                f"'{quoted(raw)}': the slash is the wrong way round; write '{quoted(turned)}' (DOMAIN\\user)",
                column,
            )
            return out
    if raw.count("\\") != 1:
        hint = "add the domain" if "\\" not in raw else "use a single backslash"
        out.add(Level.ERROR, f"'{quoted(raw)}' is not DOMAIN\\user: {hint}, e.g. CONTOSO\\jdoe", column)
        return out
    domain, user = (part.strip() for part in raw.split("\\"))
    if not domain or not user:
        out.add(Level.ERROR, f"'{quoted(raw)}' is not DOMAIN\\user: both parts are needed", column)
        return out
    if len(domain) > _NETBIOS_MAX or any(c in _NETBIOS_FORBIDDEN for c in domain):
        out.add(
            Level.ERROR,
            f"'{quoted(domain)}' in '{quoted(raw)}' is not a NetBIOS domain (or computer) name "
            f'(at most {_NETBIOS_MAX} characters, no spaces or \\/:*?"<>|,)',
            column,
        )
        return out
    bad = sorted({c for c in user if c in _SAM_FORBIDDEN or not c.isprintable()})
    if bad or len(user) > _SAM_MAX or user.endswith("."):
        out.add(
            Level.ERROR,
            f"'{quoted(user)}' in '{quoted(raw)}' is not a logon name (at most {_SAM_MAX} characters, "
            "none of "
            '"/\\[]:;|=,+*?<>, not ending in a dot)',
            column,
        )
        return out
    out.value = f"{domain.upper()}\\{user}"
    return out


def parse_users(cells: list[tuple[str, str]]) -> Parsed[list[str]]:
    """All users of one pair, from (text, column) cells; duplicates dropped (case-insensitive)."""
    out: Parsed[list[str]] = Parsed([])
    seen: dict[str, str] = {}
    for text, column in cells:
        typed = typed_problem(text, "a user account", column)
        if typed is not None:
            out.messages.append(typed)
            continue
        for part in _USER_SPLIT.split(text):
            part = part.strip()
            if not part:
                continue
            plain = _PLAIN_USER.fullmatch(part)
            if plain:  # the common case, without a Parsed object per account
                value = f"{plain.group(1).upper()}\\{plain.group(2)}"
            else:
                parsed = parse_user(part, column)
                out.messages.extend(parsed.messages)
                if parsed.value is None:
                    continue
                value = parsed.value
            key = value.casefold()
            if key in seen:
                out.add(Level.NOTE, f"'{part}' is listed twice: kept once", column)
                continue
            seen[key] = value
    out.value = list(seen.values())
    return out
