"""The real SMS Provider over WinRM, through pywinrm's Protocol (not Session.run_ps).

One shell and one long-lived powershell.exe per connection: the bootstrap script
starts once, then each batch is one line on its stdin and one line of reply on its
stdout, so a batch costs about two HTTP requests however many pairs it holds.
After any transport fault the shell is dropped and the next round trip opens a
new one; the retry layer above reconciles before anything is sent again.
"""

from __future__ import annotations

import base64
import itertools
import logging
import re
import time
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import requests

from importer.errors import ProtocolError, ProviderError, ProviderUnavailable, TransientProviderError
from importer.site.provider import (
    ACCESS_DENIED_CODES,
    TRANSIENT_WMI_CODES,
    CallResult,
    MethodCall,
    ProviderInfo,
    Query,
    QueryResult,
)
from importer.site.winrm import wire
from importer.site.winrm.clixml import decode_stderr
from importer.site.winrm.settings import WinRMSettings

log = logging.getLogger("importer")
T = TypeVar("T")

WBEM_E_INVALID_NAMESPACE = 0x8004100E
WSMAN_QUOTA_FAULTS = frozenset({0x803381A5, 0x803381A6})
WSMAN_ACCESS_DENIED = 5
WSMAN_SHELL_NOT_FOUND = 2150858843  # 0x8033805B
# Bytes of stdin per Send: base64 makes 96 KiB about 128 KiB, inside even the old 150 KB
# MaxEnvelopeSizekb default (500 KB since Windows Server 2012), so a batch is one request.
SEND_CHUNK = 96 * 1024


@cache
def bootstrap_script() -> str:
    return (resources.files("importer.site.winrm") / "bootstrap.ps1").read_text(encoding="utf-8")


def encoded_command() -> str:
    """The bootstrap as -EncodedCommand wants it: comments and indentation dropped, UTF-16LE base64."""
    lines = [ln.strip() for ln in bootstrap_script().splitlines()]
    compact = "\n".join(ln for ln in lines if ln and not ln.startswith("#"))
    return base64.b64encode(compact.encode("utf-16-le")).decode("ascii")


def powershell_arguments() -> list[str]:
    """No -ExecutionPolicy: it governs script files and profiles, and an encoded command is
    neither; -NoProfile keeps profile output out of the protocol."""
    return ["-NoProfile", "-NonInteractive", "-EncodedCommand", encoded_command()]


class WinRMProvider:
    """Implements importer.site.provider.Provider against root\\SMS\\site_<code> on a remote host."""

    def __init__(self, settings: WinRMSettings, protocol_factory: Callable[..., Any] | None = None) -> None:
        self.settings = settings
        self._factory: Callable[..., Any] = protocol_factory or _pywinrm_protocol
        self._protocol: Any = None
        self._shell: str | None = None
        self._command: str | None = None
        self._buffer = b""
        self._ids = itertools.count(1)
        self._ever_connected = False
        self._phase = "connect"  # connect, start, bootstrap, hello, work: what a fault interrupted
        self._stderr = b""
        self.server_info: dict[str, Any] = {}

    @property
    def info(self) -> ProviderInfo:
        return ProviderInfo("winrm", self.settings.endpoint, self.settings.site_code.upper())

    # -- Provider --------------------------------------------------------------

    def connect(self) -> None:
        """Open the shell, start the bootstrap and check the site; safe to call again."""
        if self._command is None:
            self._guarded(self._open)

    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        batch, results = self._exchange([wire.query_op(q) for q in queries])
        return [
            wire.query_result(r, f"batch {batch}, {q.class_name} query {i + 1}")
            for i, (q, r) in enumerate(zip(queries, results, strict=True))
        ]

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        batch, results = self._exchange([wire.call_op(c) for c in calls])
        return [
            wire.call_result(r, f"batch {batch}, {c.method} call {i + 1}")
            for i, (c, r) in enumerate(zip(calls, results, strict=True))
        ]

    def close(self) -> None:
        self._drop()

    # -- the conversation --------------------------------------------------------

    def _open(self) -> None:
        s = self.settings
        self._phase = "connect"
        self._protocol = self._factory(
            endpoint=s.endpoint,
            transport=s.auth,
            username=s.username,
            password=s.password,
            server_cert_validation="validate" if s.verify_tls else "ignore",
            ca_trust_path=s.ca_bundle,
            read_timeout_sec=s.read_timeout,
            operation_timeout_sec=s.operation_timeout,
            message_encryption="auto",
            proxy=s.proxy,
        )
        self._shell = self._protocol.open_shell(
            codepage=65001, noprofile=True, idle_timeout=f"PT{s.shell_idle_timeout}S"
        )
        self._phase = "start"
        self._command = self._protocol.run_command(
            self._shell,
            "powershell.exe",
            powershell_arguments(),
            console_mode_stdin=False,
            skip_cmd_shell=True,
        )
        self._buffer = b""
        self._stderr = b""
        self._phase = "bootstrap"
        self._await_ready(time.monotonic() + s.reply_timeout)
        self._phase = "hello"
        _batch, [hello] = self._round_trip([wire.hello_op(s.site_code.upper())])
        error = wire.hello_error(hello)
        if error is not None:
            raise self._hello_failure(error.code, error.message)
        info = hello.get("hello")
        if not isinstance(info, dict):
            raise ProtocolError(
                f"{s.host}: the answer to hello is not the protocol's ({str(hello)[:120]!r})."
            )
        self.server_info = info
        self._ever_connected = True
        self._phase = "work"
        log.info("connected to %s (%s)", s.endpoint, {k: v for k, v in info.items() if k != "groups"})

    def _await_ready(self, deadline: float) -> None:
        """Skip whatever the server prints first (a transcript, a banner) until READY or REFUSED."""
        host = self.settings.host
        for _ in range(100):
            line = self._read_line(deadline)
            if line.startswith(wire.REFUSED_PREFIX.encode()):
                raise _refusal(host, line[len(wire.REFUSED_PREFIX) :].decode("utf-8", "replace").split())
            if line.startswith(wire.READY_PREFIX.encode()):
                version = line[len(wire.READY_PREFIX) :].strip()
                if version != wire.PROTOCOL.encode():
                    raise ProtocolError(
                        f"{host}: the bootstrap speaks protocol {version[:20]!r}, not {wire.PROTOCOL}."
                    )
                return
            log.debug("before READY: %r", line[:200])
        raise ProtocolError(f"{host}: the PowerShell bootstrap never said READY.")

    def _hello_failure(self, code: int, message: str) -> ProviderError:
        s = self.settings
        namespace = f"root\\SMS\\site_{s.site_code.upper()}"
        if code == WBEM_E_INVALID_NAMESPACE:
            return ProviderUnavailable(
                f"site code {s.site_code.upper()} not found on {s.host}: there is no namespace {namespace}.",
                "Check the site code, and that this host is an SMS Provider of that site.",
            )
        if code in ACCESS_DENIED_CODES:
            return ProviderUnavailable(
                f"access denied to {namespace} on {s.host} for {s.username or 'this account'}.",
                "The account must be a ConfigMgr administrative user (it then is in SMS Admins on "
                "the provider by itself) with a role that may read devices and create computer "
                "associations, e.g. Operating System Deployment Manager. If the hierarchy requires "
                "certificate or Windows Hello logons to the SMS Provider, a password logon is refused.",
            )
        if code in TRANSIENT_WMI_CODES:
            return TransientProviderError(f"{s.host}: 0x{code:08X} {message}")
        return ProviderUnavailable(f"{s.host}: cannot open {namespace}: 0x{code:08X} {message}")

    def _exchange(self, ops: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        if not ops:
            return "", []

        def exchange() -> tuple[str, list[dict[str, Any]]]:
            if self._command is None:
                self._open()
            return self._round_trip(ops)

        return self._guarded(exchange)

    def _guarded(self, action: Callable[[], T]) -> T:
        """Any fault drops the shell (the next round trip opens a new one) and is classified."""
        try:
            return action()
        except ProviderError:
            self._drop()
            raise
        except Exception as exc:
            self._drop()
            raise self._classify(exc) from exc

    def _round_trip(self, ops: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        batch_id = format(next(self._ids), "x")
        data = wire.encode_line({"id": batch_id, "ops": ops})
        for start in range(0, len(data), SEND_CHUNK):
            self._protocol.send_command_input(self._shell, self._command, data[start : start + SEND_CHUNK])
        deadline = time.monotonic() + self.settings.reply_timeout
        prefix = f"{wire.REPLY_PREFIX}{batch_id} ".encode("ascii")
        while True:
            line = self._read_line(deadline)
            if line.startswith(prefix):
                where = f"{self.settings.host}: the reply to batch {batch_id}"
                try:
                    reply = wire.decode_line(line[len(prefix) :])
                except ValueError as exc:
                    raise ProtocolError(f"{where} is not base64 JSON ({exc}).") from exc
                results = reply.get("results")
                if not isinstance(results, list) or len(results) != len(ops):
                    raise ProtocolError(f"{where} does not hold one result per request ({len(ops)}).")
                if not all(isinstance(r, dict) for r in results):
                    raise ProtocolError(f"{where} holds a result that is not an object.")
                return batch_id, results
            log.debug("ignored output line: %r", line[:200])

    def _read_line(self, deadline: float) -> bytes:
        from winrm.exceptions import WinRMOperationTimeoutError

        while b"\n" not in self._buffer:
            if time.monotonic() > deadline:
                raise TransientProviderError(
                    f"{self.settings.host}: no reply within {self.settings.reply_timeout:.0f} s"
                )
            try:
                stdout, stderr, code, done = self._protocol.get_command_output_raw(self._shell, self._command)
            except WinRMOperationTimeoutError:
                continue  # nothing to say yet: ask again until our own deadline
            self._buffer += stdout.replace(b"\r\n", b"\n")
            if stderr:
                self._stderr = (self._stderr + stderr)[-65536:]
                log.debug("server stderr: %s", decode_stderr(stderr)[:2000])
            if done and b"\n" not in self._buffer:
                raise self._ended(code)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.strip()

    def _ended(self, code: int | None) -> ProviderError:
        """The PowerShell process ended. Before READY that is the server refusing the script,
        which another try will not change; later it is a fault worth a new shell."""
        host = self.settings.host
        text = decode_stderr(self._stderr)
        detail = " ".join(text.splitlines()[:3])[:400]
        if self._phase in ("start", "bootstrap"):
            if re.search(
                r"malicious content|blocked by your antivirus|ScriptContainedMaliciousContent", text, re.I
            ):
                return ProviderUnavailable(
                    f"{host}: the antivirus on the server blocked cmassoc's PowerShell script "
                    f"(AMSI): {detail}",
                    "Ask the security team to allow it (README: what security teams will see), "
                    "or run from a host where it is allowed.",
                )
            return ProviderUnavailable(
                f"{host}: PowerShell on the server would not run cmassoc's script (exit {code})"
                + (f": {detail}" if detail else "."),
                "Run `cmassoc doctor` with the same options to see which check fails.",
            )
        return TransientProviderError(
            f"{host}: the PowerShell on the server ended (exit {code})" + (f": {detail}" if detail else "")
        )

    def _drop(self) -> None:
        """Close the shell (WinRM limits shells per user) and forget it; never raises."""
        protocol, shell, command = self._protocol, self._shell, self._command
        self._protocol = self._shell = self._command = None
        self._buffer = b""
        if protocol is None:
            return
        steps: list[Callable[[], object]] = []
        if shell and command:
            steps.append(lambda: protocol.cleanup_command(shell, command))
        if shell:
            steps.append(lambda: protocol.close_shell(shell))
        steps.append(lambda: protocol.transport.close_session())
        for step in steps:
            try:
                step()
            except Exception as exc:  # the connection may be the thing that broke
                log.debug("while closing the shell: %s", type(exc).__name__)

    # -- faults ------------------------------------------------------------------

    def _classify(self, exc: BaseException) -> ProviderError:
        from winrm.exceptions import (
            InvalidCredentialsError,
            WinRMError,
            WinRMOperationTimeoutError,
            WinRMTransportError,
            WSManFaultError,
        )

        host = self.settings.host
        text = str(exc)
        if isinstance(exc, InvalidCredentialsError):
            return ProviderUnavailable(
                f"{host} rejected the credentials of {self.settings.username or 'this account'} (HTTP 401).",
                "Check the user name (DOMAIN\\user) and password; a rejected login is never retried, "
                "to spare the account a lockout.",
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return ProviderUnavailable(
                f"{host}: TLS failure ({_tls_reason(text)}).",
                "Pass the CA certificate that signed the WinRM listener's certificate with --ca-bundle, "
                "and use the host name the certificate was issued to.",
            )
        if isinstance(exc, requests.exceptions.ConnectionError):
            if re.search(
                r"Name or service not known|getaddrinfo failed|NameResolution|Failed to resolve|"
                r"nodename nor servname|No address associated",
                text,
            ):
                return ProviderUnavailable(f"{host}: host name not found (DNS).", "Check --server.")
            if re.search(r"refused|10061", text, re.IGNORECASE):
                if not self._ever_connected:
                    return ProviderUnavailable(
                        f"{host} refused the connection: WinRM is not listening there.",
                        "Check the port (HTTPS 5986, HTTP 5985) and the listener "
                        "(winrm enumerate winrm/config/listener) on the provider.",
                    )
                return TransientProviderError(f"{host} refused the connection")
            return TransientProviderError(f"{host}: connection lost ({_short(text)})")
        if isinstance(exc, requests.exceptions.Timeout):
            return TransientProviderError(f"{host}: no answer within {self.settings.read_timeout} s")
        if isinstance(exc, WinRMOperationTimeoutError):
            return TransientProviderError(f"{host}: WinRM operation timed out")
        if isinstance(exc, WSManFaultError):
            return self._wsman_fault(exc)
        if isinstance(exc, WinRMTransportError):
            if exc.code in (502, 503, 504):
                return TransientProviderError(f"{host}: HTTP {exc.code} (busy)")
            if exc.code == 400 and self._ever_connected:
                # pywinrm re-sends a message sealed for the old connection after a reconnect with
                # NTLM/Kerberos message encryption; a new shell on a new connection clears it.
                return TransientProviderError(f"{host}: HTTP 400 after a reconnect")
            return ProviderUnavailable(f"{host}: HTTP {exc.code} from the WinRM service.")
        if isinstance(exc, WinRMError):
            hint = None
            if "not installed" in text:
                hint = "Install the extra: pip install 'pywinrm[kerberos]' or 'pywinrm[credssp]'."
            return ProviderUnavailable(f"{host}: {text}", hint)
        if isinstance(exc, (ValueError, KeyError)):
            return ProtocolError(f"{host}: an unreadable reply ({type(exc).__name__}: {_short(text)}).")
        raise exc

    def _wsman_fault(self, exc: Any) -> ProviderError:
        host = self.settings.host
        wsman, wmi = exc.wsman_fault_code, exc.wmierror_code
        wmi = wmi & 0xFFFFFFFF if isinstance(wmi, int) else None
        reason = str(exc.reason or "").strip()
        if wsman in WSMAN_QUOTA_FAULTS or wmi in TRANSIENT_WMI_CODES:
            return TransientProviderError(f"{host}: {reason} (WS-Management fault {wsman}, WMI {wmi})")
        if wsman == WSMAN_SHELL_NOT_FOUND:
            # Idle timeout, a WinRM restart, a laptop asleep: the shell is gone, a new one will do.
            return TransientProviderError(f"{host}: the remote shell is gone ({reason})")
        denied = wsman == WSMAN_ACCESS_DENIED or wmi in ACCESS_DENIED_CODES
        if self._phase == "connect":
            if denied:
                return ProviderUnavailable(
                    f"{host} refused {self.settings.username or 'this account'} a remote shell "
                    "(access denied).",
                    "The account must be allowed to open a WinRM shell on the provider (local "
                    "Administrators there). If the server only offers a JEA endpoint, cmassoc cannot "
                    "use it: ask for shell access for this account.",
                )
            return ProviderUnavailable(
                f"{host} refused to open a remote shell: {reason} (WS-Management fault {wsman}).",
                "Remote shells may be disabled by policy (Windows Components > Windows Remote Shell > "
                "Allow Remote Shell Access) or limited to JEA endpoints: ask for shell access for this "
                "account on the SMS Provider.",
            )
        if denied:
            return ProviderUnavailable(
                f"{host}: access denied ({reason}).",
                "The account must be allowed to use WinRM on the provider and hold a ConfigMgr role.",
            )
        return ProviderUnavailable(f"{host}: WS-Management fault {wsman}: {reason}")


def _pywinrm_protocol(**kwargs: Any) -> Any:
    from winrm.protocol import Protocol

    return Protocol(**kwargs)  # its Literal-typed arguments are checked in WinRMSettings


def _refusal(host: str, words: list[str]) -> ProviderError:
    if words[:1] == ["language"]:
        mode = words[1] if len(words) > 1 else "a restricted"
        return ProviderUnavailable(
            f"{host}: PowerShell there runs in {mode} mode (WDAC/AppLocker script enforcement), "
            "which cannot run cmassoc's script.",
            "Ask for an exception for this account or host, or run cmassoc on a host in Full Language mode.",
        )
    return ProviderUnavailable(f"{host}: the server refused: {' '.join(words)[:200]}")


def _short(text: str) -> str:
    match = re.search(r"\(Caused by ([^)]*\))", text)
    return (match.group(1) if match else text)[:160]


def _tls_reason(text: str) -> str:
    for reason in (
        "CERTIFICATE_VERIFY_FAILED",
        "certificate verify failed",
        "hostname mismatch",
        "WRONG_VERSION_NUMBER",
        "self-signed certificate",
        "unable to get local issuer",
    ):
        if reason.lower() in text.lower():
            found = re.search(r"certificate verify failed: ([^(\"')]*)", text)
            return found.group(1).strip() if found else reason
    return _short(text)
