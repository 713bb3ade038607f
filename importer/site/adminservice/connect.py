"""From checked settings to a live AdminService connection: the credentials (never a flag), or
an Entra ID token for a cloud management gateway, then one read that needs a logon."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from importer import messages as M
from importer.environment import TOKEN, Environment
from importer.errors import InputError
from importer.site.adminservice.provider import AdminServiceProvider
from importer.site.adminservice.settings import AdminServiceSettings
from importer.site.retry import RetryPolicy
from importer.site.winrm.connect import open_with_retries, warn_if_unchecked
from importer.site.winrm.credentials import resolve_credentials


def connect_adminservice(
    settings: AdminServiceSettings,
    retry: RetryPolicy,
    env: Environment,
    warn: Callable[[str], None] = lambda _text: None,
) -> AdminServiceProvider:
    if settings.auth == "bearer":
        token = env.get(TOKEN) or device_code_token(env, warn)
        settings = dataclasses.replace(settings, password=token)
    else:
        protocol = "ntlm" if settings.auth == "negotiate" else settings.auth  # the same chain
        username, password = resolve_credentials(protocol, settings.username, env)
        settings = dataclasses.replace(settings, username=username, password=password)
    warn_if_unchecked(settings.verify_tls, warn)
    return open_with_retries(AdminServiceProvider(settings), retry, settings.host)


def device_code_token(env: Environment, warn: Callable[[str], None]) -> str:
    """An Entra ID token by device-code sign-in (msal, the optional `cmg` extra): the app
    registration and scope come from CMASSOC_CMG_CLIENT_ID, CMASSOC_CMG_TENANT, CMASSOC_CMG_SCOPE."""
    from importer.environment import CMG_CLIENT_ID, CMG_SCOPE, CMG_TENANT

    client_id, tenant, scope = env.get(CMG_CLIENT_ID), env.get(CMG_TENANT), env.get(CMG_SCOPE)
    if not (client_id and tenant and scope):
        raise InputError(
            f"--auth bearer needs a token: set {TOKEN}, or {CMG_CLIENT_ID}, {CMG_TENANT} and {CMG_SCOPE} "
            "to sign in with a device code.",
            "See README, 'Through a cloud management gateway'.",
            code=M.TOKEN_NEEDED,
        )
    try:
        import msal  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise InputError(
            "device-code sign-in needs msal.",
            "pip install 'cm-association-importer[cmg]'",
            code=M.MSAL_MISSING,
        ) from exc
    app = msal.PublicClientApplication(client_id, authority=f"https://login.microsoftonline.com/{tenant}")
    flow = app.initiate_device_flow(scopes=[scope])
    if "user_code" not in flow:
        raise InputError(
            f"Entra ID refused the sign-in: {flow.get('error_description', flow)}", code=M.SIGN_IN_FAILED
        )
    warn(M.Notice(M.DEVICE_CODE_SIGN_IN, str(flow["message"])))
    result = app.acquire_token_by_device_flow(flow)
    token = result.get("access_token") if isinstance(result, dict) else None
    if not token:
        raise InputError(
            f"Entra ID gave no token: {result.get('error_description', result)}", code=M.SIGN_IN_FAILED
        )
    return str(token)
