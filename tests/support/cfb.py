"""A small writer of OLE compound files (MS-CFB, version 3), for tests that need the container
of an Office 97-2003 file or of an encrypted or rights-managed Office file with given streams.

Every stream is padded with zero bytes to at least the mini-stream cutoff (4,096 bytes), so
all live in ordinary sectors and no mini stream is needed; siblings are chained through their right links, all black, which readers accept.
"""

from __future__ import annotations

import struct
from typing import Any

SECTOR = 512
FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
CUTOFF = 4096


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file holding `streams`, keyed by path ("Workbook", "a/b/stream"); the
    storages on the way are made as needed."""
    tree: dict[str, Any] = {}
    for path, data in streams.items():
        node = tree
        *storages, name = path.split("/")
        for storage in storages:
            node = node.setdefault(storage, {})
        node[name] = data
    entries: list[dict[str, Any]] = [{"name": "Root Entry", "type": 5, "kids": tree}]
    _flatten(entries, 0)
    datas = [e for e in entries if e["type"] == 2]
    for entry in datas:
        data = entry["data"]
        entry["padded"] = data + b"\0" * (max(CUTOFF, -(-len(data) // SECTOR) * SECTOR) - len(data))
        entry["size"] = len(entry["padded"])
    dir_sectors = -(-len(entries) // 4)
    stream_sectors = sum(len(e["padded"]) // SECTOR for e in datas)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + stream_sectors:
        fat_sectors += 1
    fat = [FAT_SECTOR] * fat_sectors
    first_dir = len(fat)
    fat += [*range(first_dir + 1, first_dir + dir_sectors), END]
    body = b""
    for entry in datas:
        count = len(entry["padded"]) // SECTOR
        entry["start"] = len(fat)
        fat += [*range(len(fat) + 1, len(fat) + count), END]
        body += entry["padded"]
    fat += [FREE] * (fat_sectors * 128 - len(fat))
    directory = b"".join(_entry(e) for e in entries)
    directory += b"\0" * (dir_sectors * SECTOR - len(directory))
    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, fat_sectors, first_dir, 0, CUTOFF, END, 0, END, 0)
        + struct.pack("<109I", *difat)
    )
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + body


def _flatten(entries: list[dict[str, Any]], index: int) -> None:
    kids = entries[index].pop("kids")
    previous = None
    for name, value in kids.items():
        entry: dict[str, Any] = {"name": name}
        if isinstance(value, dict):
            entry.update(type=1, kids=value)
        else:
            entry.update(type=2, data=value)
        entries.append(entry)
        number = len(entries) - 1
        if previous is None:
            entries[index]["child"] = number
        else:
            entries[previous]["right"] = number
        previous = number
        if entry["type"] == 1:
            _flatten(entries, number)


def _entry(entry: dict[str, Any]) -> bytes:
    name: bytes = entry["name"].encode("utf-16-le") + b"\0\0"
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBB", len(name), entry["type"], 1)
        + struct.pack("<III", NONE, entry.get("right", NONE), entry.get("child", NONE))
        + b"\0" * 16
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", entry.get("start", END if entry["type"] != 2 else 0), entry.get("size", 0))
    )
