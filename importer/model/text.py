"""A value as a message quotes it: on one line, every invisible or line-breaking character
shown as an escape, long values cut.

A message is one line on a console, in a report cell and in a web page. A cell may hold a
new line, a tab, an escape sequence that recolours a terminal, or a bidi control that
reverses what follows it (U+202E turns 'exe.txt' into what reads as 'txt.exe'): each is
shown as Python writes it (\\n, \\t, \\x1b, \\u202e), so the message says exactly what the
cell holds and nothing in it acts on the screen. A backslash is left as it is: it is common
in what a wave holds (CONTOSO\\ann) and rare next to a letter that would read as an escape.
"""

from __future__ import annotations

import unicodedata

__all__ = ["quoted"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control characters, format characters (bidi controls, zero-width ones, the BOM), line and
# paragraph separators, and lone surrogates (undecodable bytes kept by a reader).
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def quoted(text: str, limit: int = 60) -> str:
    """`text` as a message shows it (without the quotes around it): control, format and
    line-breaking characters escaped, and, past `limit` characters, cut with an ellipsis and
    its length, so no message grows with its input or runs over more than one line."""
    shown = text if len(text) <= limit else text[:limit]
    if not shown.isprintable() or not shown.isascii():
        shown = "".join(
            _escape(ch) if unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch for ch in shown
        )
    return shown if len(text) <= limit else f"{shown}... ({len(text):,} characters)"
