"""The real SMS Provider over WinRM, through pywinrm's Protocol (not Session.run_ps).

One shell and one long-lived powershell.exe per connection: the bootstrap script
starts once, then each batch is one line on its stdin and one line of reply on its
stdout, so a batch costs about two HTTP requests however many pairs it holds.
After any transport fault the shell is dropped and the next round trip opens a
new one; the retry layer above reconciles before anything is sent again. The shell's
life is in shell.py, the faults' meaning in faults.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from importer.site.provider import CallResult, MethodCall, ProviderInfo, Query, QueryResult
from importer.site.winrm import wire
from importer.site.winrm.settings import WinRMSettings
from importer.site.winrm.shell import RemoteShell


class WinRMProvider:
    """Implements importer.site.provider.Provider against root\\SMS\\site_<code> on a remote host."""

    def __init__(self, settings: WinRMSettings, protocol_factory: Callable[..., Any] | None = None) -> None:
        self.settings = settings
        self._shell = RemoteShell(settings, protocol_factory)

    @property
    def info(self) -> ProviderInfo:
        return ProviderInfo("winrm", self.settings.endpoint, self.settings.site_code.upper())

    @property
    def server_info(self) -> dict[str, Any]:
        """What the bootstrap said of itself and the account in its hello (empty before it)."""
        return self._shell.server_info

    # -- Provider --------------------------------------------------------------

    def connect(self) -> None:
        """Open the shell, start the bootstrap and check the site; safe to call again."""
        self._shell.connect()

    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        batch, results = self._shell.exchange([wire.query_op(q) for q in queries])
        return [
            wire.query_result(r, f"batch {batch}, {q.class_name} query {i + 1}")
            for i, (q, r) in enumerate(zip(queries, results, strict=True))
        ]

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        batch, results = self._shell.exchange([wire.call_op(c) for c in calls])
        return [
            wire.call_result(r, f"batch {batch}, {c.method} call {i + 1}")
            for i, (c, r) in enumerate(zip(calls, results, strict=True))
        ]

    def close(self) -> None:
        self._shell.drop()
