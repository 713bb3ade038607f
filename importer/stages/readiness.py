"""Readiness, in every dry run and run: per pair, what a reviewer should see before anything is
created, and once per run what the whole site lacks.

Per pair (warnings, never errors, unless --strict-readiness refuses the row):
- the old computer has no client, or its client has not been active for --inactive-days (by
  SMS_CombinedDeviceResources.LastActiveTime) or the site marks it inactive (ClientActiveStatus
  0): its capture will not run;
- a computer is assigned to another primary site than the one we talk to (SMSAssignedSites):
  associations do not replicate, the task sequence there will not find this one;
- with behaviour 1 or 2, a listed user was never seen on the old computer (neither a primary
  user nor its last logon user), when the site knows anyone there at all.
Site-wide: no state migration point, or every one in restore-only mode; "unknown" when the
account cannot read the site control file, never "no".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from importer import messages
from importer.model import Readiness, RowResult, Status, UsersFrom
from importer.site.gateway import Site
from importer.site.lookups import Client, ReadinessFacts

# Rows whose pair is, or is about to be, on the site: readiness is about them.
_CHECKED = (Status.PLANNED, Status.EXISTS)
# Users the run took from the site itself were seen there by definition.
_FROM_SITE = (UsersFrom.PRIMARY, UsersFrom.LAST_LOGON)
WINDOW = 20_000  # rows read at a time, as resolve and plan do


def check_readiness(
    rows: Iterable[RowResult],
    site: Site,
    inactive_days: int,
    strict: bool = False,
    now: dt.datetime | None = None,
) -> list[Readiness]:
    """Give each planned or existing pair its readiness warnings (a planned one with any is a
    conflict under `strict`); the site-wide readiness, once."""
    now = now or dt.datetime.now(dt.UTC)
    todo = [r for r in rows if r.status in _CHECKED and r.source_resource_id]
    site_wide: list[Readiness] = []
    with site.stage("Checking readiness", len(todo)):
        for start in range(0, max(len(todo), 1), WINDOW):
            window = todo[start : start + WINDOW]
            facts = _read(site, window, points=start == 0)
            if start == 0:
                site_wide = _site_wide(facts)
            for row in window:
                row.readiness = _pair(row, facts, site.info.site_code, inactive_days, now)
                if strict and row.readiness and row.status is Status.PLANNED:
                    row.fail(
                        Status.CONFLICT,
                        "not ready, so not created (--strict-readiness): "
                        + "; ".join(item.text for item in row.readiness),
                        code=messages.READY_REFUSED,
                    )
            site.progress.advance(len(window))
    return site_wide


def _read(site: Site, rows: Sequence[RowResult], points: bool) -> ReadinessFacts:
    sources = sorted({r.source_resource_id for r in rows if r.source_resource_id})
    restores = sorted({r.restore_resource_id for r in rows if r.restore_resource_id})
    listing = sorted({r.source_resource_id for r in rows if r.source_resource_id and _sheet_users(r)})
    return site.readiness_facts(sorted({*sources, *restores}), sources, listing, points)


def _sheet_users(row: RowResult) -> bool:
    """Behaviour 1 or 2 with users the sheet gave (not taken from the site)."""
    return (
        bool(row.users)
        and row.behavior is not None
        and row.behavior.needs_users
        and row.users_from not in _FROM_SITE
    )


def _label(client: Client) -> str:
    return f"{client.name} ({client.resource_id})"


def _pair(
    row: RowResult, facts: ReadinessFacts, code: str, inactive_days: int, now: dt.datetime
) -> list[Readiness]:
    found: list[Readiness] = []
    source = facts.clients.get(row.source_resource_id or 0)
    if source is not None:
        found += _activity(source, facts, inactive_days, now)
    for rid in dict.fromkeys((row.source_resource_id, row.restore_resource_id)):
        client = facts.clients.get(rid or 0)
        if client is not None and client.assigned_sites and code.upper() not in client.assigned_sites:
            found.append(
                Readiness(
                    messages.READY_OTHER_SITE,
                    f"{_label(client)} is assigned to site {', '.join(client.assigned_sites)}, not {code}: "
                    "associations are site-specific and do not replicate, so the task sequence there "
                    "will not find this one",
                )
            )
    if source is not None and _sheet_users(row):
        found += _users(row, source, facts)
    return found


def _activity(source: Client, facts: ReadinessFacts, inactive_days: int, now: dt.datetime) -> list[Readiness]:
    if not source.client:
        return [
            Readiness(
                messages.READY_NO_CLIENT,
                f"{_label(source)} has no ConfigMgr client: its user state cannot be captured until "
                "it has one",
            )
        ]
    if "SMS_CombinedDeviceResources" in facts.unread:
        return []  # said once for the site, not guessed per pair
    last = source.last_active
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)  # WMI's *** offset: read as UTC, the site's own clock
    if last is None or last < now - dt.timedelta(days=inactive_days):
        when = (
            f"last active {last.date().isoformat()} ({(now - last).days} days ago)"
            if last is not None
            else "never reported as active"
        )
        return [
            Readiness(
                messages.READY_INACTIVE,
                f"the client of {_label(source)} is inactive: {when}, more than --inactive-days "
                f"{inactive_days}; its capture will not run until the client is back",
            )
        ]
    if source.active_status == 0:
        return [
            Readiness(
                messages.READY_INACTIVE,
                f"the client of {_label(source)} is inactive by the site's own client status "
                f"(ClientActiveStatus 0, last active {last.date().isoformat()}): its capture will not run "
                "until the client is back",
            )
        ]
    return []


def _users(row: RowResult, source: Client, facts: ReadinessFacts) -> list[Readiness]:
    primary = facts.primary_users.get(source.resource_id, [])
    known = {u.casefold() for u in (*primary, source.last_logon) if u}
    if not known:
        return []  # the site knows nobody there (user device affinity may be off): nothing to compare
    unseen = [u for u in row.users if u.casefold() not in known]
    if not unseen:
        return []
    seen = f"primary users {', '.join(primary) or 'none'}, last logon {source.last_logon or 'unknown'}"
    who = ", ".join(unseen)
    verb = "was" if len(unseen) == 1 else "were"
    return [
        Readiness(
            messages.READY_USER_NEVER_SEEN,
            f"{who} {verb} never seen on {_label(source)} ({seen}): nothing would be captured or restored "
            f"for {'that account' if len(unseen) == 1 else 'those accounts'}",
        )
    ]


def _site_wide(facts: ReadinessFacts) -> list[Readiness]:
    found = [
        Readiness(
            messages.READY_NOT_READ, f"{name} could not be read ({why}): its readiness warnings are missing"
        )
        for name, why in sorted(facts.unread.items())
    ]
    points = facts.points
    if points is None:
        found.append(
            Readiness(
                messages.READY_SMP_UNKNOWN,
                "state migration points: unknown, the site control file could not be read "
                f"({facts.points_error})",
            )
        )
    elif not points:
        found.append(Readiness(messages.READY_NO_SMP, "state migration points: none on this site"))
    elif all(p.restore_only for p in points):
        names = ", ".join(p.server for p in points)
        found.append(
            Readiness(
                messages.READY_SMP_RESTORE_ONLY,
                f"state migration points: every one is in restore-only mode ({names}): no capture "
                "is accepted",
            )
        )
    else:
        taking = [p for p in points if not p.restore_only]
        shown = ", ".join(f"{p.server} ({_delay(p.deletion_delay_minutes)})" for p in taking)
        found.append(Readiness(messages.READY_SMP_OK, f"state migration points accepting captures: {shown}"))
    return found


def _delay(minutes: int | None) -> str:
    if minutes is None:
        return "deletion delay not read"
    if minutes == 0:
        return "restored states deleted at once"
    days, rest = divmod(minutes, 1440)
    if rest:
        return f"restored states kept {minutes} minutes"
    return f"restored states kept {days} day{'s' if days != 1 else ''}"
