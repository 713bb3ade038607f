"""`cmassoc doctor`: check a site before the first wave, one step at a time, and say what to fix.

Each check is ok, FAIL (with what to do) or note (could not be checked, or informational);
a check whose prerequisite failed is skipped. Nothing on the site changes.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from importer import messages as M
from importer.errors import ImporterError, InputError
from importer.messages import Code
from importer.site.gateway import PRIMARY_SITE, SITE_TYPES, Site
from importer.site.provider import SMS_ADMIN, SMS_R_SYSTEM, SMS_STATE_MIGRATION, Provider, Query
from importer.site.retry import RetryPolicy
from importer.site.winrm.settings import WinRMSettings

# Built-in roles whose permissions include creating computer associations (state migration).
# A custom role may too; its permissions are not read, so it is reported as not checked.
ROLES_WITH_STATE_MIGRATION = ("Full Administrator", "Operating System Deployment Manager")
CONNECT_TIMEOUT = 10.0
UNCHECKED_TLS = "not checked (--insecure-skip-tls-verify)"


class Outcome(StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    NOTE = "note"  # informational, or could not be checked
    SKIPPED = "skipped"  # an earlier check failed


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    advice: str = ""
    code: Code | None = None  # a FAIL or a note says what it is; ok and skipped need no code

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self) | {"outcome": self.outcome.value, "code": str(self.code) if self.code else None}


@dataclass
class Report:
    target: str
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.outcome is not Outcome.FAIL for c in self.checks)

    def add(
        self, name: str, outcome: Outcome, detail: str, advice: str = "", code: Code | None = None
    ) -> Check:
        check = Check(name, outcome, detail, advice, code)
        self.checks.append(check)
        return check

    def skip(self, names: Sequence[str]) -> None:
        for name in names:
            self.add(name, Outcome.SKIPPED, "an earlier check failed")


NETWORK_CHECKS = ("name resolution", "TCP port", "TLS certificate")
SESSION_CHECKS = ("authentication", "remote shell", "PowerShell", "namespace")
SITE_CHECKS = ("site type", "read SMS_R_System", "read SMS_StateMigration", "security role", "recovery keys")


def check_winrm(settings: WinRMSettings, connect: Callable[[], Provider]) -> Report:
    """The network, the session, then the site, over WinRM. `connect` opens the provider."""
    report = Report(settings.endpoint)
    parts = urlsplit(settings.endpoint)
    host, port = parts.hostname or "", parts.port or (5986 if parts.scheme == "https" else 5985)
    port_advice = (
        f"Nothing answers on {port}: check the WinRM listener (winrm enumerate "
        "winrm/config/listener) and the firewall; HTTPS is 5986, HTTP (--http) 5985."
    )
    if not reach(report, host, port, port_advice, SESSION_CHECKS + SITE_CHECKS):
        return report
    if parts.scheme != "https":
        report.add(
            "TLS certificate",
            Outcome.NOTE,
            "HTTP: messages are sealed by NTLM/Kerberos, no certificate",
            code=M.NO_TLS_OVER_HTTP,
        )
    elif not settings.verify_tls:
        report.add("TLS certificate", Outcome.NOTE, UNCHECKED_TLS, "Do not run waves so.", M.TLS_UNCHECKED)
    else:
        tls_advice = (
            "Pass the CA that signed the listener's certificate with --ca-bundle, and use the "
            "host name the certificate was issued to."
        )
        if not tls_trusted(report, host, port, settings.ca_bundle, tls_advice, SESSION_CHECKS + SITE_CHECKS):
            return report
    try:
        provider = connect()
    except ImporterError as exc:
        _session_failure(report, exc)
        return report
    try:
        info = getattr(provider, "server_info", {})
        report.add("authentication", Outcome.OK, f"logged on as {info.get('user') or settings.username}")
        report.add("remote shell", Outcome.OK, "a WinRS shell and powershell.exe started")
        report.add(
            "PowerShell",
            Outcome.OK,
            f"version {info.get('powershell', '?')}, {info.get('language', '?')}",
        )
        report.add("namespace", Outcome.OK, f"root\\SMS\\site_{settings.site_code.upper()} opened")
        check_site(provider, report, user=str(info.get("user") or ""), groups=info.get("groups") or [])
    finally:
        provider.close()
    return report


def reach(report: Report, host: str, port: int, port_advice: str, later: Sequence[str]) -> bool:
    """Name resolution and the TCP port; on a failure the later checks are skipped."""
    try:
        addresses = sorted({str(a[4][0]) for a in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except OSError as exc:
        report.add(
            "name resolution",
            Outcome.FAIL,
            f"{host}: {exc.strerror or exc}",
            "Check --server (DNS).",
            M.HOST_NOT_FOUND,
        )
        report.skip([*NETWORK_CHECKS[1:], *later])
        return False
    report.add("name resolution", Outcome.OK, f"{host} is {', '.join(addresses)}")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        report.add(
            "TCP port", Outcome.FAIL, f"{host}:{port}: {exc.strerror or exc}", port_advice, M.PORT_CLOSED
        )
        report.skip([*NETWORK_CHECKS[2:], *later])
        return False
    report.add("TCP port", Outcome.OK, f"{host}:{port} accepts connections")
    return True


def tls_trusted(
    report: Report, host: str, port: int, ca_bundle: str | None, advice: str, later: Sequence[str]
) -> bool:
    failure = _tls_failure(host, port, ca_bundle)
    if failure is not None:
        report.add("TLS certificate", Outcome.FAIL, failure, advice, M.TLS_NOT_TRUSTED)
        report.skip(later)
        return False
    report.add("TLS certificate", Outcome.OK, f"valid for {host}")
    return True


def _tls_failure(host: str, port: int, ca_bundle: str | None) -> str | None:
    context = ssl.create_default_context(cafile=ca_bundle)
    try:
        with (
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return None
    except ssl.SSLCertVerificationError as exc:
        return str(exc.verify_message or exc)
    except (ssl.SSLError, OSError) as exc:
        return str(exc)


# Which step of the session a connection failure stopped at, by its code; any other: the namespace.
_SESSION_STEPS = {
    code: step
    for step, codes in (
        ("authentication", (M.CREDENTIALS_REJECTED,)),
        ("remote shell", (M.SHELL_ACCESS_DENIED, M.SHELL_REFUSED, M.SHELL_GONE)),
        ("PowerShell", (M.SCRIPT_BLOCKED_BY_ANTIVIRUS, M.SCRIPT_REFUSED, M.POWERSHELL_ENDED)),
        ("PowerShell", (M.CONSTRAINED_LANGUAGE, M.BOOTSTRAP_NOT_READY)),
    )
    for code in codes
}


def _session_failure(report: Report, exc: ImporterError) -> None:
    """Which step the connection stopped at, from what the provider said (for a fault retried
    until the retries ran out, from the last fault)."""
    if isinstance(exc, InputError):
        report.add("authentication", Outcome.FAIL, exc.message, exc.hint or "", exc.code)
        report.skip(SESSION_CHECKS[1:] + SITE_CHECKS)
        return
    steps = list(SESSION_CHECKS)
    cause = exc.__cause__ if exc.code is M.RETRIES_EXHAUSTED else exc
    code = cause.code if isinstance(cause, ImporterError) else None
    failed = _SESSION_STEPS.get(code, "namespace") if code is not None else "namespace"
    for step in steps[: steps.index(failed)]:
        report.add(step, Outcome.OK, "passed")
    report.add(failed, Outcome.FAIL, exc.message, exc.hint or "", exc.code)
    report.skip(steps[steps.index(failed) + 1 :] + list(SITE_CHECKS))


def check_demo(provider: Provider) -> Report:
    report = Report(f"{provider.info.kind}: {provider.info.location}")
    report.add("demo site", Outcome.OK, f"site {provider.info.site_code} opened")
    return check_site(provider, report)


def check_site(provider: Provider, report: Report, user: str = "", groups: Sequence[str] = ()) -> Report:
    """What any provider is asked: the site's type, the two classes, and the account's roles."""
    site = Site(provider, retry=RetryPolicy(attempts=1))
    try:
        kind = site.site_type()
    except ImporterError as exc:
        report.add("site type", Outcome.FAIL, exc.message, exc.hint or "", exc.code)
        report.skip(SITE_CHECKS[1:])
        return report
    code = provider.info.site_code
    if kind == PRIMARY_SITE:
        report.add("site type", Outcome.OK, f"{code} is a primary site")
    elif kind is None:
        report.add(
            "site type",
            Outcome.NOTE,
            f"SMS_Site does not say what kind of site {code} is",
            code=M.SITE_TYPE_UNKNOWN,
        )
    else:
        report.add(
            "site type",
            Outcome.FAIL,
            f"{code} is a {SITE_TYPES.get(kind, f'site of type {kind}')}",
            "Associations are made on the primary site that holds both computers: use its provider "
            "and site code.",
            M.NOT_PRIMARY_SITE,
        )
    for name, query in (
        ("read SMS_R_System", Query(SMS_R_SYSTEM, ("ResourceID",), ((("Name", "CMASSOC-DOCTOR"),),))),
        (
            "read SMS_StateMigration",
            Query(SMS_STATE_MIGRATION, ("SourceClientResourceID",), ((("SourceClientResourceID", 0),),)),
        ),
    ):
        [result] = provider.query([query])
        if result.error is None:
            report.add(name, Outcome.OK, "readable (what the account sees depends on its security scopes)")
        else:
            report.add(
                name,
                Outcome.FAIL,
                result.error.describe(),
                "The account needs a ConfigMgr security role that may read this class.",
                M.CLASS_NOT_READABLE,
            )
    _check_roles(provider, report, user, groups)
    _check_recovery(provider, report)
    return report


def _check_recovery(provider: Provider, report: Report) -> None:
    """Whether the account may read recovery keys (`cmassoc keys`, undo's escrow). A note when it
    may not or when the site cannot tell, since a wave needs neither."""
    from importer.after.keys import recovery_right

    held, detail, advice = recovery_right(provider)
    report.add("recovery keys", Outcome.OK if held else Outcome.NOTE, detail, "" if held else advice)


def _check_roles(provider: Provider, report: Report, user: str, groups: Sequence[str]) -> None:
    if not user:
        report.add(
            "security role",
            Outcome.NOTE,
            "not checked: the provider did not say who is logged on",
            code=M.ROLE_NOT_CHECKED,
        )
        return
    [result] = provider.query([Query(SMS_ADMIN, ("LogonName", "AccountType", "RoleNames"), ())])
    if result.error is not None:
        report.add(
            "security role",
            Outcome.NOTE,
            f"could not be checked: SMS_Admin is not readable ({result.error.describe()})",
            "Make sure the account holds a role with the State Migration permissions.",
            M.ROLE_NOT_CHECKED,
        )
        return
    identities = {name.casefold() for name in (user, *groups)}
    roles: dict[str, str] = {}
    for row in result.rows:
        logon = str(row.get("LogonName") or "")
        if logon.casefold() in identities:
            names = row.get("RoleNames") or []
            for role in names if isinstance(names, list) else [names]:
                roles.setdefault(str(role), logon)
    if not roles:
        report.add(
            "security role",
            Outcome.FAIL,
            f"{user} is not a ConfigMgr administrative user (neither it nor its groups hold a role)",
            "Add the account (or one of its groups) under Administration > Security > Administrative "
            "Users with a role such as Operating System Deployment Manager and the right scopes.",
            M.NOT_AN_ADMINISTRATIVE_USER,
        )
        return
    shown = ", ".join(f"{role} (via {via})" for role, via in sorted(roles.items()))
    if any(role in roles for role in ROLES_WITH_STATE_MIGRATION):
        report.add("security role", Outcome.OK, shown)
    else:
        report.add(
            "security role",
            Outcome.NOTE,
            f"could not be confirmed: {shown}; custom roles' permissions are not read",
            "Make sure one of these roles may create computer associations (State Migration).",
            M.ROLE_NOT_CONFIRMED,
        )
