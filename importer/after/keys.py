"""`cmassoc keys`: the recovery key of every pair of a wave, for a technician who restores a
user's state by hand. The pairs are read as `status` reads them; each association on the site
is then asked for its key (GetEncryptDecryptKey, batched), and every row of the wave becomes a
row of the encrypted workbook, with its key or the reason it has none."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from importer import messages
from importer.errors import ImporterError
from importer.messages import Code
from importer.model import Level, RowResult, Status
from importer.report.keybook import KeyRow
from importer.results import RunResult
from importer.site.gateway import Site
from importer.site.provider import (
    RECOVER_USER_STATE,
    SMS_STATE_MIGRATION,
    Provider,
    user_has_permissions_call,
)
from importer.site.recovery import KeyReading

ON_SITE = frozenset({Status.NOT_STARTED, Status.CAPTURING, Status.CAPTURED, Status.RESTORED})
# How the summary counts each kind of row, in the order it says them.
COUNTED = (
    (messages.KEY_READ, "with a key"),
    (messages.KEY_NONE_YET, "no key yet"),
    (messages.KEY_REFUSED, "refused"),
    (messages.KEY_NO_ASSOCIATION, "no association"),
    (messages.KEY_NOT_LOOKED_UP, "not looked up"),
)


def key_rows(rows: Sequence[RowResult], site: Site) -> list[KeyRow]:
    """One workbook row per row of the reading, in its order; the keys read in batches."""
    pairs = [_pair(r) for r in rows if r.status in ON_SITE]
    readings = site.recovery_keys(pairs) if pairs else {}
    return [_key_row(r, readings.get(_pair(r)) if r.status in ON_SITE else None) for r in rows]


def _pair(row: RowResult) -> tuple[int, int]:
    return (row.source_resource_id or 0, row.restore_resource_id or 0)


def _key_row(row: RowResult, reading: KeyReading | None) -> KeyRow:
    code, note = _note(row, reading)
    store = row.store
    return KeyRow(
        sheet=row.sheet,
        row=row.row if row.row > 0 else None,
        source=row.source or "",
        destination=row.destination or "",
        source_id=row.source_resource_id,
        restore_id=row.restore_resource_id,
        key=reading.key if reading is not None else None,
        note_code=code,
        note=note,
        store_path=store.store_path if store else "",
        stored=store.captured if store else None,
        released=store.restored if store else None,
        migration_status=store.migration_status if store else "",
    )


def _note(row: RowResult, reading: KeyReading | None) -> tuple[Code, str]:
    if row.status is Status.MISSING:
        return messages.KEY_NO_ASSOCIATION, "no association on the site for this pair, so no key"
    if reading is None:
        errors = [m.text for m in row.messages if m.level is Level.ERROR]
        why = f": {errors[0]}" if errors else ""
        return messages.KEY_NOT_LOOKED_UP, f"{row.status or 'not read'}{why}"
    if reading.key is not None:
        where = "; no state stored yet" if not (row.store and row.store.store_path) else ""
        return messages.KEY_READ, f"key read ({len(reading.key)} characters){where}"
    if reading.missing:
        return messages.KEY_NO_ASSOCIATION, "the association was removed while the keys were read"
    if reading.refused:
        return messages.KEY_REFUSED, f"the site refused its key: {reading.refused}"
    return messages.KEY_NONE_YET, f"no key yet: {reading.none_yet}"


def tally(rows: Sequence[KeyRow]) -> str:
    """ "12 pairs: 8 with a key, 2 no association, 2 not looked up" """
    counts = Counter(r.note_code for r in rows)
    said = ", ".join(f"{counts[code]:,} {words}" for code, words in COUNTED if counts[code])
    return f"{len(rows):,} {'pair' if len(rows) == 1 else 'pairs'}: {said or 'nothing'}"


def about(result: RunResult, what: str) -> list[tuple[str, str]]:
    """The workbook's About sheet: what was read, where, when and by whom (never a key)."""
    info = result.provider
    read = result.finished or dt.datetime.now().astimezone()
    return [
        ("What", "Recovery keys read by cmassoc keys (GetEncryptDecryptKey on each association)"),
        ("Pairs of", what),
        ("Site", f"{info.site_code} ({info.kind}: {info.location})" if info else ""),
        ("Read at", read.isoformat(timespec="seconds")),
        ("Read by", result.operator),
        ("Run ID", result.run_id or ""),
    ]


RECOVERY_RIGHT = 'StateMigration.Recover User State (the console\'s "View Recovery Information")'
RIGHT_ADVICE = (
    "cmassoc keys and undo's escrow read recovery keys with this right: ask for a role that has "
    "it on Computer Associations (State Migration), with scopes that cover the wave's computers."
)


def recovery_right(provider: Provider) -> tuple[bool, str, str]:
    """(may read keys, what was found, what to do), for `cmassoc doctor`: the provider's own
    UserHasPermissions on SMS_StateMigration for that right and, where the provider says how it
    reaches them (the AdminService's $metadata), whether keys can be read there at all."""
    try:
        [answer] = provider.call([user_has_permissions_call(SMS_STATE_MIGRATION, RECOVER_USER_STATE)])
        route = getattr(provider, "recovery_route", None)
        missing = str(route()) if route is not None else ""
    except ImporterError as exc:
        return False, f"cannot tell whether the account holds {RECOVERY_RIGHT}: {exc.message}", RIGHT_ADVICE
    if answer.error is not None:
        why = f"UserHasPermissions failed ({answer.error.describe()})"
        return False, f"cannot tell whether the account holds {RECOVERY_RIGHT}: {why}", RIGHT_ADVICE
    held = bool(answer.return_value)
    granted = answer.out.get("Permissions")
    if isinstance(granted, int) and not isinstance(granted, bool):
        held = held and bool(granted & RECOVER_USER_STATE)
    if not held:
        return False, f"the account does not hold {RECOVERY_RIGHT}", RIGHT_ADVICE
    if missing:
        detail = f"the account holds {RECOVERY_RIGHT}, but this AdminService gives no keys ({missing})"
        return False, detail, "Read recovery keys with --via winrm on this site."
    return True, f"the account holds {RECOVERY_RIGHT} (per UserHasPermissions)", ""
