"""How to reach an SMS Provider over WinRM: checked settings, and nothing that opens a socket.

Kept apart from the provider so that parsing options never imports requests or pywinrm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from importer.errors import InputError

AUTH_METHODS = ("ntlm", "kerberos", "credssp", "basic", "certificate")


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
    cert_pem: str | None = None
    cert_key_pem: str | None = None
    proxy: str | None = None
    operation_timeout: int = 20
    read_timeout: int = 30
    reply_timeout: float = 600.0  # longest wait for one batch's reply

    def __post_init__(self) -> None:
        if self.auth not in AUTH_METHODS:
            raise InputError(f"--auth {self.auth}: use one of {', '.join(AUTH_METHODS)}.")
        if not re.fullmatch(r"[A-Za-z0-9]{3}", self.site_code):
            raise InputError(f"--site-code {self.site_code!r}: a site code is three letters or digits.")
        scheme = urlsplit(self.endpoint).scheme
        if self.auth == "basic" and scheme != "https":
            raise InputError(
                "basic authentication over HTTP would send the password in clear.",
                "Use HTTPS (the default) or ntlm/kerberos, which encrypt the messages over HTTP.",
            )
        if self.auth == "certificate" and (scheme != "https" or not self.cert_pem or not self.cert_key_pem):
            raise InputError("certificate authentication needs HTTPS, --cert-pem and --cert-key-pem.")
        if self.read_timeout <= self.operation_timeout:
            raise InputError("the read timeout must be longer than the operation timeout.")

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
