"""Every message the tool gives has a stable code (CMA and three digits) from this one catalog.

Reports, JSON, the console and the web show the code beside the words, so a team can look a
message up in docs/messages.md (generated from this catalog: `python -m importer.messages`)
and tests can assert codes instead of wording, which may improve without breaking anyone.

Codes are grouped by where they arise; a code is never reused for another meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CATALOG", "Code", "Notice", "catalog_markdown", "notice_dict", "notice_line"]


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
    serialises as its text, and carries its code. A text that starts with "WARNING: " is a
    warning, any other a note."""

    code: Code

    def __new__(cls, code: Code, text: str) -> Notice:
        obj = super().__new__(cls, text)
        obj.code = code
        return obj

    def __reduce__(self) -> tuple[type[Notice], tuple[Code, str]]:
        return (Notice, (self.code, str(self)))


_WARNING = "WARNING: "


def notice_dict(note: str) -> dict[str, str | None]:
    """A notice as the JSON report's summary lists it; a plain string (from an older reader, or
    a line nobody coded) has no code."""
    warning = note.startswith(_WARNING)
    return {
        "code": str(note.code) if isinstance(note, Notice) else None,
        "level": "warning" if warning else "note",
        "text": note.removeprefix(_WARNING) if warning else str(note),
    }


def notice_line(note: str) -> str:
    """A notice as the console, the reports and the web pages show it: its code, then its words
    ("CMA330 ...", "CMA704 WARNING: ..."); a plain string (a line nobody coded) as it is."""
    return f"{note.code} {note}" if isinstance(note, Notice) else str(note)


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
CELL_TYPED_VALUE = _code(
    "CMA101",
    "A number or TRUE/FALSE where text belongs",
    "The cell holds a number with a fraction, or a TRUE/FALSE value, where a name, an account, "
    "an ID or an address was expected. Such a value usually means the column holds something "
    "other than its header says (a column shifted, a formula pasted).",
    "Check that the column holds what its header says, and type the value as text.",
)
CELL_ERROR_VALUE = _code(
    "CMA102",
    "An Excel error value",
    "The cell shows an Excel error (#N/A, #REF!, #VALUE!...) instead of a value: the formula "
    "that fills it failed.",
    "Fix the formula that gives the cell its value, or type the value.",
)
CELL_FORMULA_NOT_CALCULATED = _code(
    "CMA103",
    "A formula that was never calculated",
    "The cell holds a formula whose result was never saved in the file: the program that "
    "wrote the workbook did not calculate it, so there is no value to read.",
    "Open the file in Excel and save it (Excel calculates the formulas), or type the value.",
)
CELL_TOO_LONG = _code(
    "CMA104",
    "A cell longer than Excel allows",
    "The cell holds more characters than an Excel cell can (32,767): something was pasted into "
    "it by mistake. The cell is not checked further.",
    "Look at what was pasted into the cell and put the right value there.",
)
INVISIBLE_CHARACTERS_REMOVED = _code(
    "CMA105",
    "Invisible characters removed",
    "The cell held invisible characters (zero-width spaces, soft hyphens...), usually copied "
    "from a web page or a chat. They were removed and the rest of the value used.",
    "Nothing, unless the value read is not what you meant; clean the cell to silence the note.",
)
NBSP_AROUND_REMOVED = _code(
    "CMA106",
    "Non-breaking spaces removed around a value",
    "The value was surrounded by non-breaking spaces (copied from a web page or a document). "
    "They were removed and the value used.",
    "Nothing; clean the cell to silence the note.",
)
NBSP_INSIDE = _code(
    "CMA107",
    "A non-breaking space inside a value",
    "The value has a non-breaking space in its middle. No computer name or account has one, "
    "so the value cannot be used.",
    "Retype the value without spaces.",
)
NAME_EMPTY = _code(
    "CMA110",
    "No computer name",
    "The source or destination cell is empty: the row has no computer to associate.",
    "Type the computer's name, or delete the row if it is not a pair.",
)
NAME_TOO_LONG = _code(
    "CMA111",
    "A computer name longer than 15 characters",
    "Computer (NetBIOS) names have at most 15 characters, so ConfigMgr knows no computer by this "
    "name. Usually a typo, two names run together, or another value in the wrong column.",
    "Check the cell for a typo or a missing separator, and type the computer's name.",
)
NAME_WITH_DOMAIN = _code(
    "CMA112",
    "A domain in front of a computer name",
    "The cell looks like DOMAIN\\NAME. ConfigMgr knows computers by their name alone.",
    "Type only the computer name (the part after the backslash).",
)
NAME_NOT_DNS = _code(
    "CMA113",
    "Neither a computer name nor a DNS name",
    "The cell has dots, so it was read as a DNS name, but its parts are not valid DNS labels.",
    "Type the computer's name, e.g. PC0042.",
)
NAME_DNS_SHORTENED = _code(
    "CMA114",
    "A DNS name shortened to its host name",
    "The cell holds a fully qualified name (pc7.contoso.com); ConfigMgr knows the computer by its "
    "host name, which is what is used.",
    "Nothing, if the host name is the computer's name.",
)
NAME_AD_ACCOUNT = _code(
    "CMA115",
    "An Active Directory computer account name",
    "The cell holds the computer's Active Directory account name (ending in $); the name without "
    "the $ is used.",
    "Nothing, if the name without the $ is the computer's.",
)
NAME_BAD_CHARACTERS = _code(
    "CMA116",
    "Characters a computer name cannot have",
    "The name contains spaces or characters Windows forbids in computer names "
    '(\\ / : * ? " < > | ,), so no computer has it.',
    "Type the computer's name with letters, digits and hyphens only.",
)
NAME_LEADING_DOT = _code(
    "CMA117",
    "A computer name starting with a dot",
    "A computer name cannot start with a dot.",
    "Type the computer's name without the leading dot.",
)
NAME_ALL_DIGITS = _code(
    "CMA118",
    "A computer name of digits only",
    "Windows refuses computer names made only of digits, so no computer has this name: the cell "
    "probably holds a row number, an asset tag or a ResourceID.",
    "Type the computer's name (a ResourceID belongs in a ResourceID column).",
)
NAME_NOT_DNS_HOST = _code(
    "CMA119",
    "A computer name that is not a valid DNS host name",
    "The name has an underscore or starts or ends with a hyphen. Windows allows it, but DNS does "
    "not, and ConfigMgr may know the computer under another name.",
    "Check in the console that the computer is known under this name; the row is still used.",
)
USER_NOT_ACCOUNT = _code(
    "CMA130",
    "Not a user account",
    "The value has an @ but is not a usable user@domain account (one of its parts is missing).",
    "Write the account as DOMAIN\\user.",
)
USER_UPN_CONVERTED = _code(
    "CMA131",
    "user@domain converted to DOMAIN\\user",
    "ConfigMgr wants accounts as DOMAIN\\user. The account was converted, assuming that the "
    "domain's NetBIOS name is the first part of its DNS name (CONTOSO for contoso.com).",
    "If the domain's NetBIOS name is different, write the account as DOMAIN\\user yourself.",
)
USER_SLASH_WRONG_WAY = _code(
    "CMA132",
    "DOMAIN/user with the slash the wrong way round",
    "The account is written with a forward slash; ConfigMgr wants a backslash (DOMAIN\\user). "
    "The message shows the account as it should be written.",
    "Write the account with a backslash, as the message suggests.",
)
USER_NO_DOMAIN = _code(
    "CMA133",
    "An account without its domain",
    "The account has no DOMAIN\\ in front of it. ConfigMgr needs the domain to find the user's "
    "profile on the old computer.",
    "Write the account as DOMAIN\\user, e.g. CONTOSO\\jdoe.",
)
USER_SEVERAL_BACKSLASHES = _code(
    "CMA134",
    "An account with more than one backslash",
    "An account is DOMAIN\\user with exactly one backslash; this value has several.",
    "Write the account with a single backslash, e.g. CONTOSO\\jdoe.",
)
USER_PART_MISSING = _code(
    "CMA135",
    "An account with an empty domain or user",
    "One side of the backslash is empty: both the domain and the user name are needed.",
    "Write the whole account, e.g. CONTOSO\\jdoe.",
)
USER_BAD_DOMAIN = _code(
    "CMA136",
    "Not a NetBIOS domain name",
    "The part before the backslash is longer than 15 characters or holds spaces or characters a "
    "NetBIOS domain (or computer) name cannot have.",
    "Write the domain's NetBIOS name (CONTOSO, not contoso.com) before the backslash.",
)
USER_BAD_LOGON_NAME = _code(
    "CMA137",
    "Not a logon name",
    "The part after the backslash is longer than 20 characters, holds characters a logon "
    '(sAMAccountName) cannot have (" / \\ [ ] : ; | = , + * ? < >), or ends with a dot.',
    "Write the user's logon name (pre-Windows 2000), as Active Directory shows it.",
)
USER_LISTED_TWICE = _code(
    "CMA138",
    "An account listed twice",
    "The same account appears more than once for this pair (the comparison ignores case); it is sent once.",
    "Nothing; remove the repeat to silence the note.",
)
RESOURCE_ID_INVALID = _code(
    "CMA150",
    "Not a ResourceID",
    "A ResourceID is a whole number above 0, as the console shows in its Resource ID column.",
    "Type the computer's ResourceID, or leave the cell empty to look the computer up by name.",
)
MAC_INVALID = _code(
    "CMA151",
    "Not a MAC address",
    "A MAC address is six pairs of hexadecimal digits (00:15:5D:0A:1B:2C, 00-15-5D-0A-1B-2C or "
    "00155D0A1B2C); the cell holds something else.",
    "Type the new computer's MAC address as the vendor's list gives it.",
)
MAC_ALL_ZERO = _code(
    "CMA152",
    "The all-zero MAC address",
    "00:00:00:00:00:00 is a placeholder that no network card has; ConfigMgr could not find the "
    "computer by it.",
    "Type the new computer's real MAC address, or leave the cell empty and give its SMBIOS GUID.",
)
MAC_BROADCAST = _code(
    "CMA153",
    "The broadcast MAC address",
    "FF:FF:FF:FF:FF:FF is the broadcast address, not a network card's.",
    "Type the new computer's real MAC address, or leave the cell empty and give its SMBIOS GUID.",
)
MAC_MULTICAST = _code(
    "CMA154",
    "A multicast MAC address",
    "The first byte of the address is odd, which makes it a multicast address: no network card "
    "has one. Often two digits are swapped.",
    "Check the address against the vendor's list and type the network card's own.",
)
GUID_INVALID = _code(
    "CMA155",
    "Not an SMBIOS GUID",
    "An SMBIOS GUID is 32 hexadecimal digits, with or without hyphens and braces "
    "(4C4C4544-0042-3510-8052-B8C04F4C4B32); the cell holds something else.",
    "Type the new computer's SMBIOS GUID (UUID) as the vendor's list gives it.",
)
GUID_PLACEHOLDER = _code(
    "CMA156",
    "A placeholder SMBIOS GUID",
    "A GUID of all zeros or all Fs is what firmware reports when it has no real one; many "
    "computers share it, so ConfigMgr cannot tell them apart by it.",
    "Give the new computer's MAC address instead (or as well).",
)


# --- CMA200-299: rows and sheets as a whole, the site (resolve, plan, apply) ---------------
NO_PAIRS_HEADER = _code(
    "CMA200",
    "No sheet with source and destination columns",
    "No sheet of the file has, in its first rows, a header row with a column for the source "
    "(old) computers and one for the destination (new) computers, so there are no pairs to "
    "read. The message quotes what the first rows hold.",
    "Name the columns Source and Destination, or say which columns they are with --map, e.g. "
    '--map Source="Old PC" --map Destination="New PC".',
)
USERS_FILE_NO_HEADER = _code(
    "CMA201",
    "No source and user columns in the users file",
    "The file given with --users has no header row with a source computer column and a user column.",
    "Name the columns Source and User in the users file.",
)
READ_AS_IMPORT_FILE = _code(
    "CMA202",
    "Read as an Import Computer Information file",
    "The sheet has no header row; its columns were read as the console's Import Computer "
    "Information file: Name (the new computer), SMBIOS GUID, MAC Address, Source Computer.",
    "Nothing, if that is what the file is; otherwise add a header row.",
)
SHEET_SKIPPED = _code(
    "CMA203",
    "A sheet skipped",
    "A sheet of the workbook has no header row with source and destination columns (nor, for a "
    "users sheet, source and users columns), so none of its rows were read.",
    "Nothing, if the sheet holds no pairs; otherwise name its columns Source and Destination.",
)
SAME_COMPUTER_TWICE = _code(
    "CMA206",
    "Source and destination are the same computer",
    "A pair whose source and destination are one computer is an in-place association, which "
    "ConfigMgr makes itself when a refresh task sequence runs; it is not imported.",
    "Type the new computer's name as the destination.",
)
PAIR_REPEATED = _code(
    "CMA207",
    "A pair repeated",
    "The same pair, with the same behaviour and users, is on an earlier row. Only the first row is imported.",
    "Delete the repeated row.",
)
PAIR_REPEATED_DIFFERENTLY = _code(
    "CMA208",
    "A pair repeated with other behaviours or users",
    "The same pair is on several rows that ask for different behaviours or users, and an "
    "association holds only one version. None of these rows is imported.",
    "Keep one row for the pair and merge the users into it.",
)
DESTINATION_HAS_ANOTHER_SOURCE = _code(
    "CMA209",
    "A destination with two sources",
    "A destination computer restores the user state of only one source, but this one is also "
    "the destination of another source: on another row, or in an association already on the "
    "site (the message says which).",
    "Fix the sheet so that each new computer has one old computer; if the site's association is "
    "wrong, delete it in the console first.",
)
SOURCE_HAS_ANOTHER_DESTINATION = _code(
    "CMA210",
    "A source with two destinations under behaviour 2",
    "With behaviour 2 (capture and restore specified accounts) a source can have only one "
    "association, but this source is also associated with another destination: on another row, "
    "or on the site (the message says which).",
    "Give the source one destination, or use behaviour 0 or 1 to restore it to several computers.",
)
BEHAVIOUR_NEEDS_USERS = _code(
    "CMA211",
    "A behaviour that needs users, without users",
    "Behaviours 1 and 2 restore (or capture) only the accounts named, and the row names none.",
    "Add the users (DOMAIN\\user), take them from the site with --users-from, or use "
    "behaviour 0 to capture and restore every account.",
)
USERS_NOT_SENT = _code(
    "CMA212",
    "Users listed for behaviour 0 are not sent",
    "Behaviour 0 captures and restores every account, so ConfigMgr takes no list of users; the "
    "users on the row are ignored.",
    "Nothing, if every account should move; otherwise use behaviour 1 or 2.",
)
HARDWARE_ID_SHARED = _code(
    "CMA213",
    "One MAC address or SMBIOS GUID for several new computers",
    "The same MAC address or SMBIOS GUID is given for different new computers, but each "
    "computer has its own. ConfigMgr would import them as one.",
    "Check the vendor's list and give each new computer its own address or GUID.",
)
USER_ROW_WITHOUT_PAIR = _code(
    "CMA214",
    "A users row that matches no pair",
    "A row of the users sheet or file names a source (and destination) that no row of the "
    "pairs sheet has, so its users go nowhere.",
    "Add the pair to the pairs sheet, or remove the users row.",
)
NOT_ON_SITE = _code(
    "CMA215",
    "A computer the site does not know",
    "No record of the site has this name, or the account running cmassoc may not see it (its "
    "security scopes). A new computer the site does not know yet can be imported.",
    "Check the spelling and the account's security scopes; for a new computer, add its MAC "
    "address or SMBIOS GUID to the sheet so that it is imported.",
)
ONLY_RETIRED_RECORDS = _code(
    "CMA216",
    "A computer with only retired records",
    "The site knows this name only from obsolete or decommissioned records: the computer was "
    "reimaged or retired.",
    "Check the name; if the computer is back in use, wait until its client registers again.",
)
SEVERAL_LIVE_RECORDS = _code(
    "CMA217",
    "A computer name with several live records",
    "The site has more than one active record for this name, and cmassoc will not guess which "
    "one the association is for.",
    "Put the right ResourceID in the SourceResourceID or RestoreResourceID column, or delete the "
    "duplicate record in the console.",
)
RETIRED_RECORDS_IGNORED = _code(
    "CMA218",
    "Retired records ignored",
    "Besides its live record, the site has obsolete or decommissioned records of this name; the "
    "live one is used.",
    "Nothing.",
)
RESOURCE_ID_NOT_ON_SITE = _code(
    "CMA219",
    "A ResourceID the site does not have",
    "The ResourceID given on the row is not a record of this site, or the account may not see "
    "it (security scopes).",
    "Check the ResourceID in the console, or leave the cell empty to look the computer up by name.",
)
RESOURCE_ID_OF_ANOTHER = _code(
    "CMA220",
    "A ResourceID of another computer",
    "The ResourceID given on the row belongs to a computer with another name.",
    "Fix the name or the ResourceID so that they match.",
)
RESOURCE_ID_RETIRED = _code(
    "CMA221",
    "A ResourceID of a retired record",
    "The ResourceID given is an obsolete or decommissioned record, which an association cannot use.",
    "Give the ResourceID of the computer's live record, or leave the cell empty.",
)
HARDWARE_HELD_BY_ANOTHER = _code(
    "CMA223",
    "A new computer's MAC address or GUID held by another record",
    "The new computer is not on the site, but another record already holds its MAC address or "
    "SMBIOS GUID, so importing it would clash with that record. Nothing was done for this row.",
    "Check the hardware list. If the other record is stale, run with --overwrite-existing-record "
    "to let the import take it over.",
)
TO_IMPORT = _code(
    "CMA224",
    "A new computer to import",
    "The new computer is not on the site yet; it is (or will be) imported with its MAC address "
    "or SMBIOS GUID before the association is made.",
    "Nothing.",
)
USERS_FROM_SITE = _code(
    "CMA225",
    "Users taken from the site",
    "The row names no users, so they were taken from the site (the old computer's primary users "
    "or its last logged-on user), as --users-from asked.",
    "Check the users in the report before the migration.",
)
SITE_KNOWS_NO_USERS = _code(
    "CMA226",
    "The site knows no users for the source",
    "The row needs users and names none, and the site knows no primary user (or last logon) of "
    "the old computer to take instead.",
    "Add the users to the row, or use behaviour 0 to capture and restore every account.",
)
ALREADY_ON_SITE = _code(
    "CMA227",
    "Already on the site",
    "The site already has this association, with the same behaviour and users; it is left as it is.",
    "Nothing.",
)
DIFFERENT_ON_SITE = _code(
    "CMA228",
    "On the site in another version",
    "The site already has an association for this pair, with another behaviour or other users "
    "than the sheet asks for. It was left untouched.",
    "Run with --update to bring it to the sheet's version (while its capture has not started), "
    "or change it in the console.",
)
CAPTURE_STARTED_NOT_UPDATED = _code(
    "CMA229",
    "Not updated: the capture has started",
    "The pair's association on the site differs from the sheet, but its user state capture has "
    "started (or the state is stored). --update never changes such an association: that would "
    "lose the link to the stored state.",
    "Leave it, or finish the migration first; change it in the console only if you mean to.",
)
WILL_REPLACE = _code(
    "CMA230",
    "To be replaced (--update)",
    "The site's association for this pair differs from the sheet; with --update it is deleted "
    "and created again in the sheet's version.",
    "Nothing, if the sheet is right.",
)
IN_PLACE_ON_SITE = _code(
    "CMA231",
    "An in-place association on the site",
    "A refresh task sequence made an in-place association for one of the computers. It does not "
    "conflict with the pair and is left as it is.",
    "Nothing.",
)
COLLECTION_NOT_ON_SITE = _code(
    "CMA232",
    "A collection the site does not have",
    "No collection of the site has this ID or name, or the account may not see it (security "
    "scopes). The row was not done.",
    "Check the collection's name or ID in the console, and the account's scopes.",
)
COLLECTION_OF_USERS = _code(
    "CMA233",
    "A user collection",
    "The collection named is a user collection; computers join device collections. The row was not done.",
    "Name a device collection.",
)
COLLECTION_BUILT_IN = _code(
    "CMA234",
    "A built-in collection",
    "The collection named is one of ConfigMgr's built-in collections, whose members are not "
    "added by hand. The row was not done.",
    "Name a collection of your own.",
)
CREATE_REFUSED = _code(
    "CMA235",
    "The provider refused the association",
    "The SMS Provider refused to create the association; the message gives its error and, when "
    "it said one, the extended status.",
    "Read the provider's error; fix the cause (a record deleted meanwhile, a permission) and run "
    "the sheet again: what exists is not made twice.",
)
CREATED_BY_ANOTHER = _code(
    "CMA236",
    "Created by someone else meanwhile",
    "Between the plan and the creation, someone else made this association; it was left as it is.",
    "Nothing, unless two people are importing the same wave.",
)
REPLACED = _code(
    "CMA237",
    "The site's version replaced (--update)",
    "The association the site had is replaced by the sheet's version; the message says what "
    "the old version was (the run's journal keeps it, so undo can put it back).",
    "Nothing.",
)
REPLACE_REFUSED = _code(
    "CMA238",
    "The provider refused to replace the association",
    "With --update, the site's version of the association is deleted first; the provider "
    "refused that delete, so the sheet's version was not made.",
    "Read the provider's error, fix its cause and run the sheet again.",
)
IMPORT_REFUSED = _code(
    "CMA239",
    "The provider did not import the new computer",
    "ImportMachineEntry failed for the new computer, so its association could not be made.",
    "Read the provider's error, check the MAC address and SMBIOS GUID, and run the sheet again.",
)
IMPORTED_BY_ANOTHER = _code(
    "CMA240",
    "The new computer was imported by someone else meanwhile",
    "When cmassoc imported the new computer, the site already had it (someone imported it in "
    "the meantime); that record is used.",
    "Nothing.",
)
JOIN_FAILED = _code(
    "CMA241",
    "Adding the new computer to a collection failed",
    "The association is done, but adding the new computer to the collection named failed.",
    "Read the provider's error; add the computer to the collection in the console, or run the sheet again.",
)
CONFIRMED_AFTER_RETRY = _code(
    "CMA242",
    "Confirmed on the site after a retry",
    "The provider's answer was lost, so cmassoc looked at the site before sending again: the "
    "change had been made, and it was not sent twice.",
    "Nothing.",
)
OUTCOME_UNKNOWN = _code(
    "CMA243",
    "Outcome unknown: the run stopped while this row was sent",
    "The run stopped (the connection failed, or Ctrl-C twice) while this row's batch was on its "
    "way, so cmassoc cannot tell whether the site made it.",
    "Run the same sheet again: what was made shows as exists, the rest is made.",
)
NOT_SENT = _code(
    "CMA244",
    "Not done: the run stopped first",
    "The run stopped (the message says why) before this row was sent to the site; nothing was done for it.",
    "Fix what stopped the run and run the same sheet again: it continues where it stopped.",
)
NOT_READ = _code(
    "CMA245",
    "Not read: the reading stopped first",
    "cmassoc status stopped (the message says why) before this pair was read from the site.",
    "Fix what stopped it and run the same command again.",
)
NEVER_REACHED_SITE = _code(
    "CMA246",
    "A row the run never got onto the site",
    "The run these statuses come from left this row invalid, unresolved, in conflict or not "
    "sent, so there is nothing of it on the site to read; the message repeats why.",
    "Fix the row and run the sheet again if the pair is still wanted.",
)
IMPORTED_BEFORE_STOP = _code(
    "CMA247",
    "Imported by this run before it stopped",
    "The run stopped after importing the new computer and now continues: the record it made is "
    "used, and the computer is not imported again.",
    "Nothing.",
)
CREATED_BEFORE_STOP = _code(
    "CMA248",
    "Created by this run before it stopped",
    "The run stopped and now continues: this association was made before it stopped, so it is not "
    "sent again.",
    "Nothing.",
)
SENT_AGAIN = _code(
    "CMA249",
    "Sent again: it did not reach the site",
    "The run stopped while this row was on its way, and the site does not have it, so it was sent again.",
    "Nothing.",
)
RUN_IS_AN_UNDO = _code(
    "CMA250",
    "The run named is an undo",
    "The Run ID names an undo, which can be neither continued nor undone.",
    "Give the Run ID of the run itself (the report of the run, or cmassoc's history, has it).",
)
RUN_OF_ANOTHER_SHEET = _code(
    "CMA251",
    "The run was made from another version of the sheet",
    "The run to continue was made from a sheet whose content differs from this one (its "
    "SHA-256 fingerprint differs), so it cannot continue with it.",
    "Start a new run with --new-run (what is on the site already shows as exists).",
)
RUN_ON_ANOTHER_SITE = _code(
    "CMA252",
    "The run was made on another site",
    "The run named was made on another ConfigMgr site than the one given now.",
    "Point --demo or --server at the site of that run (or start a new run with --new-run).",
)
RUN_OF_OTHER_ROWS = _code(
    "CMA253",
    "The run was made from other rows",
    "The run to continue was made from other rows: the sheet, the users file or --behavior differ.",
    "Start a new run with --new-run.",
)
JOURNAL_MISSING = _code(
    "CMA254",
    "No such run journal",
    "The run journal (the file where cmassoc records each run, for resume, status and undo) "
    "named does not exist.",
    "Give the right journal with --journal (by default it sits next to the sheet).",
)
JOURNAL_UNOPENABLE = _code(
    "CMA255",
    "The run journal cannot be opened",
    "The run journal could not be opened or written: a permission, a full disk, or a locked file.",
    "Choose another journal with --journal, or fix the file's permissions.",
)
NOT_A_JOURNAL = _code(
    "CMA256",
    "Not a run journal",
    "The file given as the run journal is another kind of file or database (a demo site, "
    "cmassoc serve's data...).",
    "Give the journal of the run with --journal.",
)
RUN_NOT_IN_JOURNAL = _code(
    "CMA257",
    "A run the journal does not have",
    "The journal has no run with this Run ID: the run was recorded in another journal, or the "
    "ID is mistyped.",
    "Check the Run ID, and give the journal the run used with --journal.",
)
JOURNAL_UNKNOWN_VALUE = _code(
    "CMA258",
    "A journal entry this version does not know",
    "The run journal holds a run or row state this version of cmassoc does not know: it was "
    "written by another version.",
    "Use the version of cmassoc that made the run, or a newer one.",
)
WRITTEN_BY_NEWER = _code(
    "CMA259",
    "A file written by a newer cmassoc",
    "The run journal (or cmassoc serve's data) was written by a newer version of cmassoc, "
    "whose format this version cannot read safely.",
    "Upgrade cmassoc.",
)
PAIR_NOT_ON_SITE = _code(
    "CMA260",
    "The pair is not on the site",
    "cmassoc status found no association for this pair: it was never created, or it was removed.",
    "Run the sheet if the pair should exist.",
)
UNDO_DELETED_EARLIER = _code(
    "CMA261",
    "Deleted by an earlier undo",
    "An earlier undo of this run already deleted the association.",
    "Nothing.",
)
UNDO_NOT_THIS_RUN = _code(
    "CMA262",
    "Not created by the run: left alone",
    "The run being undone did not create this association (it existed before, or the row "
    "failed), so undo leaves it alone.",
    "Nothing; delete it in the console if it should go.",
)
UNDO_ALREADY_GONE = _code(
    "CMA263",
    "Not on the site any more",
    "The association this run created is no longer on the site (removed already, or never made).",
    "Nothing.",
)
UNDO_CAPTURE_STARTED = _code(
    "CMA264",
    "Kept: its user state capture has started",
    "Deleting this association would lose the link between the computers and the user state "
    "already captured (or being captured), so undo keeps it.",
    "Leave it; run undo with --force only if the stored state may be lost.",
)
UNDO_REMOVED_BY_ANOTHER = _code(
    "CMA265",
    "Removed by someone else meanwhile",
    "When undo deleted the association, it was already gone: someone removed it meanwhile.",
    "Nothing.",
)
UNDO_DELETE_REFUSED = _code(
    "CMA266",
    "The provider refused to delete the association",
    "The SMS Provider refused to delete the association this run created.",
    "Read the provider's error, fix its cause and run the undo again (what is gone is skipped).",
)
UNDO_NOT_DONE = _code(
    "CMA267",
    "Not deleted: the undo stopped first",
    "The undo stopped (the message says why) before this row was done.",
    "Fix what stopped it and run the same undo again: it skips what is gone.",
)
UNDO_WOULD_PUT_BACK = _code(
    "CMA268",
    "The replaced version would be put back (dry run)",
    "This run replaced the site's association with --update; the undo would put that earlier version back.",
    "Nothing; run the undo without --dry-run to do it.",
)
UNDO_PUT_BACK = _code(
    "CMA269",
    "The replaced version put back",
    "This run had replaced the site's association with --update; the undo put the earlier version back.",
    "Nothing.",
)
UNDO_PUT_BACK_FAILED = _code(
    "CMA270",
    "The replaced version could not be put back",
    "The undo deleted the association this run made, but the provider refused to create the "
    "version it had replaced.",
    "Create that version in the console (the message says which), or run the undo again.",
)
UNDO_WOULD_REMOVE_RULE = _code(
    "CMA271",
    "Would be removed from a collection (dry run)",
    "This run added the new computer to the collection; the undo would remove that rule.",
    "Nothing; run the undo without --dry-run to do it.",
)
UNDO_RULE_REMOVED = _code(
    "CMA272",
    "Removed from a collection",
    "The undo removed the collection rule this run added for the new computer.",
    "Nothing.",
)
UNDO_RULE_REMOVE_FAILED = _code(
    "CMA273",
    "Could not be removed from a collection",
    "The provider refused to remove the collection rule this run added for the new computer.",
    "Remove the computer from the collection in the console, or run the undo again.",
)
UNDO_WOULD_DELETE_COMPUTER = _code(
    "CMA274",
    "The imported computer would be deleted (dry run)",
    "This run imported the new computer's record; the undo would delete it.",
    "Nothing; run the undo without --dry-run to do it, with --keep-imported to keep the record.",
)
UNDO_COMPUTER_DELETED = _code(
    "CMA275",
    "The imported computer deleted",
    "The undo deleted the computer record this run imported.",
    "Nothing.",
)
UNDO_COMPUTER_DELETE_FAILED = _code(
    "CMA276",
    "The imported computer could not be deleted",
    "The provider refused to delete the computer record this run imported.",
    "Delete the record in the console, or run the undo again.",
)
UNDO_COMPUTER_KEPT = _code(
    "CMA277",
    "The imported computer kept (--keep-imported)",
    "The undo left the computer record this run imported, as --keep-imported asked.",
    "Nothing.",
)
EXPORT_NO_SUCH_COLLECTION = _code(
    "CMA278",
    "No such collection to export",
    "cmassoc export was asked for the associations of a collection the site does not have (or "
    "the account may not see).",
    "Check the collection's name or ID in the console.",
)
EXPORT_FORMAT = _code(
    "CMA279",
    "Export writes .xlsx or .csv",
    "The file to export to does not end in .xlsx or .csv.",
    "Give a file name ending in .xlsx or .csv.",
)
REPORT_UNREADABLE = _code(
    "CMA280",
    "A report that cannot be read",
    "The report given (to name a run) could not be opened.",
    "Check the path and the file's permissions; close it in Excel.",
)
NOT_A_REPORT = _code(
    "CMA281",
    "Not a cmassoc report",
    "The file given as a report is not one cmassoc wrote (or it was edited so that its summary "
    "no longer says which run it describes); the message says what is wrong.",
    "Give the report a run wrote, or its Run ID.",
)
SITE_TYPE_UNKNOWN = _code(
    "CMA282",
    "The site's type is not known",
    "cmassoc doctor: SMS_Site does not say whether the site is a primary site.",
    "Make sure the site code is a primary site's: associations are made on primary sites only.",
)
CLASS_NOT_READABLE = _code(
    "CMA283",
    "A class the account cannot read",
    "cmassoc doctor: reading SMS_R_System or SMS_StateMigration failed with the error shown.",
    "Give the account a ConfigMgr security role that may read computers and state migrations.",
)
ROLE_NOT_CHECKED = _code(
    "CMA284",
    "The account's security role was not checked",
    "cmassoc doctor could not check the account's ConfigMgr role: the provider did not say who "
    "is logged on, or SMS_Admin is not readable.",
    "Make sure the account holds a role with the State Migration permissions.",
)
NOT_AN_ADMINISTRATIVE_USER = _code(
    "CMA285",
    "Not a ConfigMgr administrative user",
    "cmassoc doctor: neither the account nor any of its groups holds a ConfigMgr security role.",
    "Add the account (or one of its groups) under Administration > Security > Administrative "
    "Users, with a role such as Operating System Deployment Manager and the right scopes.",
)
ROLE_NOT_CONFIRMED = _code(
    "CMA286",
    "A custom role that may or may not do it",
    "cmassoc doctor: the account holds only custom roles, whose permissions are not read, so "
    "whether it may create computer associations is not confirmed.",
    "Make sure one of its roles may create computer associations (State Migration).",
)
VERSION_NOT_READ = _code(
    "CMA287",
    "The ConfigMgr version was not read",
    "cmassoc doctor could not read the site's version from SMS_Site.",
    "Nothing, if the site runs ConfigMgr 1910 or later.",
)
VERSION_TOO_OLD = _code(
    "CMA288",
    "A ConfigMgr version before 1910",
    "The AdminService calls WMI methods from ConfigMgr 1910 on; this site's version is older.",
    "Use --via winrm, or update ConfigMgr.",
)
NO_TLS_OVER_HTTP = _code(
    "CMA289",
    "No certificate over HTTP",
    "cmassoc doctor: WinRM over HTTP has no certificate to check; NTLM or Kerberos seals the "
    "messages instead.",
    "Nothing; prefer HTTPS where the listener offers it.",
)
NO_METADATA = _code(
    "CMA290",
    "No list of the classes and methods offered",
    "cmassoc doctor: this provider publishes no $metadata, so what it offers was not checked.",
    "Nothing.",
)
FOUND_AFTER_STOP = _code(
    "CMA291",
    "Found on the site: made as the run stopped",
    "The run stopped while this row was on its way; continuing, cmassoc found the association on "
    "the site, so it is created and was not sent twice.",
    "Nothing.",
)
IMPORTED = _code(
    "CMA292",
    "The new computer imported",
    "The new computer was imported by this run (the message gives its ResourceID, and the record "
    "it took over with --overwrite-existing-record); the association uses that record.",
    "Nothing.",
)
JOURNAL_MOVED = _code(
    "CMA293",
    "The run's journal is not where the index of runs says",
    "The index of runs (in the user data folder) names the journal that recorded this run, but "
    "that file was moved or deleted.",
    "Give the run's journal with --journal.",
)
RUN_NOT_FOUND = _code(
    "CMA294",
    "A run found in no journal",
    "The Run ID is neither in the journal the command looked in nor in the index of runs: the run "
    "was recorded elsewhere (another user, another machine), or the ID is mistyped.",
    "Give the run's journal with --journal, or its report.",
)


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
INTERRUPTED = _code(
    "CMA350",
    "Interrupted",
    "The command was stopped with Ctrl-C. A run or undo stops after the batch in flight and "
    "its report says which rows were done.",
    "Run the same command again to finish: a run continues where it stopped.",
)
INTERNAL_ERROR = _code(
    "CMA351",
    "Internal error",
    "cmassoc met a fault of its own (a bug). A run's report still gives every row a status.",
    "Run the command again with --debug and send the output (without secrets) to cmassoc's maintainers.",
)
STOPPING_AFTER_BATCH = _code(
    "CMA352",
    "Stopping after the batch in flight",
    "Ctrl-C was pressed while the site was being changed: cmassoc finishes the batch on its way "
    "(so that nothing is left half done) and then stops.",
    "Wait; press Ctrl-C again only to stop at once (the rows in flight are then reported as unknown).",
)
RUN_STARTED = _code(
    "CMA353",
    "A run and its journal",
    "The Run ID of this run and the journal where it is recorded: a stopped run continues from "
    "there, and status and undo find it there.",
    "Keep the Run ID (the report has it too).",
)
RUN_CONTINUED = _code(
    "CMA354",
    "Continuing a stopped run",
    "An earlier run of this sheet on this site did not finish; this run continues it, and what "
    "it did is not done twice.",
    "Nothing; add --new-run to start afresh instead.",
)
FOLDER_CREATED = _code(
    "CMA355",
    "A folder created for a report",
    "The folder given for a report did not exist and was created.",
    "Nothing.",
)
REPORT_NOT_WRITTEN = _code(
    "CMA356",
    "A report that cannot be written",
    "The report could not be written where asked: the file is open in Excel, or the folder is "
    "not writable. The work it describes may be done.",
    "Close the file in Excel, or choose another path with --report.",
)
REPORT_WRITTEN_ELSEWHERE = _code(
    "CMA357",
    "The report written to the temporary folder",
    "The report could not be written where asked, so it was written to the temporary folder "
    "instead (the message gives the path): the work is done and its report is kept.",
    "Take the report from the path given.",
)
JSON_STDOUT_LOST = _code(
    "CMA358",
    "The JSON on standard output is missing or cut short",
    "The JSON report was to go to standard output (--json -), but standard output was closed, "
    "or the program reading it stopped reading.",
    "Write the JSON to a file with --json FILE, or let the reading program read to the end.",
)
COLUMNS_NOT_SHOWN = _code(
    "CMA359",
    "Input columns not shown in the Excel report",
    "The input has more columns than an Excel sheet holds beside the report's own, so the last "
    "ones are not on the Results sheet.",
    "Read them in the JSON report or the input file.",
)
READING_JOURNAL = _code(
    "CMA360",
    "The journal a command reads",
    "undo and status read the run from its journal: the message says which run and which journal "
    "(found next to the report, where --journal points, or through the index of runs).",
    "Nothing, if it is the run you meant.",
)
INDEX_NOT_WRITTEN = _code(
    "CMA361",
    "The index of runs could not be written",
    "The run is done and in its journal, but the index of runs (which lets undo and status find a "
    "run from any folder) could not be written: the run is not in it.",
    "From another folder, give the run's journal with --journal (the message names it).",
)


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
WEB_CLEANUP_NEEDS_ESCROW = _code(
    "CMA565",
    "cleanup on the web cannot keep recovery keys: run it on the command line",
    "`cmassoc serve` has no password for the encrypted escrow of recovery keys, so a cleanup "
    "there that would delete an association whose key needs keeping deletes nothing.",
    "Run `cmassoc cleanup` on the command line: it asks for the escrow's password, keeps the "
    "keys, then deletes.",
)

# --- CMA600-699: options and commands -------------------------------------------------------
CONFIG_MISSING = _code(
    "CMA600",
    "No such configuration file",
    "The file given with --config does not exist.",
    "Check the path, or leave --config out to use ./cmassoc.toml or the user's configuration folder.",
)
CONFIG_UNREADABLE = _code(
    "CMA601",
    "A configuration file that is not valid TOML",
    "The configuration file cannot be read as TOML; the message says where.",
    "Fix the file at the place the message names.",
)
CONFIG_HOLDS_PASSWORD = _code(
    "CMA602",
    "A password in the configuration file",
    "Passwords do not belong in a file others may read.",
    "Remove it; use CMASSOC_PASSWORD, the keyring, or the prompt.",
)
CONFIG_UNKNOWN_KEY = _code(
    "CMA603",
    "An unknown key in the configuration file",
    "The configuration file sets a key cmassoc does not know (the message lists those it knows).",
    "Fix the key's spelling, or remove it.",
)
CONFIG_WRONG_TYPE = _code(
    "CMA604",
    "A configuration value of the wrong type",
    "A key of the configuration file has a value of the wrong kind (text where a number belongs...).",
    "Give the value as README's example does.",
)
DEMO_LATENCY_INVALID = _code(
    "CMA605",
    "A demo latency that is not a number of seconds",
    "CMASSOC_DEMO_LATENCY must be a number of seconds between 0 and 60.",
    "Fix the variable, or unset it.",
)
NEEDS_SITE = _code(
    "CMA606",
    "Which site?",
    "The command talks to a site and needs exactly one: the demo site (--demo) or an SMS "
    "Provider (--server with --site-code).",
    "Give either --demo [SITE.db] or --server HOST --site-code ABC.",
)
SERVER_NEEDS_SITE_CODE = _code(
    "CMA607",
    "--server without --site-code",
    "An SMS Provider serves each of its sites under its site code, so --server needs one.",
    "Add --site-code with the three-character code of the primary site.",
)
NEEDS_SHEET = _code(
    "CMA608",
    "No wave sheet",
    "The command reads a wave sheet, and none was given.",
    "Give the wave sheet.",
)
UNDO_NEEDS_RUN = _code(
    "CMA609",
    "No run to undo",
    "Undo needs the run to undo and the journal that recorded it.",
    "Give the run's report or its Run ID (and --journal if it is not the default one).",
)
STATUS_NEEDS_JOURNAL = _code(
    "CMA610",
    "No journal for the run",
    "The status of a run is read through the journal that recorded it, and none was given.",
    "Give the journal with --journal, or the run's report.",
)
EXPORT_NEEDS_FILE = _code(
    "CMA611",
    "No file to export to",
    "cmassoc export needs the file to write.",
    "Give a file name ending in .xlsx or .csv.",
)
OUTPUT_IS_INPUT = _code(
    "CMA612",
    "A report would overwrite an input",
    "--report or --json names one of the command's inputs (the sheet, the users file, the "
    "journal, the demo site); cmassoc never writes over its input.",
    "Choose another path for the report.",
)
TEMPLATE_NOT_XLSX = _code(
    "CMA613",
    "The template is an .xlsx workbook",
    "cmassoc template writes an Excel workbook, and the name given does not end in .xlsx.",
    "Give a name ending in .xlsx.",
)
FILE_EXISTS = _code(
    "CMA614",
    "The file exists already",
    "The command would write a new file where one exists already, and does not replace it.",
    "Choose another name, or delete the file (cmassoc template takes --force).",
)
DEMO_STAGE_NEEDED = _code(
    "CMA615",
    "Which migration stage?",
    "cmassoc demo-site migrate moves a demo association to a stage, and none (or an unknown one) was given.",
    "Give --captured or --restored.",
)
DEMO_INVENTORY_UNREADABLE = _code(
    "CMA616",
    "A demo inventory that cannot be read",
    "The CSV files a demo site is made from could not be read.",
    "Check the paths and that the files are CSV.",
)
DEMO_INVENTORY_COLUMNS = _code(
    "CMA617",
    "A demo inventory without Name and ResourceID",
    "The demo site's inventory CSV needs the columns Name and ResourceID.",
    "Add the columns (samples/demo-inventory.csv shows the form).",
)
DEMO_NO_SUCH_ASSOCIATION = _code(
    "CMA618",
    "No such demo association",
    "The demo site has no association between the two computers named.",
    "Check the names with cmassoc demo-site show.",
)
REPORT_NAMES_NO_RUN = _code(
    "CMA619",
    "A report that names no run",
    "The report given comes from a command that made no run (validate, a dry run, status), so "
    "there is no run to undo or read.",
    "Give the report of a run (not a dry run), or the Run ID.",
)
NO_SUCH_REPORT = _code(
    "CMA620",
    "No such report",
    "The report file given does not exist.",
    "Check the path.",
)
NOT_A_REPORT_OR_RUN_ID = _code(
    "CMA621",
    "Neither a report nor a Run ID",
    "The command takes a report (.xlsx or .json) or a Run ID (like 20261123-143232-85d1), and "
    "what was given is neither.",
    "Give the run's report or its Run ID.",
)
NO_SUCH_FILE_OR_RUN = _code(
    "CMA622",
    "No such file, and not a Run ID",
    "cmassoc status takes a wave sheet, a report or a Run ID; what was given is none of them.",
    "Check the path or the Run ID.",
)
SOURCE_OR_COLLECTION = _code(
    "CMA623",
    "--source and --collection together",
    "cmassoc export takes the associations of some sources or of a collection, not both.",
    "Give --source or --collection.",
)
TRUSTED_HEADER_NEEDS_ROLES = _code(
    "CMA624",
    "--trusted-user-header without --roles",
    "With a trusted user header, the proxy says who the user is, and a roles file must say what "
    "each user may do.",
    "Add --roles with a file that gives each user a role.",
)
OPEN_HOST_WITHOUT_ACCOUNT = _code(
    "CMA625",
    "Serving the network without an account",
    "cmassoc serve would listen on the network with no account yet, which would let anyone in.",
    "Add an account first (cmassoc serve add-user NAME --role operator), or serve on 127.0.0.1.",
)
PASSWORD_TOO_SHORT = _code(
    "CMA626",
    "A password too short",
    "Passwords of cmassoc serve's accounts have at least 12 characters.",
    "Choose a longer password.",
)
ROLES_FILE_UNREADABLE = _code(
    "CMA627",
    "A roles file that cannot be read",
    "The roles file given with --roles cannot be read as TOML.",
    "Fix the file (see README, cmassoc serve).",
)
ROLES_INVALID = _code(
    "CMA628",
    "A role that does not exist",
    "Each user of the roles file must be a viewer, a planner or an operator.",
    "Fix the roles the message lists.",
)
ACCOUNT_NAME_LENGTH = _code(
    "CMA629",
    "An account name of the wrong length",
    "An account name of cmassoc serve has 1 to 100 characters.",
    "Give another name.",
)
MAP_INVALID = _code(
    "CMA630",
    "A --map that is not FIELD=HEADER",
    "--map names the column that holds a field, as FIELD=HEADER; the value given is not of "
    "that form or names no known field.",
    'Write it as, e.g., --map Source="Old PC" (fields: Source, Destination, Users, Behavior, '
    "MAC, SMBIOSGUID, Collection, SourceResourceID, RestoreResourceID).",
)
NO_RUN_TO_UNDO = _code(
    "CMA631",
    "This wave has no run to undo",
    "cmassoc serve was asked to undo a wave that has never been run.",
    "Run the wave first; there is nothing to undo.",
)
FILE_TOO_LARGE = _code(
    "CMA632",
    "A file larger than allowed",
    "The file is larger than a wave sheet may be (the limit guards against a wrong file or a hostile one).",
    "Split the wave, or raise the limit with --max-file-size MB.",
)
ZIP_BOMB = _code(
    "CMA633",
    "A workbook part that unpacks far too much",
    "A part of the workbook unpacks to many times its packed size, as a zip bomb does.",
    "Save the sheet again from Excel, or raise the limit with --max-zip-ratio.",
)
UNPACKED_TOO_LARGE = _code(
    "CMA634",
    "A workbook that unpacks too large",
    "The workbook unpacks to more than a wave sheet may.",
    "Split the wave, or raise the limit with --max-unpacked-size MB.",
)
AUTH_LOCAL_ONLY = _code(
    "CMA635",
    "An authentication that cannot reach ConfigMgr",
    "WinRM maps basic and certificate logons to local accounts of the server only, and a local "
    "account cannot hold a ConfigMgr security role.",
    "Use --auth ntlm (the default) or kerberos with a domain account that is a ConfigMgr "
    "administrative user.",
)
AUTH_UNKNOWN = _code(
    "CMA636",
    "An unknown authentication",
    "--auth names a method this connection does not offer (the message lists those it does).",
    "Choose one of the methods listed.",
)
SITE_CODE_INVALID = _code(
    "CMA637",
    "Not a site code",
    "A ConfigMgr site code is three letters or digits.",
    "Give the primary site's code, e.g. --site-code PS1.",
)
KERBEROS_PRINCIPAL = _code(
    "CMA638",
    "A Kerberos user name that is not a principal",
    "--auth kerberos takes a principal such as admin@CONTOSO.COM, not DOMAIN\\user.",
    "Give --username user@REALM, or no user name to use your logon ticket (kinit on Linux or macOS).",
)
TIMEOUTS_ORDER = _code(
    "CMA639",
    "A read timeout not longer than the operation timeout",
    "The read timeout (how long cmassoc waits for an answer) must be longer than the operation "
    "timeout (how long the server may take).",
    "Raise --read-timeout or lower --operation-timeout.",
)
SHELL_IDLE_TOO_SHORT = _code(
    "CMA640",
    "A shell idle timeout under 60 seconds",
    "The remote shell's idle timeout must be at least 60 seconds.",
    "Give 60 seconds or more.",
)
HTTPS_ONLY = _code(
    "CMA641",
    "The AdminService over HTTP",
    "The AdminService is reached over HTTPS only.",
    "Give https://host/AdminService, or only the host name.",
)
CONCURRENCY_RANGE = _code(
    "CMA642",
    "A concurrency out of range",
    "--concurrency sends between 1 and 16 requests at once to the AdminService.",
    "Give a number between 1 and 16.",
)
USERNAME_NEEDED = _code(
    "CMA643",
    "No user name",
    "This authentication needs a user name.",
    "Give --username DOMAIN\\user, or set CMASSOC_USERNAME.",
)
NO_PASSWORD = _code(
    "CMA644",
    "No password",
    "No password was given for the user, none is in the keyring, and cmassoc cannot ask for "
    "one (it does not run in a terminal).",
    "Set CMASSOC_PASSWORD, store it with keyring set, or run in a terminal to be asked.",
)
TOKEN_NEEDED = _code(
    "CMA645",
    "--auth bearer without a token",
    "Bearer authentication (through a cloud management gateway) needs a token, or what it takes "
    "to sign in with a device code.",
    "Set CMASSOC_TOKEN, or CMASSOC_CMG_CLIENT_ID, CMASSOC_CMG_TENANT and CMASSOC_CMG_SCOPE "
    "(README, 'Through a cloud management gateway').",
)
MSAL_MISSING = _code(
    "CMA646",
    "Device-code sign-in needs msal",
    "Signing in with a device code uses the msal package, which is not installed.",
    "pip install 'cm-association-importer[cmg]'.",
)
SERVING = _code(
    "CMA647",
    "Serving",
    "cmassoc serve is running: the message gives its address and data folder.",
    "Open the address in a browser; Ctrl-C stops the server.",
)
NO_ACCOUNT_YET = _code(
    "CMA648",
    "No account yet",
    "cmassoc serve has no account yet, so nobody can sign in.",
    "Add one: cmassoc serve add-user NAME --role operator.",
)
ACCOUNT_SAVED = _code(
    "CMA649",
    "Account saved",
    "The account was added (or its role and password changed).",
    "Nothing.",
)
OVERWRITE_RECORDS_ON = _code(
    "CMA650",
    "--overwrite-existing-record is on",
    "With --overwrite-existing-record, importing a new computer may take over a record that "
    "holds its MAC address or SMBIOS GUID.",
    "Make sure the hardware list is right; leave the option out otherwise.",
)
EXPORTED = _code(
    "CMA651",
    "Associations exported",
    "cmassoc export wrote the associations to the file named.",
    "Nothing.",
)
DEMO_SITE_CREATED = _code(
    "CMA652",
    "A demo site created",
    "--demo named no site file that exists, so the simulated site was created there from the "
    "sample inventory (and its sample associations).",
    "Nothing; cmassoc demo-site show lists what it holds.",
)
IGNORE_COLUMN_EMPTY = _code(
    "CMA653",
    "--ignore-column without a header",
    "--ignore-column names a column of the sheet by its header, and the value given is empty.",
    'Give the column\'s header as the sheet has it, e.g. --ignore-column "USMT behaviour".',
)
COLLECTION_OPTIONS_ALONE = _code(
    "CMA654",
    "--skip-collection or --include-collection without --copy-collections",
    "--skip-collection and --include-collection say which of the old computers' collections are "
    "copied, so they only mean something with --copy-collections.",
    "Add --copy-collections, or leave the other two out.",
)


# --- CMA700-799: the site connection --------------------------------------------------------
HOST_NOT_FOUND = _code(
    "CMA700",
    "Host name not found",
    "The server's name cannot be resolved (DNS).",
    "Check --server (the SMS Provider's name).",
)
PORT_CLOSED = _code(
    "CMA701",
    "Nothing answers on the port",
    "cmassoc doctor could not open a connection to the server's port.",
    "Check the listener (WinRM: winrm enumerate winrm/config/listener; HTTPS 5986, HTTP 5985; "
    "the AdminService: HTTPS 443) and the firewall.",
)
WINRM_NOT_LISTENING = _code(
    "CMA702",
    "WinRM is not listening",
    "The server refused the connection: no WinRM listener on that port.",
    "Check the port (HTTPS 5986, HTTP 5985) and the listener (winrm enumerate "
    "winrm/config/listener) on the SMS Provider.",
)
TLS_NOT_TRUSTED = _code(
    "CMA703",
    "The server's certificate is not trusted",
    "The TLS connection failed: the server's certificate is not signed by a trusted authority, "
    "or was issued to another name.",
    "Pass the CA certificate that signed it with --ca-bundle (for the AdminService, the site's "
    "SMS Issuing root), and use the host name the certificate was issued to.",
)
TLS_UNCHECKED = _code(
    "CMA704",
    "The server's certificate is not checked",
    "--insecure-skip-tls-verify: anyone in the middle could read the credentials and the data.",
    "Use it only to diagnose; pass the CA with --ca-bundle to run waves.",
)
CREDENTIALS_REJECTED = _code(
    "CMA705",
    "Credentials rejected",
    "The server rejected the user name and password (or token) (HTTP 401). A rejected logon is "
    "never retried, to spare the account a lockout.",
    "Check the user name (DOMAIN\\user) and the password.",
)
CONNECTION_LOST = _code(
    "CMA706",
    "The connection broke",
    "The connection to the provider broke or was refused after it had worked. cmassoc retries such faults.",
    "Usually nothing; if it stays broken, check the network to the SMS Provider.",
)
NO_ANSWER = _code(
    "CMA707",
    "No answer in time",
    "The provider did not answer within the timeout. cmassoc retries such faults.",
    "Usually nothing; on a slow site raise --read-timeout.",
)
PROVIDER_BUSY = _code(
    "CMA708",
    "The provider is busy",
    "The provider answered that it is busy (HTTP 502, 503, 504, 408 or 429, or a WinRM quota). "
    "cmassoc waits and retries.",
    "Usually nothing; if it lasts, run the wave later or with a smaller --batch-size.",
)
TEMPORARY_FAULT = _code(
    "CMA709",
    "A temporary fault of the provider",
    "The provider answered with a WMI error that passes (a shutdown, a busy server, a call "
    "that failed halfway). cmassoc retries such faults.",
    "Usually nothing.",
)
RETRIES_EXHAUSTED = _code(
    "CMA710",
    "Still failing after every retry",
    "The provider kept failing with temporary faults until the retries ran out; the message "
    "gives the last one.",
    "Check the connection to the SMS Provider and run the same command again: nothing is done twice.",
)
SHELL_GONE = _code(
    "CMA711",
    "The remote shell is gone",
    "The WinRM shell cmassoc works in was closed on the server (an idle timeout, a WinRM "
    "restart). cmassoc opens a new one and retries.",
    "Nothing.",
)
SHELL_ACCESS_DENIED = _code(
    "CMA712",
    "Refused a remote shell",
    "The server refused the account a WinRM shell (access denied).",
    "Allow the account to open a WinRM shell on the provider (local Administrators there). A JEA "
    "endpoint cannot run cmassoc: ask for shell access for this account.",
)
SHELL_REFUSED = _code(
    "CMA713",
    "The server would not open a remote shell",
    "Opening the WinRM shell failed; remote shells may be disabled by policy or limited to JEA endpoints.",
    "Ask for shell access for this account on the SMS Provider (policy: Windows Components > "
    "Windows Remote Shell > Allow Remote Shell Access).",
)
WINRM_ACCESS_DENIED = _code(
    "CMA714",
    "Access denied",
    "The server denied the account access while working (WinRM or WMI).",
    "Allow the account to use WinRM on the provider, and give it a ConfigMgr role.",
)
WSMAN_FAULT = _code(
    "CMA715",
    "A WS-Management fault",
    "WinRM answered with a fault cmassoc does not know; the message gives its code and reason.",
    "Look the fault up, or run cmassoc doctor with the same options.",
)
WINRM_HTTP_ERROR = _code(
    "CMA716",
    "An HTTP error from WinRM",
    "The WinRM service answered with an HTTP error.",
    "Run cmassoc doctor with the same options to see which step fails.",
)
WINRM_CLIENT_ERROR = _code(
    "CMA717",
    "A WinRM client error",
    "The WinRM client failed; the message says how (for Kerberos or CredSSP, an extra package "
    "may be missing).",
    "Do what the message says, or run cmassoc doctor with the same options.",
)
SITE_CODE_NOT_FOUND = _code(
    "CMA718",
    "No such site on this provider",
    "The server has no root\\SMS\\site_ABC namespace (ABC: the site code given): the site code is "
    "wrong, or the host is not an SMS Provider of that site.",
    "Check the site code and that the host is an SMS Provider of that site.",
)
NAMESPACE_ACCESS_DENIED = _code(
    "CMA719",
    "Access denied to the site",
    "The account may not open the site's namespace on the SMS Provider.",
    "Make the account a ConfigMgr administrative user with a role that may read devices and "
    "create computer associations (e.g. Operating System Deployment Manager). Where the "
    "hierarchy requires certificate or Windows Hello logons, a password logon is refused.",
)
NAMESPACE_FAILED = _code(
    "CMA720",
    "The site's namespace cannot be opened",
    "Opening the site's WMI namespace failed with the error shown.",
    "Look the error up, or run cmassoc doctor with the same options.",
)
SCRIPT_BLOCKED_BY_ANTIVIRUS = _code(
    "CMA721",
    "The antivirus blocked cmassoc's script",
    "The antivirus on the server (through AMSI) blocked the PowerShell script cmassoc runs there.",
    "Ask the security team to allow it (README: what security teams will see), or run from a "
    "host where it is allowed.",
)
SCRIPT_REFUSED = _code(
    "CMA722",
    "PowerShell would not run cmassoc's script",
    "PowerShell on the server ended before running cmassoc's script; the message gives what it said.",
    "Run cmassoc doctor with the same options to see which check fails.",
)
POWERSHELL_ENDED = _code(
    "CMA723",
    "PowerShell on the server ended",
    "The PowerShell process cmassoc works in ended while working. cmassoc opens a new one and retries.",
    "Usually nothing.",
)
CONSTRAINED_LANGUAGE = _code(
    "CMA724",
    "PowerShell runs in a restricted language mode",
    "PowerShell on the server runs in Constrained Language mode (WDAC or AppLocker script "
    "enforcement), which cannot run cmassoc's script.",
    "Ask for an exception for this account or host, or run cmassoc on a host in Full Language mode.",
)
SERVER_REFUSED = _code(
    "CMA725",
    "The server refused",
    "cmassoc's script on the server refused to work; the message says why.",
    "Do what the message says, or run cmassoc doctor with the same options.",
)
PROTOCOL_MISMATCH = _code(
    "CMA726",
    "Another version of cmassoc's protocol",
    "The script on the server speaks another version of cmassoc's protocol.",
    "Run one version of cmassoc throughout; report it to the maintainers if it persists.",
)
BOOTSTRAP_NOT_READY = _code(
    "CMA727",
    "cmassoc's script never started",
    "The PowerShell script cmassoc starts on the server never said it was ready.",
    "Run cmassoc doctor with the same options to see which check fails.",
)
UNREADABLE_REPLY = _code(
    "CMA728",
    "An unreadable reply",
    "The provider's reply is not what the protocol promises (malformed, empty, endless pages). "
    "It is never retried nor read as an empty answer.",
    "Run the command again; if it persists, report it to cmassoc's maintainers with --debug output.",
)
REPLY_TOO_LARGE = _code(
    "CMA729",
    "A reply larger than cmassoc reads",
    "The provider sent a reply far larger than any answer cmassoc asks for.",
    "Check that --server names the SMS Provider; report it to the maintainers if it does.",
)
OPERATION_TIMEOUT_ABOVE_MAX = _code(
    "CMA730",
    "An operation timeout above WinRM's maximum",
    "--operation-timeout is above WinRM's default maximum (MaxTimeoutms): unless the server "
    "allows more, every request will fault.",
    "Lower --operation-timeout, or raise MaxTimeoutms on the server.",
)
ADMINSERVICE_FORBIDDEN = _code(
    "CMA731",
    "May not use the AdminService",
    "The AdminService refused the account (HTTP 403).",
    "Make the account a ConfigMgr administrative user with a role that may create computer associations.",
)
ADMINSERVICE_NOT_OFFERED = _code(
    "CMA732",
    "The AdminService does not offer what cmassoc needs",
    "This site's AdminService does not offer a class or method cmassoc uses (its WMI route is "
    "an allow-list that grows with ConfigMgr versions; static methods need 1910 or later).",
    "Use --via winrm, or update ConfigMgr; cmassoc doctor --via adminservice lists what it offers.",
)
ADMINSERVICE_HTTP_ERROR = _code(
    "CMA733",
    "An HTTP error from the AdminService",
    "The AdminService answered with an HTTP error.",
    "Run cmassoc doctor --via adminservice with the same options.",
)
SIGN_IN_FAILED = _code(
    "CMA734",
    "Entra ID sign-in failed",
    "Signing in with a device code failed, or gave no token; the message gives Entra ID's reason.",
    "Check CMASSOC_CMG_CLIENT_ID, CMASSOC_CMG_TENANT and CMASSOC_CMG_SCOPE, and sign in again.",
)
DEVICE_CODE_SIGN_IN = _code(
    "CMA735",
    "Sign in with a device code",
    "Entra ID's instructions for the device-code sign-in: a page to open and a code to enter.",
    "Do what the message says.",
)
NOT_PRIMARY_SITE = _code(
    "CMA736",
    "Not a primary site",
    "The site is a central administration site or a secondary site. Computer associations are "
    "site-specific and are made on the primary site that holds both computers.",
    "Connect to the SMS Provider of the primary site, with its site code.",
)
QUERY_FAILED = _code(
    "CMA737",
    "A query on the site failed",
    "Reading from the site failed with the WMI error shown.",
    "Look the error up, or run cmassoc doctor with the same options.",
)
QUERY_ACCESS_DENIED = _code(
    "CMA738",
    "A class the account may not read",
    "The site refused the account a query (access denied).",
    "Give the account a ConfigMgr role that may read the class named.",
)
QUERY_TOO_LARGE = _code(
    "CMA739",
    "A query too large for WMI",
    "One of cmassoc's own queries was too large for WMI (a fault of cmassoc's).",
    "Report it to cmassoc's maintainers; a smaller --batch-size may avoid it meanwhile.",
)
DEMO_SITE_MISSING = _code(
    "CMA740",
    "No such demo site",
    "The demo site file named does not exist.",
    "Create it with cmassoc demo-site create, or use --demo without a path for the default one.",
)
DEMO_SITE_UNUSABLE = _code(
    "CMA741",
    "A demo site this version cannot use",
    "The file named is not a demo site, or was made by another version of cmassoc.",
    "Create a new demo site with cmassoc demo-site create.",
)
RETRYING = _code(
    "CMA742",
    "Retrying after a temporary fault",
    "A request to the provider failed with a temporary fault (the message says which); cmassoc "
    "waits and tries again, and never does anything twice.",
    "Nothing, unless it keeps failing (then the command stops with CMA710).",
)


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
