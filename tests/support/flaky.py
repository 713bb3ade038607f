"""A provider wrapper that injects faults in front of a real demo site (not a mock: the site
really applies, or does not apply, each call)."""

from __future__ import annotations

from collections.abc import Sequence

from importer.errors import TransientProviderError
from importer.site.demo.provider import DemoSite
from importer.site.provider import (
    RPC_S_SERVER_UNAVAILABLE,
    CallResult,
    MethodCall,
    ProviderInfo,
    Query,
    QueryResult,
    WmiError,
)


class FlakyProvider:
    """`faults` is consumed one per call() round trip:
    "before": the connection drops before the batch reaches the site;
    "after": the site applies the batch, then the reply is lost;
    "first-call-busy": the first call of the batch fails with a transient WMI error, the rest apply;
    None: a normal round trip. Queries can fail with "query" in `query_faults`."""

    def __init__(
        self, inner: DemoSite, faults: Sequence[str | None] = (), query_faults: Sequence[str | None] = ()
    ) -> None:
        self.inner = inner
        self.faults = list(faults)
        self.query_faults = list(query_faults)
        self.call_batches: list[int] = []
        self.query_round_trips = 0

    @property
    def info(self) -> ProviderInfo:
        return self.inner.info

    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        self.query_round_trips += 1
        fault = self.query_faults.pop(0) if self.query_faults else None
        if fault == "query":
            raise TransientProviderError("connection reset while querying")
        return self.inner.query(queries)

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        self.call_batches.append(len(calls))
        fault = self.faults.pop(0) if self.faults else None
        if fault == "before":
            raise TransientProviderError("connection refused")
        if fault == "after":
            self.inner.call(calls)
            raise TransientProviderError("connection dropped after send")
        if fault == "first-call-busy":
            busy = CallResult(error=WmiError(RPC_S_SERVER_UNAVAILABLE, "The RPC server is unavailable."))
            return [busy, *self.inner.call(calls[1:])]
        if fault == "always":
            self.faults.insert(0, "always")
            raise TransientProviderError("host unreachable")
        return self.inner.call(calls)

    def close(self) -> None:
        self.inner.close()
