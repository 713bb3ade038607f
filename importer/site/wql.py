"""WQL cutting: `prop IN (...)` lookups split into queries that stay inside WMI's limits
(terms and characters, counted on the quoted text every provider renders), grouped into
round trips, and checked once more before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from importer import messages as M
from importer.errors import ProtocolError
from importer.site.provider import QUERY_LIMITS, Query, QueryLimits, Value, over_limits, wql, wql_literal

MATCHES_PER_ROUND_TRIP = 5_000  # names or IDs: one Send, a reply of one or two Receives


def in_queries(
    class_name: str,
    properties: tuple[str, ...],
    prop: str,
    values: Sequence[Value],
    limits: QueryLimits = QUERY_LIMITS,
) -> list[Query]:
    """`prop IN (...)` queries covering `values`, each within `limits` (text and terms)."""
    base = len(wql(Query(class_name, properties, (((prop, ""),),)))) - len("''")
    queries: list[Query] = []
    current: list[Value] = []
    length = base
    for value in dict.fromkeys(values):
        extra = len(wql_literal(value)) + (2 if current else 0)
        if current and (len(current) >= limits.terms or length + extra > limits.characters):
            queries.append(Query(class_name, properties, tuple(((prop, v),) for v in current)))
            current, length, extra = [], base, extra - 2
        current.append(value)
        length += extra
    if current:
        queries.append(Query(class_name, properties, tuple(((prop, v),) for v in current)))
    return queries


def round_trips(queries: Sequence[Query]) -> list[list[Query]]:
    """Queries grouped so one round trip carries at most MATCHES_PER_ROUND_TRIP values."""
    groups: list[list[Query]] = []
    count = MATCHES_PER_ROUND_TRIP
    for query in queries:
        if count + len(query.matches) > MATCHES_PER_ROUND_TRIP:
            groups.append([])
            count = 0
        groups[-1].append(query)
        count += len(query.matches)
    return groups


def refuse_oversized(queries: Sequence[Query]) -> None:
    """ProtocolError for the first query over QUERY_LIMITS."""
    for query in queries:
        problem = over_limits(query, QUERY_LIMITS)
        if problem is not None:  # a bug of ours: never send what WMI would refuse
            raise ProtocolError(
                f"a query of cmassoc's own is too large ({problem}): {wql(query)[:120]}...",
                code=M.QUERY_TOO_LARGE,
            )
