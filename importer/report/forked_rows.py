"""Rows of a large sheet written by a forked helper while this process writes the rows before
them: the report uses both cores.

Deflate streams can be laid end to end (as pigz does): a part compressed on its own and
ended on a byte boundary (a sync flush) is spliced into the sheet's zip member after the
rows written here, and the member's CRC is the two CRCs combined (zlib's crc32_combine,
which Python's zlib does not expose). The member stays one ordinary deflated zip member.

The helper is an importer.forked child (Linux only); anywhere else, or if it fails, the
caller writes its rows itself.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

_MEMBER_FIELDS = ("_compressor", "_crc", "_file_size", "_compress_size", "_fileobj")


def _times(matrix: list[int], vector: int) -> int:
    total, index = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, row) for row in matrix]


def crc32_combine(first: int, second: int, length: int) -> int:
    """The CRC-32 of A + B from crc32(A), crc32(B) and len(B): zlib's algorithm, appending
    len(B) zero bytes to A's CRC by squaring the one-zero-bit operator over GF(2)."""
    if length <= 0:
        return first
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four
    while True:
        even = _square(odd)  # the first pass: one zero byte
        if length & 1:
            first = _times(even, first)
        length >>= 1
        if not length:
            break
        odd = _square(even)
        if length & 1:
            first = _times(odd, first)
        length >>= 1
        if not length:
            break
    return first ^ second


LEVEL = 1  # the workbook's deflate level: its sheets are large, and level 1 is fast


def new_compressor() -> Any:
    """What zipfile uses for ZIP_DEFLATED at compresslevel LEVEL: raw deflate, no header."""
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -15)


@dataclass
class Part:
    """Rows compressed in the helper: raw deflate ended on a byte boundary, with the CRC
    and length of what went in."""

    chunks: list[bytes] = field(default_factory=list)
    crc: int = 0
    size: int = 0
    rows: int = 0
    columns: int = 0
    _compressor: Any = field(default_factory=new_compressor)

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        if out := self._compressor.compress(data):
            self.chunks.append(out)

    def close(self) -> None:
        self.chunks.append(self._compressor.flush(zlib.Z_SYNC_FLUSH))
        self._compressor = None


def can_splice(member: object) -> bool:
    """zipfile's member writer as this module knows it (CPython 3.11's and the current source
    alike; without them the helper's rows are written here instead)."""
    return all(hasattr(member, name) for name in _MEMBER_FIELDS) and member._compressor is not None  # type: ignore[attr-defined]


def splice(member: Any, part: Part) -> None:
    """Ends what `member` compressed so far on a byte boundary, lays `part` after it, and
    goes on with a fresh compressor; the CRC and sizes zipfile writes at close are kept
    right."""
    head = member._compressor.flush(zlib.Z_SYNC_FLUSH)
    out = member._fileobj
    for data in (head, *part.chunks):
        out.write(data)
        member._compress_size += len(data)
    member._crc = crc32_combine(member._crc, part.crc, part.size)
    member._file_size += part.size
    member._compressor = new_compressor()
