"""The line protocol between cmassoc and the PowerShell bootstrap on the SMS Provider.

Client -> server, one line per batch on stdin:   base64(deflate(UTF-8 JSON request)) LF
Server -> client, one line per batch on stdout:  "R <batch id> " base64(deflate(UTF-8 JSON reply)) LF
The server's first line is "READY <protocol version>". Deflate is raw (RFC 1951), what
.NET's DeflateStream reads and writes: names and IDs shrink five- to tenfold.

    request: {"id": "1f", "ops": [op, ...]}
      op:    {"op": "hello", "site": "ABC"}
             {"op": "query", "class": C, "properties": [P...], "keys": [K...],
              "values": [V...], "lazy": [P...]}
               matches are (K1 = V AND K2 = V ...) OR ...; values is flat, len(keys) per match
             {"op": "call", "class": C, "method": M, "params": {...}}
    reply:   {"id": "1f", "results": [result, ...]}   one result per op, in order
      result: {"columns": [P...], "rows": [[V...]...]} | {"return_value": N} | {"hello": {...}}
              | {"error": {"code": N, "message": S, "extended": {...}}}

Spreadsheet text only ever travels inside the JSON, base64-wrapped twice (JSON, then
the WS-Management stream), so no codepage or quoting can turn it into code. Queries and
rows are columnar (names once, then values) to keep a 200-pair batch within one Send and
its reply within one Receive.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from importer.provider import CallResult, MethodCall, Query, QueryResult, WmiError

REPLY_PREFIX = "R "
READY_PREFIX = "READY "
PROTOCOL = "2"


def encode_line(payload: Mapping[str, Any]) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return base64.b64encode(packer.compress(data) + packer.flush()) + b"\n"


def decode_line(line: bytes | str) -> dict[str, Any]:
    raw = base64.b64decode(line.strip() if isinstance(line, bytes) else line.strip().encode("ascii"))
    value = json.loads(zlib.decompress(raw, -15).decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("a batch line must hold a JSON object")
    return value


def reply_line(batch_id: str, results: Sequence[Mapping[str, Any]]) -> bytes:
    body = encode_line({"id": batch_id, "results": list(results)})
    return f"{REPLY_PREFIX}{batch_id} ".encode("ascii") + body


def query_op(query: Query) -> dict[str, Any]:
    keys = [name for name, _ in query.matches[0]] if query.matches else []
    if any([name for name, _ in match] != keys for match in query.matches):
        raise ValueError("every match of one query must name the same properties")
    return {
        "op": "query",
        "class": query.class_name,
        "properties": list(query.properties),
        "keys": keys,
        "values": [value for match in query.matches for _, value in match],
        "lazy": list(query.lazy),
    }


def call_op(call: MethodCall) -> dict[str, Any]:
    return {"op": "call", "class": call.class_name, "method": call.method, "params": dict(call.params)}


def hello_op(site_code: str) -> dict[str, Any]:
    return {"op": "hello", "site": site_code}


def query_from_op(op: Mapping[str, Any]) -> Query:
    keys = [str(k) for k in op["keys"]]
    values = list(op["values"])
    if keys and len(values) % len(keys):
        raise ValueError("values do not fill whole matches")
    matches = (
        tuple(
            tuple(zip(keys, values[start : start + len(keys)], strict=True))
            for start in range(0, len(values), len(keys) or 1)
        )
        if keys
        else ()
    )
    return Query(
        str(op["class"]),
        tuple(str(p) for p in op["properties"]),
        matches,
        tuple(str(p) for p in op.get("lazy", ())),
    )


def call_from_op(op: Mapping[str, Any]) -> MethodCall:
    return MethodCall(str(op["class"]), str(op["method"]), dict(op["params"]))


def error_dict(error: WmiError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "extended": dict(error.extended)}}


def query_result_dict(result: QueryResult, columns: Sequence[str]) -> dict[str, Any]:
    if result.error:
        return error_dict(result.error)
    return {"columns": list(columns), "rows": [[row.get(c) for c in columns] for row in result.rows]}


def call_result_dict(result: CallResult) -> dict[str, Any]:
    return error_dict(result.error) if result.error else {"return_value": result.return_value}


def _error(result: Mapping[str, Any]) -> WmiError | None:
    error = result.get("error")
    if not isinstance(error, Mapping):
        return None
    extended = error.get("extended") or {}
    return WmiError(
        int(error.get("code") or 0) & 0xFFFFFFFF,
        str(error.get("message") or ""),
        dict(extended) if isinstance(extended, Mapping) else {},
    )


def query_result(result: Mapping[str, Any]) -> QueryResult:
    error = _error(result)
    if error is not None:
        return QueryResult(error=error)
    columns = [str(c) for c in result.get("columns") or []]
    rows = result.get("rows") or []
    return QueryResult(rows=[dict(zip(columns, r, strict=True)) for r in rows if isinstance(r, list)])


def call_result(result: Mapping[str, Any]) -> CallResult:
    error = _error(result)
    if error is not None:
        return CallResult(error=error)
    value = result.get("return_value")
    return CallResult(return_value=int(value) if value is not None else None)


def hello_error(result: Mapping[str, Any]) -> WmiError | None:
    return _error(result)
