"""PowerShell's `#< CLIXML` error stream, as plain text a person can read.

powershell.exe started with -EncodedCommand and a redirected stderr writes every error as
serialised objects (`#< CLIXML` then `<Objs>...</Objs>`), with characters escaped as
`_xHHHH_`. This keeps the text of the error records and drops the rest.
"""

from __future__ import annotations

import re

from defusedxml import ElementTree

_MARKER = "#< CLIXML"
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def decode_stderr(raw: bytes | str) -> str:
    """Plain text of a stderr stream that may hold CLIXML documents between ordinary lines."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if _MARKER not in text:
        return text.strip()
    pieces: list[str] = []
    for chunk in text.split(_MARKER):
        chunk = chunk.strip()
        if not chunk:
            continue
        start, end = chunk.find("<Objs"), chunk.rfind("</Objs>")
        if start < 0 or end < 0:
            pieces.append(chunk)
            continue
        if start > 0:
            pieces.append(chunk[:start].strip())
        try:
            root = ElementTree.fromstring(chunk[start : end + len("</Objs>")])
        except Exception:  # not ours to fix: show what there is
            pieces.append(chunk[start:])
            continue
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] == "S" and element.get("S") == "Error" and element.text:
                pieces.append(_unescape(element.text))
        pieces.append(chunk[end + len("</Objs>") :].strip())
    lines = [line.strip() for piece in pieces for line in piece.replace("\r", "").split("\n")]
    return "\n".join(line for line in lines if line)
