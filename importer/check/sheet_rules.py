"""The rules between rows: a behaviour and its users, recurring pairs and computers,
ConfigMgr's association rules, one MAC address or SMBIOS GUID per new computer.

Recurring pairs and computers are found with `duplicated` and counts over the names
columns, then worded on row objects made for just those rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd

from importer import messages as M
from importer.check import rules
from importer.check.checked import Checked
from importer.model import (
    Level,
    RowResult,
)
from importer.model import fields as C


def check_hardware_ids(checked: Checked) -> None:
    """One MAC address or SMBIOS GUID belongs to one new computer."""
    given = [p for p, rare in sorted(checked.rare.items()) if rare.keys() & {"mac", "smbios_guid"}]
    rows = checked.rows_at(given)
    for attribute, name in (("mac", C.MAC), ("smbios_guid", C.SMBIOS_GUID)):
        owners: dict[str, dict[str, list[RowResult]]] = defaultdict(lambda: defaultdict(list))
        for result in rows:
            value = getattr(result, attribute)
            if value and result.destination:
                owners[value][result.destination].append(result)
        for value, by_computer in owners.items():
            if len(by_computer) < 2:
                continue
            names = ", ".join(sorted(by_computer))
            for group in by_computer.values():
                for result in group:
                    result.add(
                        Level.ERROR,
                        f"{value} is given for several new computers ({names}): each has its own",
                        result.column(name),
                        code=M.HARDWARE_ID_SHARED,
                    )
                    checked.take_messages(result)


def check_behavior_users(result: RowResult, users_from_site: bool) -> None:
    """A behaviour that needs users has some; one that takes every account names none."""
    behavior, count = result.behavior, len(result.users)
    if behavior is None or behavior.needs_users == bool(count):
        return
    if behavior.needs_users and users_from_site:
        return  # the site is asked for them after the names are resolved
    users_column = result.column(C.USERS)
    if any(m.level is Level.ERROR and m.column == users_column for m in result.messages):
        return  # the users cell has its own message already: one is enough
    if behavior.needs_users:
        result.add(
            Level.ERROR,
            f"behaviour {behavior.label} needs at least one user (DOMAIN\\user): "
            "add users, or use behaviour 0 to capture and restore all accounts",
            users_column,
            code=M.BEHAVIOUR_NEEDS_USERS,
        )
    else:
        result.add(
            Level.WARNING,
            f"behaviour {behavior.label} migrates every account: the {count} user(s) listed are not sent",
            users_column,
            code=M.USERS_NOT_SENT,
        )
        result.users = []


def check_sheet_rules(checked: Checked) -> None:
    """Rows whose pair or computers recur: found with `duplicated` and counts over the names
    columns, then worded on row objects made for just those rows."""
    pairs = pd.DataFrame({"source": checked.sources, "destination": checked.destinations})
    named = pairs.notna().all(axis=1).to_numpy(dtype=bool)
    same = (pairs["source"] == pairs["destination"]).fillna(False).to_numpy(dtype=bool)
    for result in checked.rows_at(np.flatnonzero(named & same).tolist()):
        result.add(
            Level.ERROR,
            f"source and destination are both {result.source}: that is an in-place "
            "association, which ConfigMgr creates itself; give the new computer's name",
            result.column(C.DESTINATION),
            code=M.SAME_COMPUTER_TWICE,
        )
        checked.take_messages(result)
    index = np.flatnonzero(named)
    both = pairs.iloc[index]
    groups: dict[tuple[str, str], list[RowResult]] = defaultdict(list)
    for result in checked.rows_at(index[both.duplicated(keep=False).to_numpy(dtype=bool)].tolist()):
        groups[(result.source or "", result.destination or "")].append(result)
    for group in groups.values():
        _flag_repeats(group)
        for result in group:
            checked.take_messages(result)
    first = ~both.duplicated(keep="first").to_numpy(dtype=bool)
    unique = both[first]
    codes, _ = pd.factorize(pd.concat([unique["source"], unique["destination"]], ignore_index=True))
    uses = np.bincount(codes)[codes]  # how many distinct pairs name each computer
    crowded = uses[: len(unique)] + uses[len(unique) :] > 2
    shared = checked.rows_at(index[first][crowded].tolist())
    _shared_computers(shared)
    for result in shared:
        checked.take_messages(result)


def _shared_computers(shared: list[RowResult]) -> None:
    """ConfigMgr's rules between the (first rows of the) pairs that share a computer."""
    touching: dict[str, list[RowResult]] = defaultdict(list)
    for result in shared:
        touching[result.source or ""].append(result)
        touching[result.destination or ""].append(result)
    for result in shared:
        near = _unique(touching[result.source or ""] + touching[result.destination or ""])
        others = (_pair(n) for n in near if n is not result)
        for code, text in rules.violations(_pair(result), others):
            result.add(Level.ERROR, text, code=code)


def _flag_repeats(group: list[RowResult]) -> None:
    first = group[0]
    same = all(
        r.behavior == first.behavior
        and sorted(u.casefold() for u in r.users) == sorted(u.casefold() for u in first.users)
        for r in group[1:]
    )
    if same:
        for repeat in group[1:]:
            repeat.add(
                Level.ERROR,
                f"repeats the pair of {first.where}; only that row is imported: delete this one",
                code=M.PAIR_REPEATED,
            )
        return
    rows = ", ".join(r.where for r in group)
    for result in group:
        result.add(
            Level.ERROR,
            f"the pair {first.source} -> {first.destination} is in {rows} with different "
            "behaviours or users: keep one row (merge the users into it)",
            code=M.PAIR_REPEATED_DIFFERENTLY,
        )


def _pair(result: RowResult) -> rules.Pair:
    return rules.Pair(result.source or "", result.destination or "", result.behavior, result.where)


def _unique(items: Iterable[RowResult]) -> list[RowResult]:
    seen: dict[int, RowResult] = {}
    for item in items:
        seen.setdefault(id(item), item)
    return list(seen.values())
