"""How to reach the AdminService: checked settings, and nothing that opens a socket."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from importer import messages as M
from importer.errors import InputError

# Windows integrated logon (SPNEGO through pyspnego): negotiate (Kerberos, falling back to
# NTLM), ntlm, or kerberos only; bearer is an Entra ID token for a cloud management gateway.
AUTH_METHODS = ("ntlm", "negotiate", "kerberos", "bearer")
DEFAULT_CONCURRENCY = 4
MAX_URL = 2048  # IIS and HTTP.sys accept more; proxies and WAFs in between often do not


@dataclass(frozen=True)
class AdminServiceSettings:
    server: str  # host, host:port, or the service's URL (https://host/AdminService, a CMG's URL)
    site_code: str
    auth: str = "ntlm"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # or the bearer token
    ca_bundle: str | None = None
    verify_tls: bool = True
    proxy: str | None = None
    read_timeout: int = 60
    concurrency: int = DEFAULT_CONCURRENCY

    def __post_init__(self) -> None:
        if self.auth not in AUTH_METHODS:
            raise InputError(
                f"--auth {self.auth} is not for the AdminService: use one of {', '.join(AUTH_METHODS)}.",
                code=M.AUTH_UNKNOWN,
            )
        if not re.fullmatch(r"[A-Za-z0-9]{3}", self.site_code):
            raise InputError(
                f"--site-code {self.site_code!r}: a site code is three letters or digits.",
                code=M.SITE_CODE_INVALID,
            )
        if "://" in self.server and urlsplit(self.server).scheme != "https":
            raise InputError(
                "the AdminService is reached over HTTPS only.",
                "Give https://host/AdminService.",
                code=M.HTTPS_ONLY,
            )
        if not 1 <= self.concurrency <= 16:
            raise InputError("--concurrency: between 1 and 16 requests at once.", code=M.CONCURRENCY_RANGE)

    @property
    def base(self) -> str:
        """The service root, without a trailing slash: https://host/AdminService."""
        if "://" in self.server:
            url = self.server.rstrip("/")
            return url if url.lower().endswith("/adminservice") else f"{url}/AdminService"
        return f"https://{self.server}/AdminService"

    @property
    def host(self) -> str:
        return urlsplit(self.base).netloc
