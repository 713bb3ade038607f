"""From checked settings to one live, verified connection (retried only if the fault is transient)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol, TypeVar

from importer import messages as M
from importer.environment import Environment
from importer.site.retry import RetryPolicy, with_retries
from importer.site.winrm.credentials import resolve_credentials
from importer.site.winrm.provider import WinRMProvider
from importer.site.winrm.settings import WINRM_MAX_OPERATION_TIMEOUT, WinRMSettings


def connect_winrm(
    settings: WinRMSettings,
    retry: RetryPolicy,
    env: Environment,
    warn: Callable[[str], None] = lambda _text: None,
) -> WinRMProvider:
    username, password = resolve_credentials(settings.auth, settings.username, env)
    settings = dataclasses.replace(settings, username=username, password=password)
    warn_if_unchecked(settings.verify_tls, warn)
    if settings.operation_timeout > WINRM_MAX_OPERATION_TIMEOUT:
        warn(
            M.Notice(
                M.OPERATION_TIMEOUT_ABOVE_MAX,
                f"WARNING: --operation-timeout {settings.operation_timeout} is above WinRM's default maximum "
                f"({WINRM_MAX_OPERATION_TIMEOUT} s, winrm/config MaxTimeoutms): unless the server allows "
                "more, every request will fault.",
            )
        )
    return open_with_retries(WinRMProvider(settings), retry, settings.host)


class _Connectable(Protocol):
    def connect(self) -> None: ...
    def close(self) -> None: ...


C = TypeVar("C", bound=_Connectable)


def open_with_retries(provider: C, retry: RetryPolicy, host: str) -> C:
    """`provider` connected (a transient fault retried), or closed and the fault raised."""
    try:
        with_retries(retry, f"connecting to {host}", lambda _n: provider.connect())
    except BaseException:
        provider.close()
        raise
    return provider


def warn_if_unchecked(verify_tls: bool, warn: Callable[[str], None]) -> None:
    if not verify_tls:
        warn(
            M.Notice(
                M.TLS_UNCHECKED,
                "WARNING: the server's certificate is not checked (--insecure-skip-tls-verify): "
                "anyone in the middle could read the credentials and the data.",
            )
        )
