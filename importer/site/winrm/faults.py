"""Fault classification for the WinRM provider: what pywinrm, requests, WS-Management,
WMI and the PowerShell bootstrap raise or report, turned into the project's errors
(transient, worth a new shell and another try, or not) with the messages and hints
people read.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from importer import messages as M
from importer.errors import ProtocolError, ProviderError, ProviderUnavailable, TransientProviderError
from importer.site.provider import ACCESS_DENIED_CODES, TRANSIENT_WMI_CODES
from importer.site.winrm.clixml import decode_stderr
from importer.site.winrm.settings import WinRMSettings

WBEM_E_INVALID_NAMESPACE = 0x8004100E
WSMAN_QUOTA_FAULTS = frozenset({0x803381A5, 0x803381A6})
WSMAN_ACCESS_DENIED = 5
WSMAN_SHELL_NOT_FOUND = 2150858843  # 0x8033805B


def classify(exc: BaseException, settings: WinRMSettings, phase: str, ever_connected: bool) -> ProviderError:
    """`exc` as the project's error; anything not recognised is raised again as it is."""
    from winrm.exceptions import (
        InvalidCredentialsError,
        WinRMError,
        WinRMOperationTimeoutError,
        WinRMTransportError,
        WSManFaultError,
    )

    host = settings.host
    text = str(exc)
    if isinstance(exc, InvalidCredentialsError):
        return ProviderUnavailable(
            f"{host} rejected the credentials of {settings.username or 'this account'} (HTTP 401).",
            "Check the user name (DOMAIN\\user) and password; a rejected login is never retried, "
            "to spare the account a lockout.",
            code=M.CREDENTIALS_REJECTED,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return ProviderUnavailable(
            f"{host}: TLS failure ({_tls_reason(text)}).",
            "Pass the CA certificate that signed the WinRM listener's certificate with --ca-bundle, "
            "and use the host name the certificate was issued to.",
            code=M.TLS_NOT_TRUSTED,
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        if re.search(
            r"Name or service not known|getaddrinfo failed|NameResolution|Failed to resolve|"
            r"nodename nor servname|No address associated",
            text,
        ):
            return ProviderUnavailable(
                f"{host}: host name not found (DNS).", "Check --server.", code=M.HOST_NOT_FOUND
            )
        if re.search(r"refused|10061", text, re.IGNORECASE):
            if not ever_connected:
                return ProviderUnavailable(
                    f"{host} refused the connection: WinRM is not listening there.",
                    "Check the port (HTTPS 5986, HTTP 5985) and the listener "
                    "(winrm enumerate winrm/config/listener) on the provider.",
                    code=M.WINRM_NOT_LISTENING,
                )
            return TransientProviderError(f"{host} refused the connection", code=M.CONNECTION_LOST)
        return TransientProviderError(f"{host}: connection lost ({_short(text)})", code=M.CONNECTION_LOST)
    if isinstance(exc, requests.exceptions.Timeout):
        return TransientProviderError(f"{host}: no answer within {settings.read_timeout} s", code=M.NO_ANSWER)
    if isinstance(exc, WinRMOperationTimeoutError):
        return TransientProviderError(f"{host}: WinRM operation timed out", code=M.NO_ANSWER)
    if isinstance(exc, WSManFaultError):
        return wsman_fault(exc, settings, phase)
    if isinstance(exc, WinRMTransportError):
        if exc.code in (502, 503, 504):
            return TransientProviderError(f"{host}: HTTP {exc.code} (busy)", code=M.PROVIDER_BUSY)
        if exc.code == 400 and ever_connected:
            # pywinrm re-sends a message sealed for the old connection after a reconnect with
            # NTLM/Kerberos message encryption; a new shell on a new connection clears it.
            return TransientProviderError(f"{host}: HTTP 400 after a reconnect", code=M.CONNECTION_LOST)
        return ProviderUnavailable(
            f"{host}: HTTP {exc.code} from the WinRM service.", code=M.WINRM_HTTP_ERROR
        )
    if isinstance(exc, WinRMError):
        hint = None
        if "not installed" in text:
            hint = "Install the extra: pip install 'pywinrm[kerberos]' or 'pywinrm[credssp]'."
        return ProviderUnavailable(f"{host}: {text}", hint, code=M.WINRM_CLIENT_ERROR)
    if isinstance(exc, (ValueError, KeyError)):
        return ProtocolError(
            f"{host}: an unreadable reply ({type(exc).__name__}: {_short(text)}).", code=M.UNREADABLE_REPLY
        )
    raise exc


def wsman_fault(exc: Any, settings: WinRMSettings, phase: str) -> ProviderError:
    host = settings.host
    wsman, wmi = exc.wsman_fault_code, exc.wmierror_code
    wmi = wmi & 0xFFFFFFFF if isinstance(wmi, int) else None
    reason = str(exc.reason or "").strip()
    if wsman in WSMAN_QUOTA_FAULTS or wmi in TRANSIENT_WMI_CODES:
        return TransientProviderError(
            f"{host}: {reason} (WS-Management fault {wsman}, WMI {wmi})", code=M.PROVIDER_BUSY
        )
    if wsman == WSMAN_SHELL_NOT_FOUND:
        # Idle timeout, a WinRM restart, a laptop asleep: the shell is gone, a new one will do.
        return TransientProviderError(f"{host}: the remote shell is gone ({reason})", code=M.SHELL_GONE)
    denied = wsman == WSMAN_ACCESS_DENIED or wmi in ACCESS_DENIED_CODES
    if phase == "connect":
        if denied:
            return ProviderUnavailable(
                f"{host} refused {settings.username or 'this account'} a remote shell (access denied).",
                "The account must be allowed to open a WinRM shell on the provider (local "
                "Administrators there). If the server only offers a JEA endpoint, cmassoc cannot "
                "use it: ask for shell access for this account.",
                code=M.SHELL_ACCESS_DENIED,
            )
        return ProviderUnavailable(
            f"{host} refused to open a remote shell: {reason} (WS-Management fault {wsman}).",
            "Remote shells may be disabled by policy (Windows Components > Windows Remote Shell > "
            "Allow Remote Shell Access) or limited to JEA endpoints: ask for shell access for this "
            "account on the SMS Provider.",
            code=M.SHELL_REFUSED,
        )
    if denied:
        return ProviderUnavailable(
            f"{host}: access denied ({reason}).",
            "The account must be allowed to use WinRM on the provider and hold a ConfigMgr role.",
            code=M.WINRM_ACCESS_DENIED,
        )
    return ProviderUnavailable(f"{host}: WS-Management fault {wsman}: {reason}", code=M.WSMAN_FAULT)


def hello_failure(settings: WinRMSettings, code: int, message: str) -> ProviderError:
    s = settings
    namespace = f"root\\SMS\\site_{s.site_code.upper()}"
    if code == WBEM_E_INVALID_NAMESPACE:
        return ProviderUnavailable(
            f"site code {s.site_code.upper()} not found on {s.host}: there is no namespace {namespace}.",
            "Check the site code, and that this host is an SMS Provider of that site.",
            code=M.SITE_CODE_NOT_FOUND,
        )
    if code in ACCESS_DENIED_CODES:
        return ProviderUnavailable(
            f"access denied to {namespace} on {s.host} for {s.username or 'this account'}.",
            "The account must be a ConfigMgr administrative user (it then is in SMS Admins on "
            "the provider by itself) with a role that may read devices and create computer "
            "associations, e.g. Operating System Deployment Manager. If the hierarchy requires "
            "certificate or Windows Hello logons to the SMS Provider, a password logon is refused.",
            code=M.NAMESPACE_ACCESS_DENIED,
        )
    if code in TRANSIENT_WMI_CODES:
        return TransientProviderError(f"{s.host}: 0x{code:08X} {message}", code=M.TEMPORARY_FAULT)
    return ProviderUnavailable(
        f"{s.host}: cannot open {namespace}: 0x{code:08X} {message}", code=M.NAMESPACE_FAILED
    )


def ended(host: str, phase: str, stderr: bytes, code: int | None) -> ProviderError:
    """The PowerShell process ended. Before READY that is the server refusing the script,
    which another try will not change; later it is a fault worth a new shell."""
    text = decode_stderr(stderr)
    detail = " ".join(text.splitlines()[:3])[:400]
    if phase in ("start", "bootstrap"):
        if re.search(
            r"malicious content|blocked by your antivirus|ScriptContainedMaliciousContent", text, re.I
        ):
            return ProviderUnavailable(
                f"{host}: the antivirus on the server blocked cmassoc's PowerShell script (AMSI): {detail}",
                "Ask the security team to allow it (README: what security teams will see), "
                "or run from a host where it is allowed.",
                code=M.SCRIPT_BLOCKED_BY_ANTIVIRUS,
            )
        return ProviderUnavailable(
            f"{host}: PowerShell on the server would not run cmassoc's script (exit {code})"
            + (f": {detail}" if detail else "."),
            "Run `cmassoc doctor` with the same options to see which check fails.",
            code=M.SCRIPT_REFUSED,
        )
    return TransientProviderError(
        f"{host}: the PowerShell on the server ended (exit {code})" + (f": {detail}" if detail else ""),
        code=M.POWERSHELL_ENDED,
    )


def refusal(host: str, words: list[str]) -> ProviderError:
    if words[:1] == ["language"]:
        mode = words[1] if len(words) > 1 else "a restricted"
        return ProviderUnavailable(
            f"{host}: PowerShell there runs in {mode} mode (WDAC/AppLocker script enforcement), "
            "which cannot run cmassoc's script.",
            "Ask for an exception for this account or host, or run cmassoc on a host in Full Language mode.",
            code=M.CONSTRAINED_LANGUAGE,
        )
    return ProviderUnavailable(f"{host}: the server refused: {' '.join(words)[:200]}", code=M.SERVER_REFUSED)


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
