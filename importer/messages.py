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

FILE_MISSING = _code(
    "CMA001", "No such file", "The path given names no file.", "Check the path and its spelling."
)
NOT_A_FILE = _code(
    "CMA002",
    "Not a file",
    "The path names a folder or a device, not a file.",
    "Give the path of an .xlsx or .csv file.",
)
UNKNOWN_FILE_TYPE = _code(
    "CMA003",
    "Unknown file type",
    "The file is text, but its name ends in something other than a sheet's (.csv, .txt, .tsv, .xlsx...).",
    "Save the sheet as .xlsx or .csv.",
)
FILE_UNREADABLE = _code(
    "CMA004",
    "File cannot be read",
    "The operating system refused to read the file (permissions, a lock, a disk error).",
    "Close the file in other programs, check its permissions, or copy it somewhere else.",
)
CSV_TOO_WIDE = _code(
    "CMA005",
    "CSV row wider than a sheet",
    "A row of the CSV file has more columns than Excel allows (16,384): the separator or a quote is wrong.",
    "Check the separator and the quotes on that row.",
)
CSV_TOO_MANY_CELLS = _code(
    "CMA006",
    "CSV file too large as a table",
    "Its rows by its widest row's columns make more cells than a wave sheet may have.",
    "Check the separator and the quotes (a wave has a few columns), or split the file.",
)
CSV_BAD_FIELD = _code(
    "CMA007",
    "CSV field too long or unclosed",
    "A field is longer than any cell can be, usually because a quote was opened and never closed.",
    "Check the quotes on that row.",
)
CSV_BAD_BYTES = _code(
    "CMA008",
    "Bytes that are not of the file's encoding",
    "The file was read in the encoding its start shows, and a later byte is not of that encoding.",
    "Save the file again as CSV UTF-8 (Excel: Save As > CSV UTF-8).",
)
CSV_READ_AS = _code(
    "CMA009",
    "How a text file was read",
    "The encoding and the column separator found for a CSV or text file.",
    "Nothing, if the rows look right; otherwise save the file as CSV UTF-8.",
)
READ_TIMEOUT = _code(
    "CMA010",
    "Workbook took too long to read",
    "The workbook's reader did not finish in the time allowed: the file is far larger inside than a wave.",
    "Save the sheet again from Excel with only the wave's cells.",
)
READ_MEMORY = _code(
    "CMA011",
    "Workbook needs more memory than allowed",
    "The workbook's reader ran out of the memory it may use: a sheet's used range reaches far beyond its "
    "cells, or the file unpacks to far more than it says.",
    "In Excel, Ctrl+End shows where the used range ends: delete the stray cells beyond the wave and save "
    "again.",
)
READER_CRASHED = _code(
    "CMA012",
    "The workbook's reader stopped",
    "The reader died on something in the file (not for lack of memory): the file may be damaged, or hold "
    "something the reader cannot handle.",
    "If Excel opens it, save it again as .xlsx and give that file; if not, ask for the file again.",
)
WORKBOOK_UNREADABLE = _code(
    "CMA013",
    "Workbook could not be read",
    "The reader refused the workbook: it may be damaged, or hold a part the reader does not know (a chart "
    "or macro sheet, an unusual layout).",
    "If Excel opens it, save it again as .xlsx and give that file; if not, ask for the file again.",
)
SHEET_BEYOND_EXCEL = _code(
    "CMA014",
    "Sheet larger than Excel allows",
    "A sheet says it spans more rows or columns than Excel itself can hold.",
    "Save the wave as a new .xlsx from Excel.",
)
SHEET_TOO_MANY_CELLS = _code(
    "CMA015",
    "Sheet's used range far beyond the wave",
    "A sheet's used range spans more cells than a wave sheet may have.",
    "In Excel, Ctrl+End shows where it ends: delete the rows and columns beyond the wave, or split it.",
)

# --- CMA060-099: what a file is, recognised by its content ---------------------------------

READ_AS_CONTENT = _code(
    "CMA060",
    "Read as what it is, not as its name says",
    "The file's content is another kind than its name ends in (an .ods named .xlsx, a workbook named "
    ".csv, text named .xls): it was read as what it is.",
    "Nothing; rename the file to match what it is, to avoid surprises in other programs.",
)
EMPTY_FILE = _code(
    "CMA061",
    "Empty file",
    "The file holds no bytes at all: it was not saved completely, or a copy failed.",
    "Save the wave again from Excel and give that file.",
)
ENCRYPTED = _code(
    "CMA062",
    "Workbook encrypted with a password",
    "The workbook is encrypted (Excel's File > Info > Protect Workbook > Encrypt with Password, or "
    "LibreOffice's Save with password): nothing in it can be read without the password.",
    "Open it, save a copy without the password (clear the password under Encrypt with Password) and give "
    "that copy.",
)
RIGHTS_MANAGED = _code(
    "CMA063",
    "Workbook protected by a sensitivity label or rights management",
    "A sensitivity label (Microsoft Purview) or Information Rights Management encrypted the workbook for "
    "named people; only Office signed in as one of them can open it.",
    "Open it in Excel and save a copy as CSV UTF-8, or ask for a label that does not encrypt.",
)
OLD_EXCEL = _code(
    "CMA064",
    "Excel 2.0-4.0 file",
    "The file is in a format of Excel 2.0, 3.0 or 4.0 (1987-1992), which the reader does not read.",
    "Open it in Excel and save it as .xlsx.",
)
OTHER_SPREADSHEET = _code(
    "CMA065",
    "Spreadsheet in a format that cannot be read",
    "The file is a spreadsheet, but in a format the reader does not read (XML Spreadsheet 2003, flat "
    "OpenDocument .fods, SYLK, Lotus 1-2-3, Quattro Pro, Apple Numbers).",
    "Open it in the program that made it (or Excel) and save it as .xlsx.",
)
WEB_PAGE = _code(
    "CMA066",
    "Web page, not a workbook",
    "The file is a web page (HTML or a single-file web archive), as Excel's Save as Web Page and many "
    "reporting tools write under an .xls name: Excel opens it, the reader does not.",
    "Open it in Excel and save it as .xlsx.",
)
NOT_A_SPREADSHEET = _code(
    "CMA067",
    "Not a spreadsheet",
    "The file is another kind of document (Word, PowerPoint, PDF, a picture, a zip archive...).",
    "Give the wave's workbook (.xlsx) or CSV file.",
)
UNKNOWN_BINARY = _code(
    "CMA068",
    "Neither a spreadsheet nor text",
    "The file's bytes are not those of any spreadsheet format nor of text.",
    "Give the wave's workbook (.xlsx) or CSV file; if this was one, it is damaged: ask for it again.",
)
DAMAGED = _code(
    "CMA069",
    "Damaged workbook",
    "The file begins as a workbook, but its package is cut short or broken, or a part of it is not "
    "well-formed.",
    "If Excel opens it (Excel repairs some damage), save it again as .xlsx; if not, ask for the file again.",
)
BUILTIN_PASSWORD = _code(
    "CMA070",
    "Workbook encrypted with Excel's built-in password",
    "An .xls whose workbook structure is protected is encrypted with the password Excel itself knows "
    "(Excel opens it without asking); the reader cannot decrypt it.",
    "Open it in Excel and save it as .xlsx (Excel Workbook).",
)

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

# --- CMA450-499: reports ---

PAPER_UNKNOWN = _code(
    "CMA450",
    "paper not known",
    "The config file's paper setting names a paper the reports are not laid out for.",
    'Write paper = "a4" or paper = "letter" in the config file (or give --paper on the command line).',
)

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

# --- CMA550-599: retention and cleanup ---
RESTORE_OVERDUE = _code(
    "CMA550",
    "captured and not restored for too long",
    "The user state of this pair was captured more than --restore-overdue-days ago (default 14) "
    "and no restore has taken it yet: the new computer has not run its restore.",
    "Run the restore task sequence on the new computer, or find out why it has not run.",
)
DELETION_SOON = _code(
    "CMA551",
    "the stored state is deleted soon",
    "The state was restored and the store released; the state migration point deletes a released "
    "store when its deletion delay has passed, and that falls within 7 days.",
    "Check the restore on the new computer now: after the deletion the store cannot be read again.",
)
DELETION_UNKNOWN = _code(
    "CMA552",
    "when the store is deleted is unknown",
    "The state migration point's deletion delay (SMPStoreDeletionDelayTimeInMinutes) could not "
    "be read, so the date the released store is deleted cannot be told.",
    "Read the delay in the console (state migration point properties) or give read access to "
    "the site control file (SMS_SCI_SysResUse).",
)
CLEANUP_NOT_RESTORED = _code(
    "CMA560",
    "cleanup keeps a pair whose state is not restored",
    "Cleanup deletes only associations whose state was restored (migration completed, store "
    "released); deleting this one would lose the link to a stored state nobody restored.",
    "Restore it first, or remove it by hand if you are sure it is not needed.",
)
CLEANUP_TOO_RECENT = _code(
    "CMA561",
    "restored too recently to clean up",
    "The state was restored less than --restored-before days ago (default 30): kept for now.",
    "Run cleanup again later, or give a smaller --restored-before.",
)
CLEANUP_NO_ESCROW = _code(
    "CMA562",
    "the recovery key could not be kept: not deleted",
    "Cleanup keeps each association's recovery key before its delete; it could not be kept, so "
    "the association was not deleted (a deleted association's key does not come back).",
    "Fix what the message says about the key escrow and run cleanup again.",
)
CLEANUP_DELETED = _code(
    "CMA563",
    "deleted for good",
    "Cleanup deleted this association: it, its recovery key on the site and its store do not "
    "come back (ConfigMgr keeps no copy).",
    "Nothing; the escrow workbook holds the key if one was kept.",
)
CLEANUP_WOULD_DELETE = _code(
    "CMA564",
    "would be deleted (dry run)",
    "Cleanup --dry-run found this association restored long enough ago: a cleanup without "
    "--dry-run deletes it.",
    "Run the same cleanup without --dry-run to delete it.",
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
