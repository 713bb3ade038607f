"""Every message the tool gives has a stable code (CMA and three digits) from this one catalog.

Reports, JSON, the console and the web show the code beside the words, so a team can look a
message up in docs/messages.md (generated from this catalog: `python -m importer.messages`)
and tests can assert codes instead of wording, which may improve without breaking anyone.

Codes are grouped by where they arise; a code is never reused for another meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CATALOG", "Code", "Notice", "catalog_markdown"]


@dataclass(frozen=True)
class Code:
    """One message kind: its code, a short title, what it means and what to do about it."""

    code: str
    title: str
    meaning: str
    action: str

    def __str__(self) -> str:
        return self.code


CATALOG: dict[str, Code] = {}


def _code(code: str, title: str, meaning: str, action: str) -> Code:
    if not re.fullmatch(r"CMA[0-9]{3}", code) or code in CATALOG:
        raise ValueError(f"message code {code} is malformed or taken")
    CATALOG[code] = entry = Code(code, title, meaning, action)
    return entry


class Notice(str):
    """A line about the whole input or run (a sheet skipped, a column not read...): compares and
    serialises as its text, and carries its code."""

    code: Code

    def __new__(cls, code: Code, text: str) -> Notice:
        obj = super().__new__(cls, text)
        obj.code = code
        return obj

    def __reduce__(self) -> tuple[type[Notice], tuple[Code, str]]:
        return (Notice, (self.code, str(self)))


# --- CMA000-059: reading files and sheets -------------------------------------------------

# --- CMA060-099: what a file is, recognised by its content ---------------------------------

# --- CMA100-199: cells (names, accounts, behaviours, values) -------------------------------

# --- CMA200-299: rows and sheets as a whole, the site (resolve, plan, apply) ---------------

# --- CMA300-329: columns (headers, columns not read) ---------------------------------------

# --- CMA330-349: rows that are not pairs (totals, group headings, notes) -------------------

# --- CMA350-399: run notices and summaries --------------------------------------------------

# --- CMA500-549: readiness and collections ---
READY_NO_CLIENT = _code(
    "CMA500",
    "the old computer has no client",
    "The source computer has no ConfigMgr client, so the task sequence that captures its user "
    "state cannot run on it.",
    "Install or repair the client before the refresh, or leave the pair out of this wave.",
)
READY_INACTIVE = _code(
    "CMA501",
    "the old computer's client is inactive",
    "The source computer's client has not been active for --inactive-days (by "
    "SMS_CombinedDeviceResources.LastActiveTime), or the site marks it inactive "
    "(ClientActiveStatus 0): its capture will not run until the client is back.",
    "Check the computer is on and its client healthy; or raise --inactive-days if the threshold is "
    "too strict for this wave.",
)
READY_OTHER_SITE = _code(
    "CMA502",
    "a computer belongs to another site",
    "The computer's client is assigned to another primary site (SMS_R_System.SMSAssignedSites) "
    "than the one cmassoc talks to. Associations are site-specific and do not replicate, so the "
    "task sequence running on that site will not find this one.",
    "Make the association on the site the computer is assigned to (its SMS Provider and site code), "
    "or reassign the client.",
)
READY_USER_NEVER_SEEN = _code(
    "CMA503",
    "a listed user was never seen on the old computer",
    "With behaviour 1 or 2 only the listed users are captured or restored; this one is neither "
    "among the old computer's primary users nor its last logon user, so there may be nothing of "
    "that account to capture.",
    "Check the user name and the computer; a user who really works there can stay.",
)
READY_NO_SMP = _code(
    "CMA504",
    "the site has no state migration point",
    "No state migration point is configured on the site: a side-by-side capture has nowhere to "
    "store the user state.",
    "Add the state migration point role before the refresh (Administration > Servers and Site System Roles).",
)
READY_SMP_RESTORE_ONLY = _code(
    "CMA505",
    "every state migration point is in restore-only mode",
    "Every state migration point of the site has restore-only mode on (SMPQuiesceState = 1): "
    "stored states can be restored, but no new capture is accepted.",
    "Turn restore-only mode off on at least one state migration point before the refresh.",
)
READY_SMP_UNKNOWN = _code(
    "CMA506",
    "state migration points could not be read",
    "The account cannot read the site control file (SMS_SCI_SysResUse), so whether the site has "
    "a state migration point that accepts captures is unknown (not 'no').",
    "Check the state migration points in the console, or give the account read access to the "
    "site's configuration.",
)
READY_SMP_OK = _code(
    "CMA507",
    "state migration points accept captures",
    "The site has a state migration point that accepts new captures; its deletion delay says how "
    "long a restored state is kept.",
    "Nothing.",
)
READY_NOT_READ = _code(
    "CMA508",
    "some readiness facts could not be read",
    "A class readiness reads (client activity, assigned sites, primary users) could not be read, "
    "so the warnings that depend on it are missing, not all clear.",
    "Check the account's rights to read that class, or check those facts in the console.",
)
READY_REFUSED = _code(
    "CMA509",
    "not ready: refused (--strict-readiness)",
    "With --strict-readiness a pair with a readiness warning is not created.",
    "Fix what the warnings say and run the sheet again, or run without --strict-readiness.",
)
COPY_OUTSIDE_LIMIT = _code(
    "CMA510",
    "a collection's limiting collection does not hold the new computer",
    "The old computer is a direct member of a collection whose limiting collection does not hold "
    "the new computer: a direct rule would not make it a member, so it was not copied.",
    "Run the same sheet again once the new computer is in the limiting collection: what was copied "
    "is not copied twice.",
)
COPY_PENDING_EVALUATION = _code(
    "CMA511",
    "pending evaluation: the new computer is imported by this run",
    "The new computer is imported by this run, so it cannot be in a limiting collection other than "
    "All Systems until ConfigMgr evaluates that collection: the rule was not copied.",
    "Run the same sheet again after the collection's next evaluation.",
)
COPY_REF_UNUSED = _code(
    "CMA512",
    "a --skip-collection or --include-collection matched nothing",
    "No old computer of the wave is a direct member of the collection named, so the option changed nothing.",
    "Check the collection's name or ID.",
)
COPY_SKIP_LIST = _code(
    "CMA513",
    "skip_collections in the config file is not a list of names",
    "The config file's skip_collections must be a list of collection names or IDs (strings).",
    'Write it as skip_collections = ["Legacy VPN Client", "ABC00042"].',
)

# --- CMA600-699: options and commands -------------------------------------------------------

# --- CMA700-799: the site connection --------------------------------------------------------


def catalog_markdown() -> str:
    """docs/messages.md: every code, what it means and what to do."""
    lines = [
        "# Messages",
        "",
        "Every message cmassoc gives carries a code. Generated from `importer/messages.py` by",
        "`python -m importer.messages > docs/messages.md`; a test keeps the two equal.",
        "",
    ]
    for entry in sorted(CATALOG.values(), key=lambda c: c.code):
        lines += [
            f"## {entry.code}: {entry.title}",
            "",
            entry.meaning,
            "",
            f"**What to do:** {entry.action}",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(catalog_markdown(), end="")
