"""WMI's DMTF datetimes (yyyymmddHHMMSS.mmmmmmsUUU) as real dates and as ISO text."""

from __future__ import annotations

import datetime as dt
import re

DMTF_NO_VALUE = "00000000000000.000000+***"
_DMTF = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3}|\*{3})$")


def parse_dmtf(text: object) -> dt.datetime | None:
    """A DMTF datetime, or None for WMI's "no value" (all zeros) and anything unreadable.
    The offset is minutes from UTC; `***` means the offset is not known (naive result)."""
    match = _DMTF.match(str(text or "").strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, micro, sign, offset = match.groups()
    if year == "0000":
        return None
    tz = None
    if offset != "***":
        minutes = int(offset) * (1 if sign == "+" else -1)
        tz = dt.timezone(dt.timedelta(minutes=minutes))
    try:
        return dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), int(micro), tzinfo=tz
        )
    except ValueError:
        return None


def parse_time(value: object) -> dt.datetime | None:
    """A point in time as a provider gives it: a DMTF datetime over WMI, an ISO 8601 one (with
    Z or an offset) over the AdminService; None for "no value" and anything unreadable."""
    text = str(value or "").strip()
    if _DMTF.match(text):
        return parse_dmtf(text)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.year > 1 else None


def iso_date(text: object) -> str:
    """The date part of a DMTF or ISO datetime as YYYY-MM-DD; empty for "no value"."""
    value = str(text or "").strip()
    parsed = parse_dmtf(value)
    if parsed is not None:
        return parsed.date().isoformat()
    if _DMTF.match(value):
        return ""
    return value[:10]
