"""The fields a wave sheet may hold, by the names the code uses and the titles people read."""

from __future__ import annotations

SOURCE = "source"
DESTINATION = "destination"
USERS = "users"
BEHAVIOR = "behavior"
SOURCE_ID = "source_resource_id"
RESTORE_ID = "restore_resource_id"
MAC = "mac"  # the new (destination) computer's, for importing it
SMBIOS_GUID = "smbios_guid"
COLLECTION = "collection"  # device collection(s) the destination joins

FIELD_TITLES = {
    SOURCE: "Source",
    DESTINATION: "Destination",
    USERS: "Users",
    BEHAVIOR: "Behavior",
    SOURCE_ID: "SourceResourceID",
    RESTORE_ID: "RestoreResourceID",
    MAC: "MAC Address",
    SMBIOS_GUID: "SMBIOS GUID",
    COLLECTION: "Collection",
}


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
