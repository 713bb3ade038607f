"""Check every cell and every sheet-level rule: every problem of every row is reported.

The order is the messages' order within a row: each sheet's cells (check.cells), the users
sheet (check.users_sheet), then the rules between rows (check.sheet_rules).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from importer.check.cells import PartCheck
from importer.check.checked import Checked
from importer.check.sheet_rules import check_behavior_users, check_hardware_ids, check_sheet_rules
from importer.check.users_sheet import attach_user_rows
from importer.model import Behavior, WaveInput
from importer.model import fields as C


def validate(
    wave: WaveInput,
    default_behavior: Behavior,
    users_from_site: bool = False,
    collections: Sequence[str] = (),
) -> Checked:
    """Every row in input order, then the users-sheet rows that match no pair; a row with any
    error is `invalid`, the rest are open (`Checked.open_status`).

    With `users_from_site`, rows of behaviour 1/2 without users wait for the site to give
    them (resolve); `collections` apply to every row, beside any Collection column."""
    checked = Checked(wave)
    sources, destinations, users = [], [], []
    for part in wave.parts:
        check = PartCheck(wave, part, checked, default_behavior, collections)
        sources.append(check.sources)
        destinations.append(check.destinations)
        users.extend(check.users.chunks)
    if wave.parts:
        checked.sources = pd.concat(sources, ignore_index=True)
        checked.destinations = pd.concat(destinations, ignore_index=True)
        checked.users = pa.chunked_array(users, type=pa.list_(pa.large_string()))  # type: ignore[call-overload]
    attach_user_rows(checked, wave.user_rows)
    counts = checked.account_counts()
    needs = np.isin(checked.behaviors, [int(b) for b in Behavior if b.needs_users])
    given = checked.behaviors >= 0
    for probe in checked.rows_at(np.flatnonzero(given & (needs != (counts > 0))).tolist()):
        check_behavior_users(probe, users_from_site)
        checked.take_back(probe)
    if wave.parts:
        check_sheet_rules(checked)
    if any(part.fields.keys() & {C.MAC, C.SMBIOS_GUID} for part in wave.parts):
        check_hardware_ids(checked)
    return checked
