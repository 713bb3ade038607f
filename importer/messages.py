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

BEHAVIOR_UNKNOWN = _code(
    "CMA300",
    "not a migration behaviour",
    "The cell (or --behavior) is none of the spellings of a migration behaviour: 0, 1, 2, the "
    "New-CMComputerAssociation names, the console's labels or the WMI names.",
    "Write 0 (capture and restore all user accounts), 1 (capture all user accounts and restore "
    "specified accounts) or 2 (capture and restore specified user accounts).",
)
BEHAVIOR_AMBIGUOUS = _code(
    "CMA301",
    "a behaviour that could mean two",
    "The words fit two migration behaviours: 'all' (or 'capture all') is said of both 0 and 1, "
    "'specified' (or 'restore specified') of both 1 and 2. The tool never guesses which.",
    "Write the number, or the whole name of the behaviour the message offers.",
)
BEHAVIOR_CONTRADICTS = _code(
    "CMA302",
    "a behaviour number and words that disagree",
    'The cell gives a number and words ("1 - all users") that name different behaviours.',
    "Correct the number or the words, so both name the behaviour you mean.",
)
HEADER_SAME_FIELD = _code(
    "CMA303",
    "two columns mean the same thing",
    "Two header cells of one sheet name the same field (two source columns, two users columns...).",
    "Delete or rename one of them, or leave one out with --ignore-column.",
)
MAP_NO_COLUMN = _code(
    "CMA304",
    "--map names no column",
    'A --map FIELD="HEADER" gives a header that no column of the sheet\'s header row has.',
    "Give the header exactly as it is written in the sheet.",
)
UNREAD_BEHAVIOR_COLUMN = _code(
    "CMA305",
    "a behaviour column not read",
    "A column the tool does not read holds migration behaviours (or is named like one): every "
    "row would silently use the default behaviour instead. Nothing was done.",
    'Read it as the behaviour: --map Behavior="HEADER"; or say it is something else: '
    '--ignore-column "HEADER". In `cmassoc serve`, choose one of the two on the upload page.',
)
UNREAD_USERS_COLUMN = _code(
    "CMA306",
    "a users column not read",
    "A column the tool does not read holds user accounts (DOMAIN\\user, user@domain) or is named "
    "like users: those users would silently not be migrated. Nothing was done.",
    'Read it as the users: --map Users="HEADER"; or say it is something else: '
    '--ignore-column "HEADER". In `cmassoc serve`, choose one of the two on the upload page.',
)
MIGRATION_TYPE_COLUMN = _code(
    "CMA307",
    "a Migration type column holding 0 to 2",
    "SMS_StateMigration.MigrationType is how the site stored the user state (1 side-by-side, "
    "2 in-place), set by ConfigMgr, not the migration behaviour (0, 1, 2) the association is "
    "created with. A column of that name holding 0 to 2, in a sheet with no behaviour column, "
    "may be either. Nothing was done.",
    'If it is the behaviour: --map Behavior="Migration type"; if it is the site\'s migration type: '
    '--ignore-column "Migration type".',
)
UNREAD_COLUMNS = _code(
    "CMA308",
    "columns not read",
    "The sheet has columns with values that the tool does not read; they are carried into the "
    "report as they are.",
    "Nothing, if they are your own notes. If one of them is a source, destination, users or "
    'behaviour column, say so with --map FIELD="HEADER".',
)
IGNORE_NO_COLUMN = _code(
    "CMA309",
    "--ignore-column names no column",
    "An --ignore-column gives a header that no pairs sheet's header row has.",
    "Give the header exactly as it is written in the sheet (any case).",
)

# --- CMA330-349: rows that are not pairs (totals, group headings, notes) -------------------

ROWS_NOT_PAIRS = _code(
    "CMA330",
    "Rows that are not pairs were skipped",
    "Rows under the header that hold a label (Total, Subtotal, Count, Sum, '12 machines', a group "
    "heading such as 'Finance - 12 machines' or 'IT Services (2)') and otherwise only numbers or "
    "formulas, an Excel table's totals row, and free text under the table after a blank row are "
    "not pairs. They are not read, do not count as rows of the wave and do not make the run need "
    "attention; the notice names each by its sheet and row number.",
    "Nothing, when the rows named are indeed not pairs. A row whose Source and Destination are both "
    "valid computer names is always read as a pair: if a pair was skipped, type both names.",
)
EXAMPLE_ROW_IGNORED = _code(
    "CMA331",
    "The template's example row was ignored",
    "The blank template's example row (EXAMPLE-OLD01 to EXAMPLE-NEW01) was left in the sheet as "
    "it is; it is not a pair and is not read.",
    "Nothing; delete the row or type over it when you fill in the template.",
)

# --- CMA350-399: run notices and summaries --------------------------------------------------

# --- CMA400-449: recovery keys and escrow ---

KEYS_NO_PASSWORD = _code(
    "CMA400",
    "No password for recovery keys",
    "Recovery keys are only ever written encrypted, and no password was given for the workbook: "
    "CMASSOC_KEYS_PASSWORD is not set and there is no terminal to ask in.",
    "Set CMASSOC_KEYS_PASSWORD, or run the command in a terminal to be asked (twice).",
)
KEYS_SHORT_PASSWORD = _code(
    "CMA401",
    "Password too short for recovery keys",
    "The password that encrypts a workbook of recovery keys must have 12 characters or more.",
    "Choose a longer password (a passphrase of a few words is easy to type and hard to guess).",
)
KEYS_NOT_XLSX = _code(
    "CMA402",
    "Recovery keys go to an .xlsx file",
    "`cmassoc keys --out` writes an Excel workbook that Excel opens after asking for its password.",
    "Give --out a file name ending in .xlsx.",
)
KEYS_NOT_READ = _code(
    "CMA403",
    "Recovery keys not read",
    "The pairs or their recovery keys could not be read from the site, so no workbook was written "
    "(a partial list of keys could be mistaken for the whole).",
    "Check the connection to the site (cmassoc doctor) and run the command again.",
)
KEYS_NOT_WRITTEN = _code(
    "CMA404",
    "Recovery keys not written",
    "The encrypted workbook of recovery keys could not be written where it was asked for.",
    "Close the file if Excel has it open, or choose another place for it.",
)
KEYS_ROUTE_MISSING = _code(
    "CMA405",
    "The AdminService offers no recovery keys",
    "This site's AdminService does not offer GetEncryptDecryptKey on an SMS_StateMigration instance "
    "(its $metadata names no such action), so recovery keys cannot be read through it.",
    "Read them over WinRM: the same command with --via winrm.",
)
KEY_READ = _code(
    "CMA410",
    "Recovery key read",
    "The site gave the recovery key of this association (GetEncryptDecryptKey).",
    "Keep the workbook safe: with the key and the store, anyone can restore this user's state.",
)
KEY_NO_ASSOCIATION = _code(
    "CMA411",
    "No association, no key",
    "The pair has no computer association on the site (never made, or deleted), so there is no "
    "recovery key to read.",
    "Nothing to restore from this pair; check the pair with `cmassoc status`.",
)
KEY_NONE_YET = _code(
    "CMA412",
    "No recovery key yet",
    "The association is on the site but the site gave no key for it (GetEncryptDecryptKey returned "
    "no key, or a non-zero value).",
    "Read the keys again after the capture has run; if a captured state still has no key, see "
    "View Recovery Information on the association in the console.",
)
KEY_REFUSED = _code(
    "CMA413",
    "Recovery key refused",
    "The site refused to give this association's key: the account may lack StateMigration.Recover "
    "User State (View Recovery Information) on it, or its security scopes do not cover it.",
    "Run `cmassoc doctor` to see whether the account holds the right; ask for a role that has it.",
)
KEY_NOT_LOOKED_UP = _code(
    "CMA414",
    "Pair not looked up",
    "The row is not a pair of computers on the site (invalid, or a name not found), so its "
    "association and key were not read.",
    "Fix the row (see `cmassoc validate` or `cmassoc status`) and read the keys again.",
)
ESCROW_KEPT = _code(
    "CMA420",
    "Recovery key kept in escrow",
    "Before this association was deleted, its recovery key and store path were written to the "
    "encrypted escrow workbook beside the journal.",
    "Keep the escrow workbook and its password: it is the only copy of the key left.",
)
ESCROW_FAILED = _code(
    "CMA421",
    "Escrow failed: nothing deleted",
    "An association whose user state capture has started was to be deleted, but its recovery key "
    "could not be kept in the encrypted escrow workbook, so nothing was deleted.",
    "Fix what the message names (the password, the folder, the account's right to read keys) and "
    "run the undo again.",
)
ESCROW_NO_KEY = _code(
    "CMA422",
    "No key to keep: kept",
    "The capture of this association has started, but the site gave no recovery key for it to keep "
    "in escrow; deleting it could lose the user's state for good, so it was kept (and nothing was "
    "deleted).",
    "See View Recovery Information on the association in the console; delete it there only once "
    "its state is restored or no longer needed.",
)
ESCROW_WOULD_KEEP = _code(
    "CMA423",
    "Key would be kept in escrow",
    "A dry run: the capture of this association has started, so the undo would first keep its "
    "recovery key and store path in an encrypted escrow workbook.",
    "Have the escrow password ready (CMASSOC_KEYS_PASSWORD, or the prompt) for the real undo.",
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
