"""A ConfigMgr AdminService on loopback: HTTPS with a throwaway CA, Negotiate/NTLM through
pyspnego's acceptor (or a bearer token), the WMI route as the documentation describes it, in
front of a demo site. Faults are injected from a queue.

What it answers (and what cmassoc's client sends):
- GET  /AdminService/wmi/$metadata: CSDL naming the classes and methods offered;
- GET  /AdminService/wmi/Class?$select=..&$filter=(A eq 'x' and B eq 2) or ...: {"value": [...]};
- GET  /AdminService/wmi/Class(K=1,L=2)?$select=..: the instance, or 404 {"error": {"code": "NotFound"}};
- POST /AdminService/wmi/Class.Method and /wmi/Class(K='v')/AdminService.Method: the method's
  out-parameters with ReturnValue; a WMI failure is HTTP 500 with an OData error carrying the
  HRESULT and the SMS_ExtendedStatus fields (innererror);
- DELETE /AdminService/wmi/Class(K=1): 204.
A class or method it does not offer is 404 {"error": {"code": "ResourceNotFound"}}.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from importer.site.adminservice import odata
from importer.site.dates import parse_dmtf
from importer.site.provider import (
    DELETE_INSTANCE,
    EMBEDDED_CLASS,
    MethodCall,
    Provider,
    Query,
    Value,
    WmiError,
)
from tests.support.wsman_endpoint import drop_connection, ntlm_handshake, serve_https, server_channel_bindings

OFFERED_CLASSES = (
    "SMS_R_System",
    "SMS_StateMigration",
    "SMS_Site",
    "SMS_Admin",
    "SMS_Collection",
    "SMS_FullCollectionMembership",
    "SMS_UserMachineRelationship",
    "SMS_CombinedDeviceResources",
    "SMS_SCI_SysResUse",
    "SMS_DeploymentSummary",
    "SMS_RbacSecuredObject",
)
LAZY = ("UserNames", "CollectionRules")  # properties that come only with an instance read by key
OFFERED_METHODS = (
    "SMS_StateMigration.AddAssociationEx",
    "SMS_StateMigration.DeleteAssociation",
    "SMS_StateMigration.GetEncryptDecryptKey",
    "SMS_Site.ImportMachineEntry",
    "SMS_Collection.AddMembershipRules",
    "SMS_Collection.DeleteMembershipRule",
    "SMS_RbacSecuredObject.UserHasPermissions",
)
# Bound to an instance of their class in $metadata (the others to the class: Collection(...)),
# and served only on the route that matches.
INSTANCE_METHODS = (
    "SMS_StateMigration.GetEncryptDecryptKey",
    "SMS_Collection.AddMembershipRules",
    "SMS_Collection.DeleteMembershipRule",
)
SITE_VERSION = "5.00.9122.1000"  # 2107


@dataclass
class Fault:
    """The next request of `method` (whose path holds `path`) meets this fault instead of, or
    after, the work: 401, 403, 404, 500 (an OData error with `code`), 503, drop-before,
    drop-after (the work is done, the reply lost), slow (the work is done, the reply comes
    `seconds` late)."""

    kind: str
    method: str = "POST"
    path: str = ""
    code: int = 0x80041001
    seconds: float = 0.0


@dataclass
class ODataEndpoint:
    site_factory: Callable[[], Provider]
    username: str
    password: str
    cert_dir: Path
    token: str | None = None  # bearer tokens are accepted when set
    extended_protection: bool = False  # NTLM must carry the TLS channel binding (EPA)
    latency: float = 0.0
    classes: tuple[str, ...] = OFFERED_CLASSES
    methods: tuple[str, ...] = OFFERED_METHODS
    instance_methods: tuple[str, ...] = INSTANCE_METHODS
    faults: list[Fault] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    bodies: list[Any] = field(default_factory=list)  # every JSON body received
    urls: list[str] = field(default_factory=list)
    handshakes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    site_lock: threading.RLock = field(default_factory=threading.RLock)  # one SQLite connection
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _site: Provider | None = None

    @property
    def ca_bundle(self) -> str:
        return str(self.cert_dir / "ca.pem")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def site(self) -> Provider:
        if self._site is None:
            self._site = self.site_factory()
        return self._site

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            if self.faults and self.faults[0].method == method and self.faults[0].path in path:
                return self.faults.pop(0)
        return None

    def start(self) -> ODataEndpoint:
        endpoint = self

        class Handler(_Handler):
            owner = endpoint

        self._server = serve_https(Handler, self.cert_dir, (self.username, self.password))
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._site is not None:
            self._site.close()


class _Handler(BaseHTTPRequestHandler):
    owner: ODataEndpoint
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        ep = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if ep.latency:
            time.sleep(ep.latency)
        if not self._authenticated():
            return
        with ep.lock:
            ep.requests[method] += 1
            ep.urls.append(self.path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._json(400, {"error": {"code": "BadRequest", "message": "not JSON"}})
            return
        if body is not None:
            with ep.lock:
                ep.bodies.append(body)
        fault = ep.take_fault(method, unquote(self.path))
        if fault is not None:
            if fault.kind in ("401", "403", "503"):
                self._json(int(fault.kind), {"error": {"code": fault.kind, "message": "injected"}})
                return
            if fault.kind == "404":
                self._json(404, {"error": {"code": "ResourceNotFound", "message": "No such route"}})
                return
            if fault.kind == "500":
                self._json(500, _error(WmiError(fault.code, "Generic failure", {"Description": "injected"})))
                return
            if fault.kind == "drop-before":
                self._drop()
                return
        with ep.site_lock:
            status, answer = self._route(method, urlsplit(self.path), body)
        if fault is not None and fault.kind == "drop-after":
            self._drop()
            return
        if fault is not None and fault.kind == "slow":  # the work is done; the reply is late
            time.sleep(fault.seconds)
        if answer is None:
            self._reply(status, b"", "application/json")
        elif isinstance(answer, bytes):
            self._reply(status, answer, "application/xml")
        else:
            self._json(status, answer)

    # -- the WMI route -------------------------------------------------------------

    def _route(self, method: str, url: Any, body: Any) -> tuple[int, Any]:
        ep = self.owner
        path = unquote(url.path)
        if not path.startswith("/AdminService/wmi/"):
            return 404, {"error": {"code": "ResourceNotFound", "message": path}}
        rest = path[len("/AdminService/wmi/") :]
        if rest == "$metadata" and method == "GET":
            return 200, _metadata(ep.classes, ep.methods, ep.instance_methods)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        select = tuple(p for p in params.get("$select", "").split(",") if p)
        instance = re.fullmatch(r"(\w+)\((.*)\)(?:/AdminService\.(\w+))?", rest)
        static = re.fullmatch(r"(\w+)\.(\w+)", rest)
        if instance:
            class_name, keys, bound = instance.group(1), _keys(instance.group(2)), instance.group(3)
            if class_name not in ep.classes:
                return _missing(class_name)
            if method == "DELETE":
                return self._call(MethodCall(class_name, DELETE_INSTANCE, {}, keys), delete=True)
            if method == "POST" and bound:
                name = f"{class_name}.{bound}"
                if name not in ep.methods or name not in ep.instance_methods:
                    return _missing(name)
                return self._call(MethodCall(class_name, bound, odata.from_json(body or {}), keys))
            version = "Version" in select
            fields = tuple(p for p in select if p != "Version") or _all_properties(class_name)
            lazy = tuple(p for p in fields if p in LAZY)
            plain = tuple(p for p in fields if p not in LAZY)
            query = Query(class_name, plain, (tuple(keys.items()),), lazy, by_key=True)
            [result] = ep.site().query([query])
            if result.error is not None:
                return 500, _error(result.error)
            if not result.rows:
                return 404, {"error": {"code": "NotFound", "message": f"No such {class_name} instance"}}
            row = _as_service(dict(result.rows[0]))
            if version:
                row["Version"] = SITE_VERSION
            return 200, {"@odata.context": f"$metadata#{class_name}/$entity", **odata.to_json(row)}
        if static and method == "POST":
            name = f"{static.group(1)}.{static.group(2)}"
            if static.group(1) not in ep.classes or name not in ep.methods or name in ep.instance_methods:
                return _missing(name)
            return self._call(MethodCall(static.group(1), static.group(2), odata.from_json(body or {})))
        if re.fullmatch(r"\w+", rest) and method == "GET":
            if rest not in ep.classes:
                return _missing(rest)
            try:
                matches = _parse_filter(params.get("$filter", ""))
            except ValueError as exc:
                return 400, {"error": {"code": "BadRequest", "message": f"The query is not valid: {exc}"}}
            version = "Version" in select
            query = Query(rest, tuple(p for p in select if p != "Version"), matches)
            [result] = ep.site().query([query])
            if result.error is not None:
                return 500, _error(result.error)
            rows = [_as_service(dict(r, Version=SITE_VERSION) if version else dict(r)) for r in result.rows]
            return 200, {"@odata.context": f"$metadata#{rest}", "value": [odata.to_json(r) for r in rows]}
        return 404, {"error": {"code": "ResourceNotFound", "message": rest}}

    def _call(self, call: MethodCall, delete: bool = False) -> tuple[int, Any]:
        [result] = self.owner.site().call([call])
        if result.error is not None:
            if delete and result.error.code == 0x80041002:
                return 404, {"error": {"code": "NotFound", "message": "No such instance"}}
            return 500, _error(result.error)
        if delete:
            return 204, None
        return 200, {
            "@odata.context": "$metadata#Edm.Untyped",
            "ReturnValue": result.return_value,
            **odata.to_json(dict(result.out)),
        }

    # -- plumbing --------------------------------------------------------------------

    def _authenticated(self) -> bool:
        """A bearer token on every request, or Negotiate/NTLM once per connection."""
        ep = self.owner
        header = self.headers.get("Authorization", "")
        if ep.token is not None:
            if header == f"Bearer {ep.token}":
                return True
            self._json(
                401, {"error": {"code": "Unauthorized", "message": "token"}}, {"WWW-Authenticate": "Bearer"}
            )
            return False
        was_done = getattr(self, "_ntlm_done", False)
        bindings = server_channel_bindings(ep.cert_dir) if ep.extended_protection else None
        done = ntlm_handshake(
            self, header, lambda status, headers: self._reply(status, b"", "text/plain", headers), bindings
        )
        if done and not was_done:
            with ep.lock:
                ep.handshakes += 1
        return done

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._reply(status, json.dumps(body).encode(), "application/json", headers)

    def _reply(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        drop_connection(self)


def _as_service(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the service writes it: embedded instances typed (@odata.type), and a client's
    last activity as an OData DateTimeOffset rather than WMI's DMTF text."""
    for rule in row.get("CollectionRules") or ():
        kind = "SMS_CollectionRuleDirect" if "ResourceID" in rule else "SMS_CollectionRuleQuery"
        rule.setdefault(EMBEDDED_CLASS, kind)
    for prop in row.get("Props") or ():
        prop.setdefault(EMBEDDED_CLASS, "SMS_EmbeddedProperty")
    when = parse_dmtf(row.get("LastActiveTime"))
    if "LastActiveTime" in row:
        row["LastActiveTime"] = when.isoformat().replace("+00:00", "Z") if when else None
    return row


def _all_properties(class_name: str) -> tuple[str, ...]:
    """What an instance read without $select answers: every property (the demo site's columns)."""
    from importer.site.demo.wql import _FROM

    return tuple(_FROM[class_name][1]) if class_name in _FROM else ()


def _missing(what: str) -> tuple[int, Any]:
    return 404, {"error": {"code": "ResourceNotFound", "message": f"No resource {what}"}}


def _error(error: WmiError) -> dict[str, Any]:
    return {
        "error": {
            "code": f"0x{error.code:08X}",
            "message": error.message,
            "innererror": dict(error.extended),
        }
    }


def _metadata(classes: tuple[str, ...], methods: tuple[str, ...], on_instance: tuple[str, ...]) -> bytes:
    types = "".join(
        f'<EntityType Name="{c}"><Key><PropertyRef Name="Id"/></Key></EntityType>' for c in classes
    )

    def bound(method: str) -> str:
        kind = f"AdminService.{method.split('.')[0]}"
        return kind if method in on_instance else f"Collection({kind})"

    actions = "".join(
        f'<Action Name="{m.split(".")[1]}" IsBound="true"><Parameter Name="bindingParameter" '
        f'Type="{bound(m)}"/></Action>'
        for m in methods
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" '
        'xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>'
        f'<Schema Namespace="AdminService" xmlns="http://docs.oasis-open.org/odata/ns/edm">{types}{actions}'
        "</Schema></edmx:DataServices></edmx:Edmx>"
    ).encode()


_TOKEN = re.compile(r"\s*(?:(\()|(\))|('(?:[^']|'')*')|(-?\d+)|(true|false)|(\w+))")


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if found is None:
            raise ValueError(f"cannot read {text[position : position + 20]!r}")
        position = found.end()
        if found.group(1) or found.group(2):
            out.append(("paren", found.group(1) or found.group(2)))
        elif found.group(3):
            out.append(("value", found.group(3)[1:-1].replace("''", "'")))
        elif found.group(4):
            out.append(("value", int(found.group(4))))
        elif found.group(5):
            out.append(("value", found.group(5) == "true"))
        else:
            out.append(("word", found.group(6)))
    return out


def _parse_filter(text: str) -> tuple[tuple[tuple[str, Value], ...], ...]:
    """(A eq 1 and B eq 'x') or C eq 2 ...: an OR of ANDs of equalities, nothing else."""
    if not text.strip():
        return ()
    tokens = _tokens(text)
    matches: list[tuple[tuple[str, Value], ...]] = []
    index = 0

    def equality() -> tuple[str, Value]:
        nonlocal index
        if index + 2 >= len(tokens):
            raise ValueError("an incomplete comparison")
        name, op, value = tokens[index], tokens[index + 1], tokens[index + 2]
        if name[0] != "word" or op != ("word", "eq") or value[0] != "value":
            raise ValueError(f"only 'Property eq value' is understood here, not {name[1]} {op[1]}")
        index += 3
        return name[1], value[1]

    while index < len(tokens):
        group: list[tuple[str, Value]] = []
        if tokens[index] == ("paren", "("):
            index += 1
            group.append(equality())
            while index < len(tokens) and tokens[index] == ("word", "and"):
                index += 1
                group.append(equality())
            if index >= len(tokens) or tokens[index] != ("paren", ")"):
                raise ValueError("an unclosed parenthesis")
            index += 1
        else:
            group.append(equality())
        matches.append(tuple(group))
        if index < len(tokens):
            if tokens[index] != ("word", "or"):
                raise ValueError(f"unexpected {tokens[index][1]!r}")
            index += 1
    return tuple(matches)


def _keys(text: str) -> dict[str, Value]:
    keys: dict[str, Value] = {}
    for part in re.findall(r"(\w+)=('(?:[^']|'')*'|-?\d+)", text):
        name, raw = part
        keys[name] = raw[1:-1].replace("''", "'") if raw.startswith("'") else int(raw)
    if not keys:
        raise ValueError(f"no keys in {text!r}")
    return keys
