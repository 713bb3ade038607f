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

_ALIASES: dict[str, tuple[str, ...]] = {
    SOURCE: (
        "source",
        "old",
        "from",
        "sourcecomputer",
        "sourcecomputername",
        "sourcename",
        "sourceclient",
        "sourcemachine",
        "sourcehost",
        "sourcehostname",
        "sourcepc",
        "oldcomputer",
        "oldcomputername",
        "oldname",
        "oldmachine",
        "oldhost",
        "oldhostname",
        "oldpc",
        "oldclient",
        "oldclientname",
        "sourceclientname",
        "computer",
        "computername",
    ),
    DESTINATION: (
        "destination",
        "new",
        "to",
        "restore",
        "target",
        "destinationcomputer",
        "destinationcomputername",
        "destinationname",
        "destinationclient",
        "destinationmachine",
        "destinationhost",
        "destinationpc",
        "restorecomputer",
        "restorecomputername",
        "restorename",
        "restoreclient",
        "restoreclientname",
        "restoremachine",
        "targetcomputer",
        "targetcomputername",
        "targetname",
        "targetmachine",
        "newcomputer",
        "newcomputername",
        "newname",
        "newmachine",
        "newhost",
        "newhostname",
        "newpc",
        "newclient",
        "dest",
        "destcomputer",
    ),
    USERS: (
        "users",
        "user",
        "usernames",
        "username",
        "migrationusername",
        "migrationusernames",
        "migrationusers",
        "useraccounts",
        "useraccount",
        "accounts",
        "account",
        "userstomigrate",
        "userlist",
        "primaryuser",
        "primaryusers",
    ),
    BEHAVIOR: (
        "behavior",
        "behaviour",
        "migrationbehavior",
        "migrationbehaviour",
        "useraccountmigrationbehavior",
        "useraccountmigrationbehaviour",
        "mode",
    ),
    SOURCE_ID: (
        "sourceresourceid",
        "sourceclientresourceid",
        "oldresourceid",
        "sourceid",
    ),
    RESTORE_ID: (
        "restoreresourceid",
        "restoreclientresourceid",
        "destinationresourceid",
        "newresourceid",
        "targetresourceid",
        "destinationid",
        "restoreid",
    ),
    MAC: (
        "mac",
        "macaddress",
        "macaddresses",
        "newmac",
        "newmacaddress",
        "destinationmac",
        "destinationmacaddress",
        "targetmac",
    ),
    SMBIOS_GUID: (
        "smbiosguid",
        "smbios",
        "uuid",
        "guid",
        "newguid",
        "newsmbiosguid",
        "destinationguid",
        "destinationsmbiosguid",
        "systemuuid",
    ),
    COLLECTION: (
        "collection",
        "collections",
        "collectionid",
        "collectionname",
        "devicecollection",
        "targetcollection",
        "deploymentcollection",
    ),
}
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


def is_users_sheet_name(name: str) -> bool:
    key = squash(name)
    return "user" in key or "account" in key
