"""Windows integrated logon for requests, through pyspnego (maintained; NTLM in pure Python,
Kerberos through GSSAPI or SSPI where the OS has them), and bearer tokens for a CMG."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import requests


class SpnegoAuth(requests.auth.AuthBase):
    """Answers a 401 that offers Negotiate or NTLM with the handshake, on the same connection
    (the service authenticates the connection; later requests on it need nothing more)."""

    def __init__(self, username: str | None, password: str | None, protocol: str) -> None:
        self.username, self.password, self.protocol = username, password, protocol

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.register_hook("response", self._answer)
        return request

    def _answer(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        import spnego

        offered = response.headers.get("WWW-Authenticate", "").lower()
        if response.status_code != 401 or getattr(response.request, "cmassoc_tried", False):
            return response
        scheme = "Negotiate" if "negotiate" in offered else "NTLM" if "ntlm" in offered else None
        if scheme is None:
            return response
        context = spnego.client(
            self.username,
            self.password,
            hostname=urlsplit(response.url).hostname or "unspecified",
            service="HTTP",
            protocol=self.protocol,
            channel_bindings=_channel_bindings(response),
        )
        token = context.step()
        request = response.request.copy()
        request.cmassoc_tried = True  # type: ignore[attr-defined]
        for _ in range(4):
            response.content  # noqa: B018 - read it all, so the connection can be used again
            response.raw.release_conn()
            request.headers["Authorization"] = f"{scheme} {base64.b64encode(token or b'').decode()}"
            answer = response.connection.send(request, **kwargs)
            answer.history.append(response)
            answer.request = request
            if answer.status_code != 401:
                return answer
            challenge = _token(answer.headers.get("WWW-Authenticate", ""), scheme)
            if challenge is None or context.complete:
                return answer  # rejected: the caller says so, once
            token = context.step(challenge)
            response = answer
        return response


def _token(header: str, scheme: str) -> bytes | None:
    for part in header.split(","):
        name, _, value = part.strip().partition(" ")
        if name.lower() == scheme.lower() and value.strip():
            return base64.b64decode(value.strip())
    return None


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _channel_bindings(response: requests.Response) -> Any:
    """RFC 5929 tls-server-end-point of the connection's certificate, so that a service that
    enforces Extended Protection accepts the logon (and a man in the middle cannot relay it).
    None where the certificate cannot be had from the connection."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from spnego.channel_bindings import GssChannelBindings

    try:
        der = response.raw._fp.fp.raw._sock.getpeercert(True)
    except AttributeError:
        return None
    if not der:
        return None
    certificate = x509.load_der_x509_certificate(der)
    try:
        algorithm = certificate.signature_hash_algorithm
    except Exception:  # an algorithm cryptography does not know: no binding, as requests-ntlm does
        return None
    if algorithm is None or algorithm.name in ("md5", "sha1"):
        algorithm = hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(der)
    return GssChannelBindings(application_data=b"tls-server-end-point:" + digest.finalize())
