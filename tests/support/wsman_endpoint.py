"""A WS-Management endpoint on 127.0.0.1 for tests and benchmarks.

It answers what pywinrm's Protocol sends (Create, Command, Send, Receive, Signal,
Delete) over HTTPS with NTLM (pyspnego's acceptor) or Basic auth, and stands in for
powershell.exe running the bootstrap: each stdin line is decoded with
importer.site.winrm.wire and executed against a demo site, so the real pywinrm client, the
real wire format and the real retry logic are exercised end to end. It is as strict as
a real SMS Provider where the demo site is kinder: WQL past WMI's limits answers
WBEM_E_QUOTA_VIOLATION, and chosen pairs are refused with WBEM_E_FAILED and an
SMS_ExtendedStatus. Faults and hardened-server behaviours are injected on demand.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree

from importer.site.provider import (
    GET_KEY,
    WBEM_E_QUOTA_VIOLATION,
    WMI_LIMITS,
    Provider,
    WmiError,
    over_limits,
    wql,
)
from importer.site.winrm import wire

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
OPERATION_TIMEOUT = 2150858793
WBEM_E_INVALID_NAMESPACE = 0x8004100E


@dataclass
class Fault:
    """Injected once, on the first request whose action ends with `action` ("" = any), in order.

    kind: "401", "503", "400" (HTTP status), "wsman" (HTTP 500 WSManFault with `code` and
    optional `wmi`), "drop-before" (connection closed, request not processed),
    "drop-after" (processed, then connection closed without a reply), "slow" (`seconds`
    of delay, then processed), "optimeout" (Receive answers the operation-timeout fault),
    "exit" (the PowerShell process ends), "pass" (nothing: lets a request through, to aim
    the next fault at a later request), "hold" (processed, then `seconds` before the reply),
    "shell-gone" (the shell was dropped, as after an idle timeout or a WinRM restart: this
    request and any later one on it answer WS-Management fault 2150858843), "malformed" (the
    next batch's query results come back with rows that are objects, not lists)."""

    action: str
    kind: str
    code: int = 0
    wmi: int | None = None
    seconds: float = 0.0
    text: str = "injected fault"  # the fault's reason, for "wsman"


AMSI_BLOCK = (
    '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
    '<S S="Error">At line:1 char:1_x000D__x000A_</S>'
    '<S S="Error">This script contains malicious content and has been blocked by your antivirus '
    'software._x000D__x000A_</S><S S="Error">    + CategoryInfo          : ParserError: (:) [], '
    'ParentContainsErrorRecordException_x000D__x000A_</S><S S="Error">    + FullyQualifiedErrorId : '
    "ScriptContainedMaliciousContent_x000D__x000A_</S></Objs>"
)


@dataclass
class Server:
    """How the emulated server behaves: who logs on, and how it is hardened."""

    user: str = "CONTOSO\\svc-cmassoc"
    groups: tuple[str, ...] = ("CONTOSO\\Domain Users", "CONTOSO\\ConfigMgr OSD Admins")
    language: str = "FullLanguage"  # ConstrainedLanguage: the script says REFUSED and ends
    amsi_blocks: bool = False  # the antivirus blocks the script before it runs
    powershell: str = "5.1.17763.5933"
    # Calls the provider refuses for good, by (SourceClientResourceID, RestoreClientResourceID).
    refusals: dict[tuple[int, int], WmiError] = field(default_factory=dict)
    malformed: bool = False  # the next batch's query rows come back as objects
    unreadable: tuple[str, ...] = ()  # classes whose reads answer access denied
    # The account holds StateMigration.Recover User State (View Recovery Information): without
    # it GetEncryptDecryptKey answers access denied and UserHasPermissions false.
    recover_user_state: bool = True


class Bootstrap:
    """What powershell.exe running importer/site/winrm/bootstrap.ps1 does, done in Python."""

    def __init__(self, site: Provider, record: list[dict[str, Any]], server: Server | None = None) -> None:
        self.site = site
        self.record = record
        self.server = server or Server()
        self.stdin = b""
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.exit_code: int | None = None
        self.connected_site: str | None = None
        self.calls: list[dict[str, Any]] = []  # every call op the script executed
        if self.server.amsi_blocks:
            self.stderr += AMSI_BLOCK.encode()
            self.exit_code = 1
        elif self.server.language != "FullLanguage":
            self.stdout += f"REFUSED language {self.server.language}\n".encode()
            self.exit_code = 3
        else:
            self.stdout += f"READY {wire.PROTOCOL}\n".encode()

    def feed(self, data: bytes, end: bool) -> None:
        if self.exit_code is not None:
            return  # a dead process reads nothing
        self.stdin += data
        while b"\n" in self.stdin:
            line, _, self.stdin = self.stdin.partition(b"\n")
            if line.strip():
                self.stdout += self._batch(line)
        if end:
            self.exit_code = 0

    def _batch(self, line: bytes) -> bytes:
        request = wire.decode_line(line)
        self.record.append(request)
        results = [self._op(op) for op in request["ops"]]
        if self.server.malformed and any("rows" in r for r in results):
            self.server.malformed = False
            for result in results:
                if "rows" in result:
                    result["rows"] = [
                        dict(zip(result["columns"], row, strict=True)) for row in result["rows"]
                    ]
        return wire.reply_line(str(request["id"]), results)

    def _op(self, op: dict[str, Any]) -> dict[str, Any]:
        kind = op["op"]
        if kind == "hello":
            if str(op["site"]).upper() != self.site.info.site_code.upper():
                return {
                    "error": {
                        "code": WBEM_E_INVALID_NAMESPACE,
                        "message": "Invalid namespace",
                        "extended": {},
                    }
                }
            self.connected_site = op["site"]
            return {
                "hello": {
                    "computer": "LOOPBACK",
                    "powershell": self.server.powershell,
                    "language": self.server.language,
                    "site": op["site"],
                    "user": self.server.user,
                    "groups": list(self.server.groups),
                }
            }
        if self.connected_site is None:
            return {"error": {"code": 0x80041001, "message": "no hello yet", "extended": {}}}
        if kind in ("query", "get"):
            query = wire.query_from_op(op)
            if query.class_name in self.server.unreadable:
                return wire.error_dict(WmiError(0x80041003, "Access denied"))
            problem = over_limits(query, WMI_LIMITS)  # the script hands WMI the WQL it built
            if problem is not None:
                return wire.error_dict(
                    WmiError(WBEM_E_QUOTA_VIOLATION, f"Quota violation: {problem}: {wql(query)[:60]}")
                )
            columns = list(dict.fromkeys((*query.properties, *query.lazy)))
            return wire.query_result_dict(self.site.query([query])[0], columns)
        if kind == "call":
            self.calls.append(op)
            refused = self._as_the_script_calls(op)
            if refused is not None:
                return wire.error_dict(refused)
            params = op.get("params") or {}
            key = (
                int(params.get("SourceClientResourceID") or 0),
                int(params.get("RestoreClientResourceID") or 0),
            )
            refusal = self.server.refusals.get(key) if op.get("method") == "AddAssociationEx" else None
            if refusal is not None:
                return wire.error_dict(refusal)
            answer = wire.call_result_dict(self.site.call([wire.call_from_op(op)])[0])
            if op.get("method") == "UserHasPermissions" and not self.server.recover_user_state:
                answer = {"return_value": 0, "out": {"Permissions": 0}}  # [int64]$false
            return answer
        return {"error": {"code": 0x80070057, "message": f"unknown op {kind}", "extended": {}}}

    def _as_the_script_calls(self, op: dict[str, Any]) -> WmiError | None:
        """What bootstrap.ps1's Invoke-Call assumes, enforced: an instance path is built only from
        plain key values (Get-InstancePath); a method without in-parameters gets none
        (GetMethodParameters gives $null); GetEncryptDecryptKey runs on an association instance
        named by both its keys. Then the account's right to recovery information."""
        method, instance = str(op.get("method")), op.get("instance")
        for value in (instance or {}).values():
            if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
                return WmiError(E_INVALIDARG, f"not a key value: {value}")
        if method in NO_IN_PARAMETERS and op.get("params"):
            return WmiError(E_INVALIDARG, f"{method} takes no in-parameters")
        if method == GET_KEY:
            keys = sorted(instance or {})
            if keys != ["RestoreClientResourceID", "SourceClientResourceID"] or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in (instance or {}).values()
            ):
                return WmiError(WBEM_E_INVALID_OBJECT_PATH, f"{GET_KEY} needs an association instance path")
            if not self.server.recover_user_state:
                return WmiError(0x80041003, "Access denied")
        return None


NO_IN_PARAMETERS = frozenset({GET_KEY})  # methods whose MOF declares no [in] parameter
E_INVALIDARG = 0x80070057  # what PowerShell's ArgumentException carries as its HResult
WBEM_E_INVALID_OBJECT_PATH = 0x8004103A


NAIVE = re.compile(
    r"New-CMComputerAssociation -SourceComputer '([^']*)' -DestinationComputer '([^']*)' "
    r"-MigrationBehavior (\w+)(?: -MigrationUserName (.+))?"
)
_BEHAVIORS = {
    "CaptureAndRestoreAllUserAccounts": 0,
    "CaptureAllUserAccountsAndRestoreSpecifiedAccounts": 1,
    "CaptureAndRestoreSpecifiedUserAccounts": 2,
}


class NaiveScript(Bootstrap):
    """powershell -encodedcommand "New-CMComputerAssociation ...": the one-pair-per-call way
    (pywinrm's Session.run_ps in a loop), kept only to measure it against the batched design."""

    def __init__(self, site: Provider, record: list[dict[str, Any]], script: str) -> None:
        super().__init__(site, record)
        self.stdout = bytearray()
        match = NAIVE.search(script)
        if match is None:
            self.stderr += b"not a New-CMComputerAssociation script\r\n"
            self.exit_code = 1
            return
        source, destination, behavior, users = match.groups()
        ids = []
        for name in (source, destination):
            [found] = self.site.query(
                [
                    wire.query_from_op(
                        {
                            "class": "SMS_R_System",
                            "properties": ["ResourceID", "Obsolete"],
                            "keys": ["Name"],
                            "values": [name],
                        }
                    )
                ]
            )
            live = [int(str(r["ResourceID"])) for r in found.rows if not r["Obsolete"]]
            ids.append(live[0] if live else 0)
        names = [u.strip().strip("'") for u in (users or "").split(",") if u.strip()]
        [result] = self.site.call(
            [
                wire.call_from_op(
                    {
                        "class": "SMS_StateMigration",
                        "method": "AddAssociationEx",
                        "params": {
                            "SourceClientResourceID": ids[0],
                            "RestoreClientResourceID": ids[1],
                            "MigrationBehavior": _BEHAVIORS[behavior],
                            "UserNames": [{"UserName": n, "LocaleID": 0} for n in names],
                        },
                    }
                )
            ]
        )
        self.stdout += b"OK\r\n" if result.ok else f"{result.describe()}\r\n".encode()
        self.exit_code = 0


@dataclass
class Shell:
    id: str
    codepage: str
    idle_timeout: str | None = None
    process: Bootstrap | None = None
    command_id: str | None = None
    command_line: tuple[str, str] | None = None


@dataclass
class Endpoint:
    site_factory: Callable[[], Provider]
    username: str
    password: str
    cert_dir: Path
    latency: float = 0.0  # added to every request, as a WAN round trip would
    auth: str = "ntlm"  # the handshake of requests_ntlm, checked by pyspnego; or "basic"
    server: Server = field(default_factory=Server)
    receive_wait: float = 0.3
    faults: list[Fault] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    shells: dict[str, Shell] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)  # every decoded batch
    command_lines: list[tuple[str, str]] = field(default_factory=list)
    idle_timeouts: list[str | None] = field(default_factory=list)  # of every shell created
    lock: threading.Lock = field(default_factory=threading.Lock)
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

    def take_fault(self, action: str) -> Fault | None:
        """Faults form a queue: the head waits for a request of its action."""
        with self.lock:
            if self.faults and action.endswith(self.faults[0].action):
                return self.faults.pop(0)
        return None

    def start(self) -> Endpoint:
        endpoint = self

        class Handler(_Handler):
            owner = endpoint

        users = (self.username, self.password) if self.auth == "ntlm" else None
        self._server = serve_https(Handler, self.cert_dir, users)
        self.port = self._server.server_address[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._site is not None:
            self._site.close()


class _Handler(BaseHTTPRequestHandler):
    owner: Endpoint
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        ep = self.owner
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if ep.latency:
            time.sleep(ep.latency)
        if not self._authenticated():
            return
        root = ElementTree.fromstring(body)
        action = root.findtext("s:Header/a:Action", "", NS)
        message_id = root.findtext("s:Header/a:MessageID", "", NS)
        name = action.rsplit("/", 1)[-1]
        with ep.lock:
            ep.requests[name] += 1
        fault = ep.take_fault(name)
        if fault is not None:
            if fault.kind in ("401", "503", "400"):
                self._reply(int(fault.kind), b"")
                return
            if fault.kind == "wsman":
                self._reply(500, _fault(message_id, fault.code, fault.text, fault.wmi))
                return
            if fault.kind == "drop-before":
                self._drop()
                return
            if fault.kind == "slow":
                time.sleep(fault.seconds)
            if fault.kind == "shell-gone":
                with ep.lock:
                    ep.shells.clear()
            if fault.kind == "malformed":
                ep.server.malformed = True
        try:
            status, answer = self._handle(name, root, message_id, fault)
        except KeyError:
            status, answer = 500, _fault(message_id, 2150858843, "The shell was not found.")
        if fault is not None and fault.kind == "drop-after":
            self._drop()
            return
        if fault is not None and fault.kind == "hold":  # the work is done; the reply is late
            time.sleep(fault.seconds)
        self._reply(status, answer)

    def _authenticated(self) -> bool:
        """Basic on every request; NTLM once per connection, as WinRM does."""
        ep = self.owner
        header = self.headers.get("Authorization", "")
        if ep.auth == "basic":
            expected = "Basic " + base64.b64encode(f"{ep.username}:{ep.password}".encode()).decode()
            if header == expected:
                return True
            self._reply(401, b"", {"WWW-Authenticate": 'Basic realm="WSMAN"'})
            return False
        return ntlm_handshake(self, header, lambda status, headers: self._reply(status, b"", headers))

    def _handle(self, name: str, root: Any, message_id: str, fault: Fault | None) -> tuple[int, bytes]:
        ep = self.owner
        shell_id = root.findtext("s:Header/w:SelectorSet/w:Selector[@Name='ShellId']", "", NS)
        if name == "Create":
            options = {o.get("Name"): o.text for o in root.iterfind("s:Header/w:OptionSet/w:Option", NS)}
            shell = Shell(
                str(uuid.uuid4()).upper(),
                options.get("WINRS_CODEPAGE") or "437",
                root.findtext("s:Body/rsp:Shell/rsp:IdleTimeOut", None, NS),
            )
            ep.idle_timeouts.append(shell.idle_timeout)
            with ep.lock:
                ep.shells[shell.id] = shell
            body = (
                "<x:ResourceCreated xmlns:x='http://schemas.xmlsoap.org/ws/2004/09/transfer'>"
                f"<a:Address>https://{ep.address}/wsman</a:Address><a:ReferenceParameters>"
                f"<w:ResourceURI>{SHELL}/cmd</w:ResourceURI><w:SelectorSet>"
                f"<w:Selector Name='ShellId'>{shell.id}</w:Selector></w:SelectorSet>"
                "</a:ReferenceParameters></x:ResourceCreated>"
            )
            return 200, _envelope(name, message_id, body)
        shell = ep.shells[shell_id]
        if name == "Command":
            command = root.findtext("s:Body/rsp:CommandLine/rsp:Command", "", NS)
            arguments = root.findtext("s:Body/rsp:CommandLine/rsp:Arguments", "", NS)
            shell.command_line = (command, arguments)
            shell.command_id = str(uuid.uuid4()).upper()
            if "-EncodedCommand" not in arguments and "-encodedcommand " in command:
                script = base64.b64decode(command.split()[-1]).decode("utf-16-le")
                shell.process = NaiveScript(ep.site(), ep.received, script)
            else:
                shell.process = Bootstrap(ep.site(), ep.received, ep.server)
            with ep.lock:
                ep.command_lines.append(shell.command_line)
            body = f"<rsp:CommandResponse><rsp:CommandId>{shell.command_id}</rsp:CommandId></rsp:CommandResponse>"
            return 200, _envelope(name, message_id, body)
        process = shell.process
        if name == "Send":
            stream = root.find("s:Body/rsp:Send/rsp:Stream", NS)
            assert process is not None and stream is not None
            with ep.lock:
                process.feed(base64.b64decode(stream.text or ""), stream.get("End") == "true")
            return 200, _envelope(name, message_id, "<rsp:SendResponse/>")
        if name == "Receive":
            assert process is not None
            if fault is not None and fault.kind == "optimeout":
                return 500, _fault(
                    message_id,
                    OPERATION_TIMEOUT,
                    "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
                )
            if fault is not None and fault.kind == "exit":  # dies after the work, before the reply
                process.stdout.clear()
                process.stderr += b"Exception calling ReadLine: injected failure\r\n"
                process.exit_code = 1
            deadline = time.monotonic() + ep.receive_wait
            while not process.stdout and process.exit_code is None and time.monotonic() < deadline:
                time.sleep(0.005)
            # Like WinRM, never answer more than the client's MaxEnvelopeSize: base64 and the
            # envelope take their share, the rest of the output waits for the next Receive.
            envelope = int(root.findtext("s:Header/w:MaxEnvelopeSize", "153600", NS))
            room = max(1024, (envelope - 4096) * 3 // 4)
            with ep.lock:
                out, err = bytes(process.stdout[:room]), bytes(process.stderr)
                del process.stdout[:room]
                process.stderr.clear()
            if not out and not err and process.exit_code is None:
                return 500, _fault(
                    message_id,
                    OPERATION_TIMEOUT,
                    "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
                )
            cid = shell.command_id
            streams = (
                f"<rsp:Stream Name='stdout' CommandId='{cid}'>{base64.b64encode(out).decode()}</rsp:Stream>"
                f"<rsp:Stream Name='stderr' CommandId='{cid}'>{base64.b64encode(err).decode()}</rsp:Stream>"
            )
            if process.exit_code is None or process.stdout:
                state = f"<rsp:CommandState CommandId='{cid}' State='{SHELL}/CommandState/Running'/>"
            else:
                state = (
                    f"<rsp:CommandState CommandId='{cid}' State='{SHELL}/CommandState/Done'>"
                    f"<rsp:ExitCode>{process.exit_code}</rsp:ExitCode></rsp:CommandState>"
                )
            return 200, _envelope(
                name, message_id, f"<rsp:ReceiveResponse>{streams}{state}</rsp:ReceiveResponse>"
            )
        if name == "Signal":
            if process is not None:
                process.exit_code = process.exit_code if process.exit_code is not None else 0
            return 200, _envelope(name, message_id, "<rsp:SignalResponse/>")
        if name == "Delete":
            with ep.lock:
                ep.shells.pop(shell_id, None)
            return 200, _envelope(name, message_id, "")
        return 500, _fault(message_id, 2150858778, f"unknown action {name}")

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        drop_connection(self)


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    return (
        f"<s:Envelope xmlns:s='{NS['s']}' xmlns:a='{NS['a']}' xmlns:w='{NS['w']}' xmlns:rsp='{NS['rsp']}'>"
        f"<s:Header><a:Action>{action}Response</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _fault(relates_to: str, code: int, reason: str, wmi: int | None = None) -> bytes:
    wmi_xml = (
        "<p:MSFT_WmiError xmlns:p='http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError'>"
        f"<p:error_Code>{wmi}</p:error_Code></p:MSFT_WmiError>"
        if wmi is not None
        else ""
    )
    body = (
        "<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:InternalError</s:Value>"
        f"</s:Subcode></s:Code><s:Reason><s:Text xml:lang='en-US'>{escape(reason)}</s:Text></s:Reason>"
        "<s:Detail><f:WSManFault xmlns:f='http://schemas.microsoft.com/wbem/wsman/1/wsmanfault' "
        f"Code='{code}' Machine='127.0.0.1'><f:Message>{escape(reason)}</f:Message></f:WSManFault>"
        f"{wmi_xml}</s:Detail></s:Fault>"
    )
    return _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, body)


def drop_connection(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without a reply, as a network fault would."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def serve_https(
    handler: type[BaseHTTPRequestHandler], cert_dir: Path, users: tuple[str, str] | None
) -> ThreadingHTTPServer:
    """A threading HTTPS server on 127.0.0.1 (a throwaway CA's certificate), serving in the
    background. With `users` (DOMAIN\\user, password), pyspnego's NTLM acceptor knows that account."""
    make_certificates(cert_dir)
    if users is not None:  # pyspnego's NTLM acceptor reads DOMAIN:USER:PASSWORD lines from here
        path = cert_dir / f"ntlm-users-{id(handler)}"
        domain, _, user = users[0].rpartition("\\")
        path.write_text(f"{domain}:{user}:{users[1]}\n", encoding="utf-8")
        os.environ["NTLM_USER_FILE"] = str(path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_dir / "server.pem", cert_dir / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def ntlm_handshake(
    handler: BaseHTTPRequestHandler,
    header: str,
    challenge: Callable[[int, dict[str, str]], None],
    channel_bindings: Any = None,
) -> bool:
    """NTLM (alone or inside Negotiate) once per connection, as WinRM and IIS do; `challenge`
    sends a 401 with the given headers. True once the connection is authenticated."""
    if getattr(handler, "_ntlm_done", False):
        return True
    import spnego
    from spnego.exceptions import SpnegoError

    scheme, _, token = header.partition(" ")
    if scheme not in ("NTLM", "Negotiate") or not token:
        handler._ntlm = None  # type: ignore[attr-defined]
        challenge(401, {"WWW-Authenticate": "Negotiate"})
        return False
    context = getattr(handler, "_ntlm", None) or spnego.server(
        protocol="ntlm", channel_bindings=channel_bindings
    )
    handler._ntlm = context  # type: ignore[attr-defined]
    try:
        answer = context.step(base64.b64decode(token))
    except SpnegoError:
        handler._ntlm = None  # type: ignore[attr-defined]
        challenge(401, {"WWW-Authenticate": "Negotiate"})
        return False
    if not context.complete:
        challenge(401, {"WWW-Authenticate": f"{scheme} {base64.b64encode(answer or b'').decode()}"})
        return False
    handler._ntlm_done = True  # type: ignore[attr-defined]
    return True


def make_certificates(folder: Path) -> None:
    """A throwaway CA and a server certificate for 127.0.0.1, so TLS validation stays on."""
    if (folder / "server.pem").exists():
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cmassoc test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def server_channel_bindings(cert_dir: Path) -> Any:
    """What a service enforcing Extended Protection expects: tls-server-end-point of its cert."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from spnego.channel_bindings import GssChannelBindings

    certificate = x509.load_pem_x509_certificate((cert_dir / "server.pem").read_bytes())
    digest = hashes.Hash(hashes.SHA256())
    digest.update(certificate.public_bytes(serialization.Encoding.DER))
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest.finalize())
