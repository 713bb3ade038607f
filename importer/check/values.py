"""Cell values other than names and accounts: a migration behaviour, a ResourceID, a MAC
address, an SMBIOS GUID, device collections. Each parser gives the clean value (or None) and
the messages a person needs to fix the cell.
"""

from __future__ import annotations

import re

from importer import messages
from importer.check.names import Parsed, clean_text, quoted, typed_problem
from importer.model import Behavior, Level, Typed


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


_ALL, _SOME, _ONLY = Behavior  # 0, 1, 2
# How people write a migration behaviour, squashed (case, spaces and punctuation removed), and
# where each spelling comes from. A spelling that fits two behaviours is in _AMBIGUOUS instead:
# it is refused with the choices, never guessed.
_BEHAVIOR_SPELLINGS: dict[str, Behavior] = {
    # SMS_StateMigration.MigrationBehavior, its values and their enumeration names
    # (/work/shared/reference/sms_statemigration-class.md; our own enum's names squash the same)
    "0": _ALL,
    "1": _SOME,
    "2": _ONLY,
    "captureandrestoreall": _ALL,
    "captureallrestorespecified": _SOME,
    "captureandrestorespecified": _ONLY,
    # New-CMComputerAssociation -MigrationBehavior's accepted values (sccm-docs-powershell-ref
    # New-CMComputerAssociation.md) squash to the console's labels on the User Accounts tab of
    # Create Computer Association (memdocs osd/get-started/manage-user-state.md):
    # "Capture and restore all user accounts", "Capture all user accounts and restore specified
    # accounts", "Capture and restore specified user accounts" (the console's default).
    "captureandrestorealluseraccounts": _ALL,
    "capturealluseraccountsandrestorespecifiedaccounts": _SOME,
    "captureandrestorespecifieduseraccounts": _ONLY,
    # The same labels as teams shorten them.
    "captureandrestoreallusers": _ALL,
    "captureallandrestorespecified": _SOME,
    "captureallusersandrestorespecifiedusers": _SOME,
    "captureandrestorespecifiedusers": _ONLY,
    # "All users" moves every user, which only 0 does (1 restores only the specified accounts).
    "allusers": _ALL,
    "alluseraccounts": _ALL,
    # "Specified users" is the console's own wording for 2, its default ("...specified user
    # accounts"); 1's label says "restore specified accounts" and is spelled out above.
    "specifiedusers": _ONLY,
    "specifieduseraccounts": _ONLY,
}
# Words that fit two behaviours. 0 and 1 both capture all accounts, so "all" or "capture all"
# (how 1's WMI name and console label begin) does not say which; 1 and 2 both restore the
# specified accounts, so "specified" or "restore specified" does not either.
_AMBIGUOUS: dict[str, tuple[Behavior, Behavior]] = {
    "all": (_ALL, _SOME),
    "captureall": (_ALL, _SOME),
    "capturealluseraccounts": (_ALL, _SOME),
    "specified": (_SOME, _ONLY),
    "specifiedaccounts": (_SOME, _ONLY),
    "restorespecified": (_SOME, _ONLY),
    "restorespecifiedaccounts": (_SOME, _ONLY),
}
# "0 - All users", "2 (capture and restore specified user accounts)", "1: capture all...": a
# number and the words for it, as a team's drop-down or our own report writes them.
_NUMBER_AND_WORDS = re.compile(r"([0-9])\s*(?:[-\u2013\u2014:=.]|\(|\s)\s*(.*?)\)?")


def _number_and_words(text: str) -> tuple[Behavior, str] | None:
    both = _NUMBER_AND_WORDS.fullmatch(text.strip())
    if both is None or both.group(1) not in _BEHAVIOR_SPELLINGS:
        return None
    return _BEHAVIOR_SPELLINGS[both.group(1)], both.group(2)


def behavior_reading(text: str) -> Behavior | tuple[Behavior, ...] | None:
    """What a cell says as a behaviour: one, the behaviours it could mean (two, or none when a
    number and its words disagree), or None when it is no behaviour at all."""
    key = _squash(text)
    if not key or key.isdigit():  # "-1", "2.5", "02": a number, but not 0, 1 or 2 as such
        return _BEHAVIOR_SPELLINGS.get(text.strip())
    if key in _BEHAVIOR_SPELLINGS:
        return _BEHAVIOR_SPELLINGS[key]
    if key in _AMBIGUOUS:
        return _AMBIGUOUS[key]
    split = _number_and_words(text)
    if split is None:
        return None
    number, words = split
    said = None if _squash(words).isdigit() else behavior_reading(words)
    if said is None or said is number or (isinstance(said, tuple) and number in said):
        return number  # the words agree with the number, or are a team's own ("2 - default")
    return ()


def says_behavior_in_words(text: str) -> bool:
    """Whether a cell names a behaviour in words (alone or after its number), as only a
    behaviour column does: "1 - window seat" does not, "0 - All users" does."""
    key = _squash(text)
    if not key or key.isdigit():
        return False
    if key in _BEHAVIOR_SPELLINGS or key in _AMBIGUOUS:
        return True
    split = _number_and_words(text)
    return split is not None and says_behavior_in_words(split[1])


def _choices(behaviors: tuple[Behavior, ...]) -> str:
    return " or ".join(f"{int(b)} ({b.label.split('(', 1)[1].rstrip(')')})" for b in behaviors)


def parse_behavior(text: str, column: str | None) -> Parsed[Behavior]:
    typed = typed_problem(text, "a migration behaviour", column)
    if typed is not None and isinstance(text, Typed) and text.kind != "number":  # 2.5: see below
        return Parsed(None, [typed])
    plain = _BEHAVIOR_DIGITS.get(text)
    if plain is not None:
        return Parsed(plain)
    out: Parsed[Behavior] = Parsed(None)
    raw = quoted(clean_text(text, column, out.messages))
    reading = behavior_reading(raw)
    if isinstance(reading, Behavior):
        out.value = reading
    elif reading:
        out.add(
            Level.ERROR,
            f"'{raw}' could mean {_choices(reading)}: write the number or the whole name",
            column,
            code=messages.BEHAVIOR_AMBIGUOUS,
        )
    elif reading is not None:
        split = _number_and_words(raw)
        assert split is not None  # only a number and its words disagree
        number, words = split
        said = behavior_reading(words)
        meant = _choices(said) if isinstance(said, tuple) else _choices((said,)) if said is not None else ""
        out.add(
            Level.ERROR,
            f"'{raw}': the number says {_choices((number,))} but '{words}' says {meant}: correct one of them",
            column,
            code=messages.BEHAVIOR_CONTRADICTS,
        )
    else:
        out.add(
            Level.ERROR,
            f"'{raw}' is not a migration behaviour: use 0 (capture and restore all), "
            "1 (capture all, restore specified) or 2 (capture and restore specified), "
            "or the console or New-CMComputerAssociation names",
            column,
            code=messages.BEHAVIOR_UNKNOWN,
        )
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
        )
        return out
    octets = [int(g, 16) for g in match.groups()]
    value = ":".join(f"{o:02X}" for o in octets)
    if not any(octets):
        out.add(Level.ERROR, f"{value} is the all-zero MAC address, which no network card has", column)
    elif all(o == 0xFF for o in octets):
        out.add(Level.ERROR, f"{value} is the broadcast address, not a network card's", column)
    elif octets[0] & 1:
        out.add(Level.ERROR, f"{value} is a multicast address (odd first byte), not a network card's", column)
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
        )
        return out
    value = "-".join(match.groups()).upper()
    if set(value) <= {"0", "-"} or set(value) <= {"F", "-"}:
        out.add(Level.ERROR, f"{value} is a placeholder GUID, not a computer's", column)
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
