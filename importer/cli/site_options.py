"""The site options of every command that reaches a site (run, undo, status, doctor, serve):
which site (the demo database, or an SMS Provider over WinRM or the AdminService), how to
sign in and reach it, and how hard to try; declared once as click options and handed to a
command as one SiteOptions, whose defaults come from the settings dataclasses it feeds
(WinRMSettings, AdminServiceSettings, RetryPolicy, RunOptions), so each is written once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import click

from importer import RunOptions
from importer.cli.options import default, grouped
from importer.site.adminservice.settings import AUTH_METHODS as ADMINSERVICE_AUTH
from importer.site.adminservice.settings import AdminServiceSettings
from importer.site.retry import RetryPolicy
from importer.site.winrm.settings import AUTH_METHODS, LOCAL_ONLY_AUTH, WinRMSettings

DEFAULT_DEMO_SITE = "demo-site.db"


@dataclass(frozen=True)
class SiteOptions:
    """Which site, how to reach it, and how hard to try: shared by run and undo."""

    demo: str | None = None
    server: str | None = None
    via: str = "winrm"  # or "adminservice"
    concurrency: int = default(AdminServiceSettings, "concurrency")
    site_code: str | None = None
    auth: str = default(WinRMSettings, "auth")
    http: bool = False
    username: str | None = None
    ca_bundle: str | None = None
    insecure_skip_tls_verify: bool = False
    proxy: str | None = None
    operation_timeout: int = default(WinRMSettings, "operation_timeout")
    read_timeout: int = default(WinRMSettings, "read_timeout")
    shell_idle_timeout: int = default(WinRMSettings, "shell_idle_timeout") // 60  # minutes
    batch_size: int = default(RunOptions, "batch_size")
    retries: int = default(RetryPolicy, "attempts")
    retry_wait: float = default(RetryPolicy, "wait_first")

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.retries,
            wait_first=self.retry_wait,
            wait_max=max(default(RetryPolicy, "wait_max"), self.retry_wait),
        )

    def adminservice_settings(self) -> AdminServiceSettings:
        assert self.server is not None and self.site_code is not None
        return AdminServiceSettings(
            server=self.server,
            site_code=self.site_code,
            auth=self.auth,
            username=self.username,
            ca_bundle=self.ca_bundle,
            verify_tls=not self.insecure_skip_tls_verify,
            proxy=self.proxy,
            read_timeout=self.read_timeout,
            concurrency=self.concurrency,
        )

    def winrm_settings(self) -> WinRMSettings:
        assert self.server is not None and self.site_code is not None
        return WinRMSettings(
            server=self.server,
            site_code=self.site_code,
            auth=self.auth,
            https=not self.http,
            username=self.username,
            ca_bundle=self.ca_bundle,
            verify_tls=not self.insecure_skip_tls_verify,
            proxy=self.proxy,
            operation_timeout=self.operation_timeout,
            read_timeout=self.read_timeout,
            shell_idle_timeout=self.shell_idle_timeout * 60,
        )


_SITE_OPTIONS = (
    click.option(
        "--demo",
        "demo",
        is_flag=False,
        flag_value=DEFAULT_DEMO_SITE,
        default=None,
        metavar="[SITE.db]",
        help=f"Use the simulated site (default ./{DEFAULT_DEMO_SITE}, created from the samples if missing).",
    ),
    click.option(
        "--server", metavar="HOST[:PORT]", help="SMS Provider server, reached over WinRM (or a full URL)."
    ),
    click.option(
        "--via",
        type=click.Choice(["winrm", "adminservice"]),
        default=SiteOptions.via,
        show_default=True,
        help="The way in: WinRM (any version; batches of 200 a request) or the AdminService (REST over "
        "HTTPS, ConfigMgr 1910+, no PowerShell on the server; one request a call).",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(1, 16),
        default=SiteOptions.concurrency,
        show_default=True,
        help="AdminService requests in flight at once.",
    ),
    click.option("--site-code", metavar="ABC", help="Site code of the SMS Provider."),
    click.option(
        "--auth",
        type=click.Choice(tuple(dict.fromkeys(AUTH_METHODS + ADMINSERVICE_AUTH + LOCAL_ONLY_AUTH))),
        default=SiteOptions.auth,
        show_default=True,
        help="Authentication: ntlm, or kerberos (--username user@REALM, or your logon ticket); with "
        "--via adminservice also negotiate, or bearer (an Entra ID token, through a cloud management "
        "gateway). basic and certificate are refused: they map to local accounts, which hold no "
        "ConfigMgr role.",
    ),
    click.option(
        "--http",
        is_flag=True,
        help="HTTP on 5985 (messages encrypted by ntlm/kerberos/credssp) instead of HTTPS on 5986.",
    ),
    click.option(
        "--username",
        metavar="DOMAIN\\USER",
        help="WinRM account [default: CMASSOC_USERNAME]. The password comes from CMASSOC_PASSWORD, "
        "the keyring or a prompt, never from a flag.",
    ),
    click.option(
        "--ca-bundle",
        type=click.Path(dir_okay=False, exists=True),
        help="CA certificate(s) that signed the WinRM listener's certificate.",
    ),
    click.option(
        "--insecure-skip-tls-verify",
        is_flag=True,
        help="Do not check the server's certificate (prints a warning).",
    ),
    click.option(
        "--proxy", metavar="URL", help="HTTP proxy for WinRM [default: none, whatever the environment says]."
    ),
    click.option(
        "--operation-timeout",
        type=click.IntRange(5, 3600),
        default=SiteOptions.operation_timeout,
        show_default=True,
        help="WinRM operation timeout, seconds (WinRM's own maximum is 60 unless the server allows more).",
    ),
    click.option(
        "--read-timeout",
        type=click.IntRange(6, 3600),
        default=SiteOptions.read_timeout,
        show_default=True,
        help="HTTP read timeout, seconds (longer than the operation timeout).",
    ),
    click.option(
        "--shell-idle-timeout",
        type=click.IntRange(1, 1440),
        default=SiteOptions.shell_idle_timeout,
        show_default=True,
        metavar="MINUTES",
        help="The remote shell (and its powershell.exe) ends by itself after this long unused.",
    ),
    click.option(
        "--batch-size",
        type=click.IntRange(1, 5000),
        default=SiteOptions.batch_size,
        show_default=True,
        help="Method calls (pairs to create or delete) per provider round trip; queries are sized "
        "on their own, within WMI's limits.",
    ),
    click.option(
        "--retries",
        type=click.IntRange(1, 50),
        default=SiteOptions.retries,
        show_default=True,
        help="Attempts per provider round trip when the fault is transient.",
    ),
    click.option(
        "--retry-wait",
        type=click.FloatRange(0, 300),
        default=SiteOptions.retry_wait,
        show_default=True,
        help="First wait before a retry, seconds; it doubles (with jitter) up to 30 s.",
    ),
)
SITE_KEYS = tuple(f.name for f in dataclasses.fields(SiteOptions))

site_options = grouped(_SITE_OPTIONS, SiteOptions, "site")
