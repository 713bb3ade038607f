"""Cell values other than names and accounts: a migration behaviour, a ResourceID, a MAC
address, an SMBIOS GUID, device collections. Each parser gives the clean value (or None) and
the messages a person needs to fix the cell.
"""

from __future__ import annotations

import re

from importer import messages as M
from importer.check.names import Parsed, clean_text, quoted, typed_problem
from importer.model import Behavior, Level, Typed


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


_BEHAVIOR_NAMES: dict[str, Behavior] = {}
for _b in Behavior:
    for _alias in (str(_b.value), _b.name, _b.cmdlet_name, _b.label.split("(", 1)[1].rstrip(")")):
        _BEHAVIOR_NAMES[_squash(_alias)] = _b
_BEHAVIOR_NAMES.update(
    {
        "captureandrestoreall": Behavior.CAPTURE_AND_RESTORE_ALL,
        "captureallrestorespecified": Behavior.CAPTURE_ALL_RESTORE_SPECIFIED,
        "captureandrestorespecified": Behavior.CAPTURE_AND_RESTORE_SPECIFIED,
        "all": Behavior.CAPTURE_AND_RESTORE_ALL,
    }
)


def parse_behavior(text: str, column: str | None) -> Parsed[Behavior]:
    typed = typed_problem(text, "a migration behaviour", column)
    if typed is not None and isinstance(text, Typed) and text.kind != "number":  # 2.5: see below
        return Parsed(None, [typed])
    plain = _BEHAVIOR_DIGITS.get(text)
    if plain is not None:
        return Parsed(plain)
    out: Parsed[Behavior] = Parsed(None)
    raw = quoted(clean_text(text, column, out.messages))
    if re.fullmatch(r"[0-9]+", raw):
        behavior = _BEHAVIOR_NAMES.get(raw)
    elif re.search(r"[0-9]", raw):
        behavior = None  # "-1", "2.5": a number that is not 0, 1 or 2
    else:
        behavior = _BEHAVIOR_NAMES.get(_squash(raw))
    if behavior is None:
        out.add(
            Level.ERROR,
            f"'{raw}' is not a migration behaviour: use 0 (capture and restore all), "
            "1 (capture all, restore specified) or 2 (capture and restore specified), "
            "or the console or New-CMComputerAssociation names",
            column,
        )
        return out
    out.value = behavior
    return out


_BEHAVIOR_DIGITS = {str(b.value): b for b in Behavior}


def parse_resource_id(text: str, column: str) -> Parsed[int]:
    typed = typed_problem(text, "a ResourceID", column)
    if typed is not None:
        return Parsed(None, [typed])
    out: Parsed[int] = Parsed(None)
    raw = quoted(clean_text(text, column, out.messages).removesuffix(".0"))
    if not raw.isdigit() or not 0 < int(raw) < 2**32:
        out.add(
            Level.ERROR,
            f"'{raw}' is not a ResourceID (a whole number above 0): "
            "leave the cell empty to look the computer up by name",
            column,
            code=M.RESOURCE_ID_INVALID,
        )
        return out
    out.value = int(raw)
    return out


_MAC_FORMS = (
    re.compile(
        r"^([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})[:-]([0-9A-Fa-f]{2})$"
    ),
    re.compile(
        r"^([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})$"
    ),
    re.compile(
        r"^([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})\.([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})\.([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})$"
    ),
)

_GUID = re.compile(
    r"^\{?([0-9A-Fa-f]{8})-?([0-9A-Fa-f]{4})-?([0-9A-Fa-f]{4})-?([0-9A-Fa-f]{4})-?([0-9A-Fa-f]{12})\}?$"
)

COLLECTION_ID = re.compile(r"^[A-Za-z0-9]{3}[0-9A-Fa-f]{5}$")


def parse_mac(text: str, column: str) -> Parsed[str]:
    """A MAC address in any common form, as ConfigMgr's import wants it: 00:11:22:33:44:55."""
    typed = typed_problem(text, "a MAC address", column)
    if typed is not None:
        return Parsed(None, [typed])
    out: Parsed[str] = Parsed(None)
    raw = clean_text(text, column, out.messages)
    match = next((m for m in (form.match(raw) for form in _MAC_FORMS) if m), None)
    if match is None:
        out.add(
            Level.ERROR,
            f"'{quoted(raw)}' is not a MAC address: write six pairs of hex digits, e.g. 00:15:5D:0A:1B:2C",
            column,
            code=M.MAC_INVALID,
        )
        return out
    octets = [int(g, 16) for g in match.groups()]
    value = ":".join(f"{o:02X}" for o in octets)
    if not any(octets):
        out.add(
            Level.ERROR,
            f"{value} is the all-zero MAC address, which no network card has",
            column,
            code=M.MAC_ALL_ZERO,
        )
    elif all(o == 0xFF for o in octets):
        out.add(
            Level.ERROR,
            f"{value} is the broadcast address, not a network card's",
            column,
            code=M.MAC_BROADCAST,
        )
    elif octets[0] & 1:
        out.add(
            Level.ERROR,
            f"{value} is a multicast address (odd first byte), not a network card's",
            column,
            code=M.MAC_MULTICAST,
        )
    else:
        out.value = value
    return out


def parse_smbios_guid(text: str, column: str) -> Parsed[str]:
    """An SMBIOS GUID with or without braces and hyphens, any case: upper case 8-4-4-4-12."""
    typed = typed_problem(text, "an SMBIOS GUID", column)
    if typed is not None:
        return Parsed(None, [typed])
    out: Parsed[str] = Parsed(None)
    raw = clean_text(text, column, out.messages)
    match = _GUID.match(raw)
    if match is None:
        out.add(
            Level.ERROR,
            f"'{quoted(raw)}' is not an SMBIOS GUID: 32 hex digits, "
            "e.g. 4C4C4544-0042-3510-8052-B8C04F4C4B32",
            column,
            code=M.GUID_INVALID,
        )
        return out
    value = "-".join(match.groups()).upper()
    if set(value) <= {"0", "-"} or set(value) <= {"F", "-"}:
        out.add(
            Level.ERROR, f"{value} is a placeholder GUID, not a computer's", column, code=M.GUID_PLACEHOLDER
        )
        return out
    out.value = value
    return out


def parse_collections(text: str, column: str | None) -> Parsed[list[str]]:
    """Collection IDs (ABC00012) or names, separated by ; or new lines."""
    typed = typed_problem(text, "a collection", column)
    if typed is not None:
        return Parsed(None, [typed])
    out: Parsed[list[str]] = Parsed([])
    seen: dict[str, str] = {}
    for part in re.split(r"[;\r\n]+", text):
        part = clean_text(part, column, out.messages)
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part.upper() if COLLECTION_ID.match(part) else part
    out.value = list(seen.values())
    return out
