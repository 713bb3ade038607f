"""How to reach an SMS Provider over WinRM: checked settings, and nothing that opens a socket.

Kept apart from the provider so that parsing options never imports requests or pywinrm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from importer import messages as M
from importer.errors import InputError

AUTH_METHODS = ("ntlm", "kerberos", "credssp")
# WinRM maps these logons to local accounts of the server only, and a local account cannot
# hold a ConfigMgr security role: offered by pywinrm, refused here with the reason.
LOCAL_ONLY_AUTH = ("basic", "certificate")
WINRM_MAX_OPERATION_TIMEOUT = 60  # winrm/config MaxTimeoutms default: longer requests fault


@dataclass(frozen=True)
class WinRMSettings:
    server: str  # host, host:port or a full https://host:5986/wsman URL
    site_code: str
    auth: str = "ntlm"
    https: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    verify_tls: bool = True
    proxy: str | None = None
    operation_timeout: int = 20
    read_timeout: int = 30
    shell_idle_timeout: int = 900  # seconds: an orphaned shell and its powershell.exe die after this
    reply_timeout: float = 600.0  # longest wait for one batch's reply

    def __post_init__(self) -> None:
        if self.auth in LOCAL_ONLY_AUTH:
            raise InputError(
                f"--auth {self.auth} cannot work with ConfigMgr: WinRM maps {self.auth} logons to local "
                "accounts of the server only, and a local account cannot hold a ConfigMgr security role.",
                "Use --auth ntlm (the default) or kerberos with a domain account that is a ConfigMgr "
                "administrative user.",
                code=M.AUTH_LOCAL_ONLY,
            )
        if self.auth not in AUTH_METHODS:
            raise InputError(
                f"--auth {self.auth}: use one of {', '.join(AUTH_METHODS)}.", code=M.AUTH_UNKNOWN
            )
        if not re.fullmatch(r"[A-Za-z0-9]{3}", self.site_code):
            raise InputError(
                f"--site-code {self.site_code!r}: a site code is three letters or digits.",
                code=M.SITE_CODE_INVALID,
            )
        if self.auth == "kerberos" and self.username and ("\\" in self.username or "@" not in self.username):
            raise InputError(
                f"--auth kerberos takes a principal such as admin@CONTOSO.COM, not {self.username!r}.",
                "Give --username user@REALM, or no user name to use your logon ticket (kinit on "
                "Linux/macOS); Kerberos never asks for a password here.",
                code=M.KERBEROS_PRINCIPAL,
            )
        if self.read_timeout <= self.operation_timeout:
            raise InputError(
                "the read timeout must be longer than the operation timeout.", code=M.TIMEOUTS_ORDER
            )
        if self.shell_idle_timeout < 60:
            raise InputError(
                "the shell idle timeout must be at least 60 seconds.", code=M.SHELL_IDLE_TOO_SHORT
            )

    @property
    def endpoint(self) -> str:
        if "://" in self.server:
            parts = urlsplit(self.server)
            return self.server if parts.path not in ("", "/") else f"{parts.scheme}://{parts.netloc}/wsman"
        scheme, port = ("https", 5986) if self.https else ("http", 5985)
        host = self.server if ":" in self.server.strip("[]") else f"{self.server}:{port}"
        return f"{scheme}://{host}/wsman"

    @property
    def host(self) -> str:
        return urlsplit(self.endpoint).netloc
