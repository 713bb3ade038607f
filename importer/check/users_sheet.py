"""Users given on a users sheet or in a users file, merged into the pairs of their sources."""

from __future__ import annotations

from collections import defaultdict
from typing import TypeVar

import numpy as np

from importer import messages as M
from importer.check.checked import Checked
from importer.check.names import Parsed, parse_computer_name, parse_users
from importer.model import (
    Level,
    RowResult,
    Status,
    UserRow,
    UsersFrom,
)

T = TypeVar("T")


def _take(result: RowResult, parsed: Parsed[T]) -> T | None:
    if parsed.messages:
        result.extend(parsed.messages)
    return parsed.value


def attach_user_rows(checked: Checked, user_rows: list[UserRow]) -> None:
    """Merge users given on a separate sheet or file; rows that match no pair are reported
    (as rows of their own, after the pairs)."""
    if not user_rows:
        return
    wanted: list[tuple[UserRow, RowResult, str | None, str | None]] = []
    for user_row in user_rows:
        probe = RowResult(sheet=user_row.sheet, row=user_row.row, values=dict(user_row.values))
        source = _take(probe, parse_computer_name(user_row.source.text, user_row.source.column))
        destination = None
        if user_row.destination is not None and user_row.destination.text.strip():
            destination = _take(
                probe, parse_computer_name(user_row.destination.text, user_row.destination.column)
            )
        wanted.append((user_row, probe, source, destination))
    names = {source for _, _, source, _ in wanted if source}
    by_source: dict[str, list[RowResult]] = defaultdict(list)
    matching = np.flatnonzero(checked.sources.isin(names).fillna(False).to_numpy(dtype=bool)).tolist()
    for row in checked.rows_at(matching):
        by_source[row.source or ""].append(row)
    extra: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for user_row, probe, source, destination in wanted:
        targets = [
            r for r in by_source.get(source or "", []) if destination is None or r.destination == destination
        ]
        if probe.has_errors or not targets:
            if not probe.has_errors:
                pair = f"{source} -> {destination}" if destination else f"source {source}"
                probe.add(
                    Level.ERROR,
                    f"no row of the pairs sheet has {pair}: add the pair or remove this user row",
                    code=M.USER_ROW_WITHOUT_PAIR,
                )
            probe.source, probe.destination = source, destination
            probe.status = Status.INVALID
            checked.orphans.append(probe)
            continue
        where = f"{user_row.users.column} ({user_row.sheet} row {user_row.row})"
        for target in targets:
            extra[target.index].append((user_row.users.text, where))
    for rows in by_source.values():
        for result in rows:
            cells = extra.get(result.index)
            if not cells:
                continue
            own = [(u, "") for u in result.users]
            parsed = parse_users(own + cells)
            result.extend(parsed.messages)
            result.users = parsed.value or []
            result.users_from = UsersFrom.USERS_SHEET if not own else UsersFrom.SHEET
            checked.take_back(result)
