"""`cmassoc doctor --via adminservice`: reachability, TLS, logon, the ConfigMgr version and what
the service's $metadata offers, before the site's own checks (importer.after.doctor)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from importer import messages as M
from importer.after.doctor import (
    SITE_CHECKS,
    UNCHECKED_TLS,
    Outcome,
    Report,
    check_site,
    reach,
    tls_trusted,
)
from importer.errors import ImporterError
from importer.site.adminservice.settings import AdminServiceSettings
from importer.site.provider import Provider, Query

AS_SESSION_CHECKS = ("authentication", "ConfigMgr version", "classes and methods offered")
# What cmassoc asks of the AdminService's WMI route: the classes it reads, and its methods.
NEEDED_CLASSES = ("SMS_R_System", "SMS_StateMigration", "SMS_Site")
NEEDED_METHODS = (
    "SMS_StateMigration.AddAssociationEx",
    "SMS_StateMigration.DeleteAssociation",
    "SMS_Site.ImportMachineEntry",
    "SMS_Collection.AddMembershipRules",
    "SMS_Collection.DeleteMembershipRule",
)
FIRST_WITH_STATIC_METHODS = 8913  # ConfigMgr 1910's build: static methods on the WMI route


def check_adminservice(settings: AdminServiceSettings, connect: Callable[[], Provider]) -> Report:
    """Reachability, TLS, logon, the version, and what the service's $metadata offers, before
    the site's own checks. `connect` opens the provider."""
    report = Report(settings.base)
    parts = urlsplit(settings.base)
    host, port = parts.hostname or "", parts.port or 443
    later = AS_SESSION_CHECKS + SITE_CHECKS
    port_advice = (
        "Nothing answers on HTTPS there: the AdminService runs on the SMS Provider (SMS_REST_PROVIDER "
        "component); check the firewall, or give the URL with its port."
    )
    if not reach(report, host, port, port_advice, later):
        return report
    if not settings.verify_tls:
        report.add("TLS certificate", Outcome.NOTE, UNCHECKED_TLS, "Do not run waves so.", M.TLS_UNCHECKED)
    else:
        tls_advice = (
            "The site signs the AdminService's certificate itself unless a PKI one is bound: export "
            'the "SMS Issuing" root from the provider as Base-64 .cer and pass it with --ca-bundle.'
        )
        if not tls_trusted(report, host, port, settings.ca_bundle, tls_advice, later):
            return report
    try:
        provider = connect()
    except ImporterError as exc:
        report.add("authentication", Outcome.FAIL, exc.message, exc.hint or "", exc.code)
        report.skip(AS_SESSION_CHECKS[1:] + SITE_CHECKS)
        return report
    try:
        report.add("authentication", Outcome.OK, f"logged on as {settings.username or 'the token given'}")
        _check_version(provider, report)
        if not _check_offered(provider, report):
            report.skip(SITE_CHECKS)
            return report
        check_site(provider, report, user=settings.username or "")
    finally:
        provider.close()
    return report


def _check_version(provider: Provider, report: Report) -> None:
    code = provider.info.site_code
    [result] = provider.query([Query("SMS_Site", ("SiteCode", "Version"), ((("SiteCode", code),),))])
    version = str(result.rows[0].get("Version") or "") if result.error is None and result.rows else ""
    build = version.split(".")[2] if version.count(".") >= 2 else ""
    if not build.isdigit():
        report.add(
            "ConfigMgr version",
            Outcome.NOTE,
            f"not read ({result.error.describe() if result.error else 'no Version'})",
            code=M.VERSION_NOT_READ,
        )
    elif int(build) < FIRST_WITH_STATIC_METHODS:
        report.add(
            "ConfigMgr version",
            Outcome.FAIL,
            f"{version}: before 1910, the AdminService calls no WMI methods",
            "Use --via winrm, or update ConfigMgr.",
            M.VERSION_TOO_OLD,
        )
    else:
        report.add("ConfigMgr version", Outcome.OK, f"{version} (build {build})")


def _check_offered(provider: Provider, report: Report) -> bool:
    metadata = getattr(provider, "metadata", None)
    if metadata is None:
        report.add(
            "classes and methods offered", Outcome.NOTE, "this provider has no $metadata", code=M.NO_METADATA
        )
        return True
    try:
        text = metadata()
    except ImporterError as exc:
        report.add("classes and methods offered", Outcome.FAIL, exc.message, exc.hint or "", exc.code)
        return False
    classes = set(re.findall(r'<EntityType\s+Name="(\w+)"', text))
    actions = set(re.findall(r'<Action\s+Name="(\w+)"', text))
    missing = [c for c in NEEDED_CLASSES if c not in classes]
    missing += [m for m in NEEDED_METHODS if m.split(".")[1] not in actions]
    if missing:
        report.add(
            "classes and methods offered",
            Outcome.FAIL,
            f"$metadata does not offer {', '.join(missing)}",
            "Use --via winrm on this site (the WMI route is an allow-list that grows with versions).",
            M.ADMINSERVICE_NOT_OFFERED,
        )
        return False
    report.add(
        "classes and methods offered",
        Outcome.OK,
        f"{', '.join(NEEDED_CLASSES)} and {len(NEEDED_METHODS)} methods, per $metadata",
    )
    return True
