"""The line protocol between cmassoc and the PowerShell bootstrap on the SMS Provider.

Client -> server, one line per batch on stdin:   base64(UTF-8 JSON request) LF
Server -> client, one line per batch on stdout:  "R <batch id> " base64(UTF-8 JSON reply) LF
The server's first line is "READY <protocol version>"; if its PowerShell cannot run the
script (Constrained Language Mode), it says "REFUSED language <mode>" instead and ends.

    request: {"id": "1f", "ops": [op, ...]}
      op:    {"op": "hello", "site": "ABC"}
             {"op": "query", "class": C, "properties": [P...], "keys": [K...],
              "values": [V...], "lazy": [P...]}
               one key: K IN (values); several: (K1 = V AND K2 = V ...) OR ...; values is
               flat, len(keys) per match
             {"op": "get", "class": C, "properties": [P...], "keys": [K...], "values": [V...],
              "lazy": [P...]}   each match is a whole key, read by object path
             {"op": "call", "class": C, "method": M, "params": {...}, "instance": {K: V}?}
               with "instance", an instance method on C.K="V" (or DeleteInstance for
               method "Delete"); a param that is a list of objects with "__class" becomes an
               array of embedded instances of that class
    reply:   {"id": "1f", "results": [result, ...]}   one result per op, in order
      result: {"columns": [P...], "rows": [[V...]...]} | {"return_value": N, "out": {...}} | {"hello": {...}}
              | {"error": {"code": N, "message": S, "extended": {...}}}

Spreadsheet text only ever travels inside the JSON, base64-wrapped twice (JSON, then
the WS-Management stream), so no codepage or quoting can turn it into code. Queries and
rows are columnar (names once, then values) to keep a 200-pair batch within one Send and
its reply within one Receive. There is no compression: a plain base64 JSON line is what a
security team can read back from a capture, and batches are small.

Replies are checked strictly: a reply whose shape is not the protocol's is a ProtocolError
naming the batch, never rows silently dropped.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from importer import messages as M
from importer.errors import ProtocolError
from importer.site.provider import CallResult, MethodCall, Query, QueryResult, WmiError

REPLY_PREFIX = "R "
READY_PREFIX = "READY "
REFUSED_PREFIX = "REFUSED "
PROTOCOL = "3"


def encode_line(payload: Mapping[str, Any]) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(data) + b"\n"


def decode_line(line: bytes | str) -> dict[str, Any]:
    raw = base64.b64decode(line.strip() if isinstance(line, bytes) else line.strip().encode("ascii"))
    value = json.loads(raw.decode("utf-8"))
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
        "op": "get" if query.by_key else "query",
        "class": query.class_name,
        "properties": list(query.properties),
        "keys": keys,
        "values": [value for match in query.matches for _, value in match],
        "lazy": list(query.lazy),
    }


def call_op(call: MethodCall) -> dict[str, Any]:
    op = {"op": "call", "class": call.class_name, "method": call.method, "params": dict(call.params)}
    if call.instance is not None:
        op["instance"] = dict(call.instance)
    return op


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
        by_key=op.get("op") == "get",
    )


def call_from_op(op: Mapping[str, Any]) -> MethodCall:
    instance = op.get("instance")
    return MethodCall(
        str(op["class"]),
        str(op["method"]),
        dict(op["params"]),
        dict(instance) if instance is not None else None,
    )


def error_dict(error: WmiError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "extended": dict(error.extended)}}


def query_result_dict(result: QueryResult, columns: Sequence[str]) -> dict[str, Any]:
    if result.error:
        return error_dict(result.error)
    return {"columns": list(columns), "rows": [[row.get(c) for c in columns] for row in result.rows]}


def call_result_dict(result: CallResult) -> dict[str, Any]:
    if result.error:
        return error_dict(result.error)
    answer: dict[str, Any] = {"return_value": result.return_value}
    if result.out:
        answer["out"] = dict(result.out)
    return answer


def _error(result: Mapping[str, Any], where: str) -> WmiError | None:
    if "error" not in result:
        return None
    error = result["error"]
    code = error.get("code") if isinstance(error, Mapping) else None
    if not isinstance(code, int) or isinstance(code, bool):
        raise ProtocolError(
            f"{where}: an error without a numeric code ({str(error)[:120]!r}).", code=M.UNREADABLE_REPLY
        )
    extended = error.get("extended") or {}
    return WmiError(
        code & 0xFFFFFFFF,
        str(error.get("message") or ""),
        dict(extended) if isinstance(extended, Mapping) else {},
    )


def query_result(result: Mapping[str, Any], where: str = "a query") -> QueryResult:
    error = _error(result, where)
    if error is not None:
        return QueryResult(error=error)
    columns, rows = result.get("columns"), result.get("rows")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ProtocolError(f"{where}: the reply has no column list.", code=M.UNREADABLE_REPLY)
    if not isinstance(rows, list):
        raise ProtocolError(
            f"{where}: the reply's rows are a {type(rows).__name__}, not a list.", code=M.UNREADABLE_REPLY
        )
    out = []
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise ProtocolError(
                f"{where}: row {index + 1} of the reply is not a list of {len(columns)} values "
                f"({str(row)[:80]!r}).",
                code=M.UNREADABLE_REPLY,
            )
        out.append(dict(zip(columns, row, strict=True)))
    return QueryResult(rows=out)


def call_result(result: Mapping[str, Any], where: str = "a call") -> CallResult:
    error = _error(result, where)
    if error is not None:
        return CallResult(error=error)
    value = result.get("return_value")
    if not isinstance(value, int) or isinstance(value, bool):
        # Its fields named, never their values: a call's out parameters may hold a recovery key.
        raise ProtocolError(
            f"{where}: the reply has no ReturnValue (it holds {sorted(result)}).", code=M.UNREADABLE_REPLY
        )
    out = result.get("out") or {}
    if not isinstance(out, Mapping):
        raise ProtocolError(
            f"{where}: the reply's out parameters are not an object.", code=M.UNREADABLE_REPLY
        )
    return CallResult(return_value=value, out=dict(out))


def hello_error(result: Mapping[str, Any]) -> WmiError | None:
    return _error(result, "hello")
