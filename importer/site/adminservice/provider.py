"""The real SMS Provider through its administration service: one HTTPS request per query,
keyed read or method call, several in flight at once (each thread its own keep-alive
connection), faults mapped to the same taxonomy as WinRM's. Nothing is retried here: a
transient fault is raised for the batch, and the gateway reconciles before anything is sent
again, exactly as over WinRM."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests

from importer import messages
from importer import messages as M
from importer.errors import ProtocolError, ProviderError, ProviderUnavailable, TransientProviderError
from importer.site.adminservice import odata
from importer.site.adminservice.auth import BearerAuth, SpnegoAuth
from importer.site.adminservice.settings import MAX_URL, AdminServiceSettings
from importer.site.provider import (
    DELETE_INSTANCE,
    GET_KEY,
    SMS_SITE,
    SMS_STATE_MIGRATION,
    TRANSIENT_WMI_CODES,
    WBEM_E_INVALID_QUERY,
    WBEM_E_NOT_FOUND,
    CallResult,
    Match,
    MethodCall,
    ProviderInfo,
    Query,
    QueryResult,
    WmiError,
)

log = logging.getLogger("importer")
T = TypeVar("T")
CONNECT_TIMEOUT = 10
MAX_PAGES = 10_000  # @odata.nextLink followed at most this often (a loop is a broken server)
MAX_ANSWER = 256 * 1024 * 1024  # bytes of one answer: far more than a page of instances


class AdminServiceProvider:
    """Implements importer.site.provider.Provider over https://<provider>/AdminService/wmi/."""

    def __init__(self, settings: AdminServiceSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._key_route: str | None = None  # why keys cannot be read here ("" when they can)
        self.requests = 0  # HTTP requests sent, handshakes aside (the benchmark reads it)

    @property
    def info(self) -> ProviderInfo:
        return ProviderInfo("adminservice", self.settings.base, self.settings.site_code.upper())

    # -- Provider ------------------------------------------------------------------

    def connect(self) -> None:
        """One read that needs a logon: the service is there, TLS holds, the account is let in."""
        code = self.settings.site_code.upper()
        [found] = self.query([Query(SMS_SITE, ("SiteCode",), ((("SiteCode", code),),))])
        if found.error is not None:
            raise ProviderUnavailable(
                f"{self.settings.host}: reading SMS_Site failed: {found.error.describe()}",
                code=M.QUERY_FAILED,
            )

    def metadata(self) -> str:
        """The service's CSDL ($metadata): which classes and methods its WMI route offers."""
        answer = self._send("GET", f"{self.settings.base}/wmi/$metadata", None, "$metadata")
        if answer.status_code >= 400:
            raise ProviderUnavailable(
                f"{self.settings.host}: $metadata answered HTTP {answer.status_code}.",
                code=M.ADMINSERVICE_HTTP_ERROR,
            )
        answer.encoding = answer.encoding or "utf-8"
        return answer.text

    def recovery_route(self) -> str:
        """Why this service cannot give recovery keys ("" when it can): GetEncryptDecryptKey is
        called on the association instance, so $metadata must bind the action to
        SMS_StateMigration itself. Read once."""
        with self._lock:
            known = self._key_route
        if known is None:
            offered = odata.bindings(self.metadata()).get(GET_KEY, set())
            if SMS_STATE_MIGRATION in offered:
                known = ""
            elif offered:
                bound = ", ".join(sorted(offered))
                known = f"its $metadata binds {GET_KEY} only to {bound}, not to an association"
            else:
                known = f"its $metadata offers no {GET_KEY} action"
            with self._lock:
                self._key_route = known
        return known

    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        return self._all([lambda q=q: self._query(q) for q in queries])  # type: ignore[misc]

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        if any(c.method == GET_KEY for c in calls):
            missing = self.recovery_route()  # read once, before the calls go out in parallel
            if missing:
                raise ProviderUnavailable(
                    f"{self.settings.host}: this site's AdminService does not offer recovery keys "
                    f"({missing}).",
                    "Read them over WinRM: the same command with --via winrm.",
                    code=messages.KEYS_ROUTE_MISSING,
                )
        return self._all([lambda c=c: self._call(c) for c in calls])  # type: ignore[misc]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    # -- the work --------------------------------------------------------------------

    def _all(self, tasks: list[Callable[[], T]]) -> list[T]:
        """Every task, `concurrency` at a time. A transient fault of any is raised once all have
        ended (what the others did is then known to the site, and reconciled by the gateway)."""
        if len(tasks) <= 1 or self.settings.concurrency == 1:
            return [task() for task in tasks]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="adminservice")
        futures = [self._pool.submit(task) for task in tasks]
        results: list[T] = []
        failure: BaseException | None = None
        for future in futures:
            try:
                results.append(future.result())
            except BaseException as exc:
                if failure is None or (
                    isinstance(failure, TransientProviderError)
                    and not isinstance(exc, TransientProviderError)
                ):
                    failure = exc
        if failure is not None:
            raise failure
        return results

    def _query(self, query: Query) -> QueryResult:
        base = self.settings.base
        if query.by_key:
            rows: list[dict[str, Any]] = []
            for match in query.matches:
                url = odata.keyed_url(base, query.class_name, match, query.properties + query.lazy)
                answer = self._send("GET", url, None, query.class_name)
                if answer.status_code == 404 and _is_instance_missing(answer):
                    continue
                failed = self._failure(answer, query.class_name)
                if failed is not None:
                    return QueryResult(error=failed)
                rows.extend(self._rows(answer, query.class_name))
            return QueryResult(rows=rows)
        try:
            return QueryResult(rows=self._filtered(query, list(query.matches)))
        except _ItemError as exc:
            return QueryResult(error=exc.error)

    def _filtered(self, query: Query, matches: list[Match]) -> list[dict[str, Any]]:
        """The query's rows; a URL longer than MAX_URL is split in halves (never truncated)."""
        url = odata.query_url(self.settings.base, query, matches)
        if len(url) > MAX_URL and len(matches) > 1:
            half = len(matches) // 2
            return self._filtered(query, matches[:half]) + self._filtered(query, matches[half:])
        rows: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            answer = self._send("GET", url, None, query.class_name)
            failed = self._failure(answer, query.class_name)
            if failed is not None:
                raise _ItemError(failed)
            rows.extend(self._rows(answer, query.class_name))
            next_link = _json(answer, query.class_name).get("@odata.nextLink")
            if not next_link:
                return rows
            url = str(next_link)
        raise ProtocolError(
            f"{self.settings.host}: {query.class_name} kept answering with more pages.",
            code=M.UNREADABLE_REPLY,
        )

    def _call(self, call: MethodCall) -> CallResult:
        method, url, body = odata.call_request(self.settings.base, call)
        what = f"{call.class_name}.{call.method}" if call.method != DELETE_INSTANCE else call.class_name
        answer = self._send(method, url, body, what)
        if method == "DELETE" and answer.status_code == 404 and _is_instance_missing(answer):
            return CallResult(error=WmiError(WBEM_E_NOT_FOUND, "Not found"))
        failed = self._failure(answer, what)
        if failed is not None:
            return CallResult(error=failed)
        if method == "DELETE" or not answer.content:
            return CallResult(return_value=0)
        data = odata.from_json(_json(answer, what))
        value = data.pop("ReturnValue", 0)
        if not isinstance(value, int):
            raise ProtocolError(
                f"{self.settings.host}: {what} answered a ReturnValue that is not a number.",
                code=M.UNREADABLE_REPLY,
            )
        return CallResult(return_value=value, out=data)

    # -- HTTP --------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            s = self.settings
            session = requests.Session()
            session.trust_env = False  # no proxy or CA bundle from the environment by surprise
            session.verify = (s.ca_bundle or True) if s.verify_tls else False
            if s.proxy:
                session.proxies = {"https": s.proxy}
            session.headers.update({"Accept": "application/json", "User-Agent": "cmassoc"})
            if s.auth == "bearer":
                session.auth = BearerAuth(s.password or "")
            else:
                session.auth = SpnegoAuth(s.username, s.password, s.auth)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _send(self, method: str, url: str, body: dict[str, Any] | None, what: str) -> requests.Response:
        host = self.settings.host
        with self._lock:
            self.requests += 1
        try:
            answer = self._session().request(
                method, url, json=body, timeout=(CONNECT_TIMEOUT, self.settings.read_timeout), stream=True
            )
            _read_bounded(answer, host)
        except requests.exceptions.SSLError as exc:
            raise ProviderUnavailable(
                f"{host}: the AdminService's certificate is not trusted ({_tls_reason(str(exc))}).",
                "The site signs it itself unless a PKI certificate is bound: export its root (the "
                '"SMS Issuing" certificate, from the provider\'s Trusted Root store) as Base-64 .cer '
                "and pass it with --ca-bundle, or bind a certificate from your PKI.",
                code=M.TLS_NOT_TRUSTED,
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            text = str(exc)
            if re.search(
                r"Name or service not known|getaddrinfo failed|NameResolution|Failed to resolve", text
            ):
                raise ProviderUnavailable(
                    f"{host}: host name not found (DNS).", "Check --server.", code=M.HOST_NOT_FOUND
                ) from exc
            raise TransientProviderError(
                f"{host}: connection lost ({_short(text)})", code=M.CONNECTION_LOST
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise TransientProviderError(
                f"{host}: no answer within {self.settings.read_timeout} s", code=M.NO_ANSWER
            ) from exc
        status = answer.status_code
        if status == 401:
            who = self.settings.username or "this account"
            raise ProviderUnavailable(
                f"{host} rejected the credentials of {who} (HTTP 401).",
                "Check the user name and password (or the token); a rejected logon is never retried, "
                "to spare the account a lockout.",
                code=M.CREDENTIALS_REJECTED,
            )
        if status == 403:
            raise ProviderUnavailable(
                f"{host}: {self.settings.username or 'this account'} may not use the AdminService "
                "(HTTP 403).",
                "The account must be a ConfigMgr administrative user with a role that may create "
                "computer associations.",
                code=M.ADMINSERVICE_FORBIDDEN,
            )
        if status in (408, 429, 502, 503, 504):
            raise TransientProviderError(f"{host}: HTTP {status} (busy) for {what}", code=M.PROVIDER_BUSY)
        if status == 404 and not _is_instance_missing(answer):
            raise ProviderUnavailable(
                f"{host}: this site's AdminService does not offer {what} (HTTP 404).",
                "Use --via winrm, or check the ConfigMgr version (static methods on the WMI route "
                "need 1910 or later): cmassoc doctor --via adminservice lists what it offers.",
                code=M.ADMINSERVICE_NOT_OFFERED,
            )
        return answer

    def _failure(self, answer: requests.Response, what: str) -> WmiError | None:
        """None for a success; a WMI error of this item; a transient fault raised for the batch."""
        status = answer.status_code
        if status < 400:
            return None
        body = _json(answer, what, allow_empty=True)
        error, coded = odata.error_of(body, status)
        if coded and error.code in TRANSIENT_WMI_CODES:
            raise TransientProviderError(
                f"{self.settings.host}: {error.describe()} ({what})", code=M.TEMPORARY_FAULT
            )
        if status >= 500 and not coded:
            # No WMI code: the work may or may not have happened. The gateway reconciles.
            raise TransientProviderError(
                f"{self.settings.host}: HTTP {status} for {what}", code=M.PROVIDER_BUSY
            )
        if not coded:
            return WmiError(WBEM_E_INVALID_QUERY if status == 400 else 0, error.message)
        return error

    def _rows(self, answer: requests.Response, what: str) -> list[dict[str, Any]]:
        try:
            return odata.rows_of(_json(answer, what))
        except ValueError as exc:
            raise ProtocolError(f"{self.settings.host}: {what}: {exc}.", code=M.UNREADABLE_REPLY) from exc


def _read_bounded(answer: requests.Response, host: str) -> None:
    """The answer's body, read whole but never past MAX_ANSWER (a server is not trusted to
    be sane); the connection stays open for the next request."""
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER:
        answer.close()
        raise ProtocolError(
            f"{host}: an answer of {int(declared):,} bytes, more than cmassoc reads.", code=M.REPLY_TOO_LARGE
        )
    body = answer.raw.read(MAX_ANSWER + 1, decode_content=True) or b""
    if len(body) > MAX_ANSWER:
        answer.close()
        raise ProtocolError(
            f"{host}: an answer larger than {MAX_ANSWER:,} bytes, more than cmassoc reads.",
            code=M.REPLY_TOO_LARGE,
        )
    answer._content = body
    answer._content_consumed = True
    answer.raw.release_conn()


class _ItemError(Exception):
    def __init__(self, error: WmiError) -> None:
        super().__init__(error.message)
        self.error = error


def _json(answer: requests.Response, what: str, allow_empty: bool = False) -> Any:
    if not answer.content:
        if allow_empty:
            return {}
        raise ProtocolError(f"{answer.url}: an empty answer for {what}.", code=M.UNREADABLE_REPLY)
    try:
        return answer.json()
    except ValueError as exc:
        if allow_empty:
            return {}
        raise ProtocolError(
            f"{answer.url}: the answer for {what} is not JSON.", code=M.UNREADABLE_REPLY
        ) from exc


def _is_instance_missing(answer: requests.Response) -> bool:
    """A 404 that means "no such instance" (an OData error about the key), not "no such class"."""
    if answer.status_code != 404:
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and str(error.get("code", "")).lower() in ("notfound", "instancenotfound")


def _short(text: str) -> str:
    match = re.search(r"\(Caused by ([^)]*\))", text)
    return (match.group(1) if match else text)[:160]


def _tls_reason(text: str) -> str:
    found = re.search(r"certificate verify failed: ([^(\"')]*)", text)
    return found.group(1).strip() if found else _short(text)


__all__ = ["AdminServiceProvider", "ProviderError"]
