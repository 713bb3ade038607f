"""From SiteOptions to a provider: the demo site, or a real SMS Provider over WinRM."""

from __future__ import annotations

from pathlib import Path

from importer import messages as M
from importer.cli.output import announce, usage_error
from importer.cli.site_options import DEFAULT_DEMO_SITE, SiteOptions
from importer.environment import Environment
from importer.site.gateway import Site
from importer.site.provider import Provider


def build_provider(site: SiteOptions, env: Environment) -> Provider:
    """The provider, connected, and checked to serve a primary site (associations cannot be
    made at a central administration site)."""
    provider = connect_provider(site, env)
    try:
        Site(provider, retry=site.retry).check_site()
    except BaseException:
        provider.close()
        raise
    return provider


def connect_provider(site: SiteOptions, env: Environment) -> Provider:
    """The provider the options name, connected; nothing about the site is checked yet."""
    if (site.demo is None) == (site.server is None):
        raise usage_error(M.NEEDS_SITE, "give either --demo [SITE.db] or --server HOST --site-code ABC.")
    if site.demo is not None:
        from importer.site.demo.provider import DemoSite
        from importer.site.demo.samples import ensure_default_site

        path = Path(site.demo)
        if site.demo == DEFAULT_DEMO_SITE:
            ensure_default_site(path)
        return DemoSite(path, latency=env.demo_latency)
    if not site.site_code:
        raise usage_error(
            M.SERVER_NEEDS_SITE_CODE, "--server needs --site-code (the three-character site code)."
        )
    if site.via == "adminservice":
        from importer.site.adminservice.connect import connect_adminservice

        return connect_adminservice(site.adminservice_settings(), site.retry, env, announce)
    from importer.site.winrm.connect import connect_winrm

    return connect_winrm(site.winrm_settings(), site.retry, env, announce)
