"""Which spreadsheet headers mean which field (the header aliases).

Headers are compared with case, spaces and punctuation removed, so "Old Computer",
"old_computer" and "OLD-COMPUTER" are one name.
"""

from __future__ import annotations

import re

from importer.model.fields import (
    BEHAVIOR,
    COLLECTION,
    DESTINATION,
    MAC,
    RESTORE_ID,
    SMBIOS_GUID,
    SOURCE,
    SOURCE_ID,
    USERS,
)

# Where the names come from, in the order they are given for each field:
#   SMS   SMS_StateMigration's property names (/work/shared/reference/sms_statemigration-class.md):
#         what `Get-CMComputerAssociation | Export-Csv` writes as headers
#   NEW   New-CMComputerAssociation's parameters and their aliases, which Get- and
#         Set-CMComputerAssociation share (MicrosoftDocs/sccm-docs-powershell-ref,
#         sccm-ps/ConfigurationManager/New-, Get-, Set-CMComputerAssociation.md)
#   ICI   Import-CMComputerInformation's parameters (same repository, Import-CMComputerInformation.md)
#   CON   the console: Create Computer Association's Source computer / Destination computer and
#         User Accounts tab (memdocs osd/get-started/manage-user-state.md), the Computer
#         Association node's Source Computer column (ConfigMgr 2007 console help, "Computer
#         Association Node", kept at systemscenter.ru/smsv4.en/html/aa665065-5be8-42a0-b118-
#         188abccf93fb.htm), the Import Computer Information file's header (see WIZARD_HEADER)
#   OURS  cmassoc's own template, export and report
#   TEAM  the words migration teams' own sheets use (kept from the first sheets we were given;
#         no public source)
_ALIASES: dict[str, tuple[str, ...]] = {
    SOURCE: (
        "sourcename",  # SMS; NEW (-SourceComputer's alias)
        "sourcecomputer",  # NEW; CON ("Source computer", "Source Computer")
        "sourcecomputername",  # ICI (-SourceComputerName)
        "source",  # OURS (template, export)
        *("old", "from", "sourceclient", "sourceclientname", "sourcemachine", "sourcehost"),  # TEAM
        *("sourcehostname", "sourcepc", "oldcomputer", "oldcomputername", "oldname", "oldmachine"),
        *("oldhost", "oldhostname", "oldpc", "oldclient", "oldclientname", "computer", "computername"),
    ),
    DESTINATION: (
        "restorename",  # SMS; NEW (-DestinationComputer's alias)
        "destinationcomputer",  # NEW; CON ("Destination computer")
        "destination",  # OURS
        "restore",  # SMS's word for the destination (RestoreClientResourceID, RestoreName)
        *("new", "to", "target", "destinationcomputername", "destinationname", "destinationclient"),
        *("destinationmachine", "destinationhost", "destinationpc", "restorecomputer"),  # TEAM
        *("restorecomputername", "restoreclient", "restoreclientname", "restoremachine"),
        *("targetcomputer", "targetcomputername", "targetname", "targetmachine", "newcomputer"),
        *("newcomputername", "newname", "newmachine", "newhost", "newhostname", "newpc"),
        *("newclient", "dest", "destcomputer"),
    ),
    USERS: (
        "usernames",  # SMS (UserNames)
        "migrationusername",  # NEW (-MigrationUserName)
        "addmigrationusername",  # Set-CMComputerAssociation -AddMigrationUserName
        "username",  # ICI (-UserName)
        "useraccounts",  # CON (the User Accounts tab)
        "users",  # OURS
        "primaryuser",  # CON: a device list's "Primary User(s)" column
        "primaryusers",
        *("user", "migrationusernames", "migrationusers", "useraccount", "accounts", "account"),
        *("userstomigrate", "userlist"),  # TEAM
    ),
    BEHAVIOR: (
        "migrationbehavior",  # SMS; NEW (-MigrationBehavior)
        "useraccountmigrationbehavior",  # ICI (-UserAccountMigrationBehavior)
        "migrationbehaviors",  # CON: "Select one of the following migration behaviors"
        "behavior",  # OURS (template, export)
        "behaviour",  # OURS (report)
        *("migrationbehaviour", "migrationbehaviours", "useraccountmigrationbehaviour", "mode"),  # TEAM
    ),
    SOURCE_ID: (
        "sourceclientresourceid",  # SMS
        "sourceresourceid",  # OURS
        *("oldresourceid", "sourceid"),  # TEAM
    ),
    RESTORE_ID: (
        "restoreclientresourceid",  # SMS
        "restoreresourceid",  # OURS
        *("destinationresourceid", "newresourceid", "targetresourceid", "destinationid", "restoreid"),
    ),
    MAC: (
        "macaddress",  # ICI (-MacAddress); CON (the import file's "MAC Address")
        *("mac", "macaddresses", "newmac", "newmacaddress", "destinationmac", "destinationmacaddress"),
        "targetmac",  # TEAM
    ),
    SMBIOS_GUID: (
        "smbiosguid",  # ICI (-SMBiosGuid); CON (the import file's "SMBIOS GUID")
        *("smbios", "uuid", "guid", "newguid", "newsmbiosguid", "destinationguid"),  # TEAM
        *("destinationsmbiosguid", "systemuuid"),
    ),
    COLLECTION: (
        "collectionname",  # ICI (-CollectionName)
        "collectionid",  # ICI (-CollectionId)
        "collection",  # OURS
        *("collections", "devicecollection", "targetcollection", "deploymentcollection"),  # TEAM
    ),
}
# Columns known to be carried, never read: they never stop a job and are not listed as columns
# not read. SMS_StateMigration's other properties as a cmdlet export writes them (plus
# SmsProviderObjectPath, which every ConfigMgr cmdlet's object shows first: sccm-docs-powershell-
# ref Invoke-CMQuery.md); the console's association details (ConfigMgr 2007 console help: "Migration
# date", "State deleted on", "Date state saved", "State location"); and the read-only columns of
# `cmassoc export` (importer/after/export.py) and of the reports (importer/report/excel_report.py),
# so a sheet the tool wrote runs as it is (tests/test_columns.py holds the two lists together).
# MigrationType is apart: see MIGRATION_TYPE.
KNOWN_COLUMNS = frozenset(
    (
        *("migrationid", "migrationstatus", "sitecode", "storepath"),  # SMS
        *("restorelastlogonuserdomain", "restorelastlogonusername", "restoremacaddresses"),
        *("sourcelastlogonuserdomain", "sourcelastlogonusername", "sourcemacaddresses"),
        *("storecreationdate", "storedeletiondate", "storereleasedate", "smsproviderobjectpath"),
        *("migrationdate", "statedeletedon", "datestatesaved", "statelocation"),  # CON
        *("migrationstatusreadonly", "capturedreadonly", "restoredreadonly"),  # OURS: export
        *("sourceresourceidreadonly", "restoreresourceidreadonly"),
        *("sheet", "row", "status", "messages", "userssent", "usersfrom", "newcomputer"),  # reports
        *("migration", "captured", "restored", "storedeleted", "usersonthesite"),
    )
)
# SMS_StateMigration.MigrationType: 1 side-by-side, 2 in-place, set by the site. Beside a
# behaviour column it is carried; without one, holding 0 to 2, it may be the behaviour and stops.
MIGRATION_TYPE = "migrationtype"
BEHAVIOR_WORDS = ("behavio", "usmt")  # a header with these (squashed) is about the behaviour
USERS_WORDS = ("user", "account", "logon", "login")  # ... about users

# The template's example row: left as it is, it is not a pair.
EXAMPLE_ROW = ("EXAMPLE-OLD01", "EXAMPLE-NEW01")

# The console's Import Computer Information file: Name, SMBIOS GUID, MAC Address, Source
# Computer; its "Name" is the new computer.
WIZARD_HEADER = ("Name", "SMBIOS GUID", "MAC Address", "Source Computer")

_LOOKUP = {alias: fld for fld, aliases in _ALIASES.items() for alias in aliases}


def squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def field_for(header: str) -> str | None:
    return _LOOKUP.get(squash(header))


def mapping_entry(text: str) -> tuple[str, str] | None:
    """--map's FIELD=HEADER (the web's mapping lines too): the field and the header, or None."""
    name, sep, header = text.partition("=")
    fld = field_for(name)
    header = header.strip().strip('"').strip()
    return (fld, header) if sep and header and fld is not None else None


def is_known_column(header: str) -> bool:
    return squash(header) in KNOWN_COLUMNS


def is_users_sheet_name(name: str) -> bool:
    key = squash(name)
    return "user" in key or "account" in key
