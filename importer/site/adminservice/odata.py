"""Queries and method calls as the AdminService's WMI route takes them, and its answers back.

- a query: GET .../wmi/Class?$select=A,B&$filter=(K eq 'v' and L eq 2) or ...
- a keyed read: GET .../wmi/Class(K1=1,K2=2) (lazy properties come with it; 404: absent)
- a static method: POST .../wmi/Class.Method with the in-parameters as JSON
- an instance method: POST .../wmi/Class(K='v')/AdminService.Method
- an instance deleted: DELETE .../wmi/Class(K=1)
- which actions the service binds to which type: its $metadata (CSDL), read by `bindings`

Embedded objects name their class as "@odata.type": "#AdminService.Class". An error is
{"error": {"code", "message", "innererror"}}; a WMI HRESULT and SMS_ExtendedStatus fields are
read from wherever the body carries them. Spreadsheet text only ever travels as an OData
literal (quotes doubled) inside a percent-encoded URL, or as a JSON string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from importer.site.provider import (
    DELETE_INSTANCE,
    EMBEDDED_CLASS,
    EXTENDED_FIELDS,
    Match,
    MethodCall,
    Query,
    Value,
    WmiError,
)

ODATA_TYPE = "@odata.type"
TYPE_PREFIX = "#AdminService."
_HRESULT = re.compile(r"0x(8[0-9A-Fa-f]{7})")


def literal(value: Value | bool) -> str:
    """An OData literal: strings in single quotes (a quote doubled), numbers bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def key_segment(keys: Mapping[str, Value] | Match) -> str:
    """(K1=v1,K2=v2): named keys always, so a class's key names never have to be guessed."""
    items = keys.items() if isinstance(keys, Mapping) else keys
    return "(" + ",".join(f"{name}={literal(value)}" for name, value in items) + ")"


def filter_text(matches: Sequence[Match]) -> str:
    terms = []
    for match in matches:
        parts = [f"{name} eq {literal(value)}" for name, value in match]
        terms.append(parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")")
    return " or ".join(terms)


def query_url(base: str, query: Query, matches: Sequence[Match] | None = None) -> str:
    matches = query.matches if matches is None else matches
    url = f"{base}/wmi/{query.class_name}?$select={','.join(query.properties)}"
    if matches:
        url += "&$filter=" + quote(filter_text(matches), safe="()',=")
    return url


def keyed_url(
    base: str, class_name: str, match: Match | Mapping[str, Value], select: Sequence[str] = ()
) -> str:
    url = f"{base}/wmi/{class_name}" + quote(key_segment(match), safe="()',=")
    return f"{url}?$select={','.join(select)}" if select else url


def call_request(base: str, call: MethodCall) -> tuple[str, str, dict[str, Any] | None]:
    """(HTTP method, URL, JSON body) for a method call or an instance deletion."""
    if call.instance is not None and call.method == DELETE_INSTANCE:
        return "DELETE", keyed_url(base, call.class_name, call.instance), None
    if call.instance is not None:
        url = keyed_url(base, call.class_name, call.instance) + f"/AdminService.{call.method}"
    else:
        url = f"{base}/wmi/{call.class_name}.{call.method}"
    return "POST", url, to_json(call.params)


def to_json(value: Any) -> Any:
    """Parameters as the service takes them: an embedded object's class as @odata.type."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if key == EMBEDDED_CLASS:
                out[ODATA_TYPE] = TYPE_PREFIX + str(item)
            else:
                out[str(key)] = to_json(item)
        return out
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """The reverse of to_json, and OData's annotations (@odata.*) dropped."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == ODATA_TYPE and isinstance(item, str):
                out[EMBEDDED_CLASS] = item.removeprefix("#").removeprefix("AdminService.")
            elif not str(key).startswith("@") and "@odata." not in str(key):
                out[str(key)] = from_json(item)
        return out
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def rows_of(body: Any) -> list[dict[str, Any]]:
    """The instances of a query's or a keyed read's answer ({"value": [...]} or one object)."""
    if isinstance(body, Mapping) and isinstance(body.get("value"), list):
        return [from_json(r) for r in body["value"] if isinstance(r, Mapping)]
    if isinstance(body, Mapping):
        return [from_json(body)]
    raise ValueError("not an OData answer")


def error_of(body: Any, status: int) -> tuple[WmiError, bool]:
    """The WMI error an OData error body carries, and whether it carried a WMI code at all."""
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return WmiError(0, f"HTTP {status}"), False
    message = str(error.get("message") or "").strip()
    code = _code(error.get("code"))
    inner = error.get("innererror")
    extended: dict[str, object] = {}
    if isinstance(inner, Mapping):
        code = code or _code(inner.get("code")) or _code(inner.get("HResult"))
        extended = {k: v for k, v in inner.items() if k in EXTENDED_FIELDS}
        message = message or str(inner.get("message") or "").strip()
    found = _HRESULT.search(message)
    if code is None and found:
        code = int(found.group(1), 16)
    return WmiError(code or 0, message or f"HTTP {status}", extended), code is not None


def _code(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value & 0xFFFFFFFF if value & 0x80000000 else None
    if isinstance(value, str):
        text = value.strip()
        found = _HRESULT.fullmatch(text.lower())  # 0X80041001 as well as 0x80041001
        if found:
            return int(found.group(1), 16)
        if text.lstrip("-").isdigit():
            number = int(text) & 0xFFFFFFFF
            return number if number & 0x80000000 else None
    return None


def bindings(csdl: str) -> dict[str, set[str]]:
    """Each bound action of a $metadata document, with the types it is bound to: "Class" for
    an instance of Class, "Collection(Class)" for the class itself (namespace dropped)."""
    from defusedxml import ElementTree

    found: dict[str, set[str]] = {}
    try:
        root = ElementTree.fromstring(csdl)
    except ElementTree.ParseError:
        return found
    for action in root.iter():
        if not str(action.tag).endswith("}Action") and action.tag != "Action":
            continue
        if str(action.get("IsBound", "")).lower() != "true":
            continue
        parameters = [p for p in action if str(p.tag).endswith("Parameter")]
        if not parameters:
            continue
        bound = str(parameters[0].get("Type") or "")
        collection = bound.startswith("Collection(")
        name = bound.removeprefix("Collection(").removesuffix(")").rsplit(".", 1)[-1]
        found.setdefault(str(action.get("Name")), set()).add(f"Collection({name})" if collection else name)
    return found
