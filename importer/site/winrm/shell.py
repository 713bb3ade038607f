"""The remote shell's life: one WinRS shell and one long-lived powershell.exe running the
bootstrap, opened on first use, fed one batch per line on its stdin and read one reply
line back, dropped after any fault and opened anew by the next round trip.
"""

from __future__ import annotations

import base64
import itertools
import logging
import time
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from importer import messages as M
from importer.errors import ProtocolError, ProviderError, TransientProviderError
from importer.site.winrm import faults, wire
from importer.site.winrm.clixml import decode_stderr
from importer.site.winrm.settings import WinRMSettings

log = logging.getLogger("importer")
T = TypeVar("T")

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


class RemoteShell:
    """The shell and the bootstrap's conversation on one host, through pywinrm's Protocol."""

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

    def connect(self) -> None:
        """Open the shell, start the bootstrap and check the site; safe to call again."""
        if self._command is None:
            self._guarded(self._open)

    def exchange(self, ops: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """One batch of operations and its results, on a new shell if the last one was dropped."""
        if not ops:
            return "", []

        def exchange() -> tuple[str, list[dict[str, Any]]]:
            if self._command is None:
                self._open()
            return self._round_trip(ops)

        return self._guarded(exchange)

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
            raise faults.hello_failure(s, error.code, error.message)
        info = hello.get("hello")
        if not isinstance(info, dict):
            raise ProtocolError(
                f"{s.host}: the answer to hello is not the protocol's ({str(hello)[:120]!r}).",
                code=M.UNREADABLE_REPLY,
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
                raise faults.refusal(
                    host, line[len(wire.REFUSED_PREFIX) :].decode("utf-8", "replace").split()
                )
            if line.startswith(wire.READY_PREFIX.encode()):
                version = line[len(wire.READY_PREFIX) :].strip()
                if version != wire.PROTOCOL.encode():
                    raise ProtocolError(
                        f"{host}: the bootstrap speaks protocol {version[:20]!r}, not {wire.PROTOCOL}.",
                        code=M.PROTOCOL_MISMATCH,
                    )
                return
            log.debug("before READY: %r", line[:200])
        raise ProtocolError(f"{host}: the PowerShell bootstrap never said READY.", code=M.BOOTSTRAP_NOT_READY)

    def _guarded(self, action: Callable[[], T]) -> T:
        """Any fault drops the shell (the next round trip opens a new one) and is classified."""
        try:
            return action()
        except ProviderError:
            self.drop()
            raise
        except Exception as exc:
            self.drop()
            raise faults.classify(exc, self.settings, self._phase, self._ever_connected) from exc

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
                    raise ProtocolError(
                        f"{where} is not base64 JSON ({exc}).", code=M.UNREADABLE_REPLY
                    ) from exc
                results = reply.get("results")
                if not isinstance(results, list) or len(results) != len(ops):
                    raise ProtocolError(
                        f"{where} does not hold one result per request ({len(ops)}).", code=M.UNREADABLE_REPLY
                    )
                if not all(isinstance(r, dict) for r in results):
                    raise ProtocolError(
                        f"{where} holds a result that is not an object.", code=M.UNREADABLE_REPLY
                    )
                return batch_id, results
            log.debug("ignored output line: %s", _shown(line))

    def _read_line(self, deadline: float) -> bytes:
        from winrm.exceptions import WinRMOperationTimeoutError

        while b"\n" not in self._buffer:
            if time.monotonic() > deadline:
                raise TransientProviderError(
                    f"{self.settings.host}: no reply within {self.settings.reply_timeout:.0f} s",
                    code=M.NO_ANSWER,
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
                raise faults.ended(self.settings.host, self._phase, self._stderr, code)
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.strip()

    def drop(self) -> None:
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


def _shown(line: bytes) -> str:
    """An output line as --debug may show it: a reply (to an earlier batch, after a retry) is
    named, never shown, since a reply may carry recovery keys; anything else is not ours."""
    if line.startswith(wire.REPLY_PREFIX.encode("ascii")):
        batch = line[len(wire.REPLY_PREFIX) :].split(b" ", 1)[0][:16].decode("ascii", "replace")
        return f"a reply to batch {batch} ({len(line):,} bytes, not shown)"
    return repr(line[:200])


def _pywinrm_protocol(**kwargs: Any) -> Any:
    from winrm.protocol import Protocol

    return Protocol(**kwargs)  # its Literal-typed arguments are checked in WinRMSettings
