"""The demo site as a Provider: DemoSite opens a simulated ConfigMgr site's SQLite file and
answers the Provider seam, queries through wql and method calls through methods, after a
simulated round-trip time if asked; it also plays a task sequence's side (migrate) and shows
what the site holds (snapshot). Like the rest of the demo site it enforces what ConfigMgr is
known to enforce (configmgr-facts.md) and, where ConfigMgr's behaviour is unconfirmed, takes the
strict side and says so."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from importer import db
from importer import messages as M
from importer.errors import InputError
from importer.site.demo import methods, wql
from importer.site.demo.schema import SITE_STEPS
from importer.site.provider import CallResult, MethodCall, ProviderInfo, Query, QueryResult


def _dmtf_now(days_ago: float = 0) -> str:
    """Now (or `days_ago` days before now), as WMI writes a DateTime (UTC offset in minutes)."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return when.strftime("%Y%m%d%H%M%S.000000+000")


class DemoSite:
    """The simulated SMS Provider (implements importer.site.provider.Provider)."""

    def __init__(self, path: Path, latency: float = 0.0) -> None:
        if not path.is_file():
            raise InputError(
                f"demo site '{path}' does not exist.",
                "Create it with `cmassoc demo-site create`.",
                code=M.DEMO_SITE_MISSING,
            )
        self.path = path.resolve()  # the journal names the site by it, whatever the working folder
        # check_same_thread=False: the loopback WinRM endpoint in the tests serves from threads.
        self._db = db.connect(path)
        try:
            row = self._db.execute("SELECT site_code FROM site").fetchone()
            db.upgrade(self._db, SITE_STEPS)
            # Each call commits on its own, like the provider; WAL with NORMAL sync makes that a
            # write to the log instead of an fsync, and a killed process still loses nothing.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except (sqlite3.DatabaseError, db.NewerSchema) as exc:
            self._db.close()
            raise InputError(
                f"'{path}' is not a demo site this release can use ({exc}).", code=M.DEMO_SITE_UNUSABLE
            ) from exc
        self._site_code = str(row[0])
        # A simulated round-trip time, to watch progress or rehearse Ctrl-C and resume:
        # half before the work of a call, half after it.
        self.latency = latency

    @property
    def info(self) -> ProviderInfo:
        return ProviderInfo("demo", str(self.path), self._site_code)

    def close(self) -> None:
        self._db.close()

    # -- queries ---------------------------------------------------------------

    def query(self, queries: Sequence[Query]) -> list[QueryResult]:
        self._wait()
        results = [wql.answer(self._db, q) for q in queries]
        self._wait()
        return results

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency / 2)

    # -- methods ---------------------------------------------------------------

    def call(self, calls: Sequence[MethodCall]) -> list[CallResult]:
        self._wait()
        results = methods.call(self._db, calls)
        self._wait()
        return results

    # -- the task sequence's side (for `demo-site migrate` and tests) -------------

    def migrate(self, source: str, destination: str, stage: str, days_ago: float = 0) -> None:
        """Move an association through the user state migration, as a task sequence would:
        "captured" (state stored on a state migration point) or "restored" (the store released),
        `days_ago` days ago (to try retention and cleanup without waiting)."""
        pair = self._db.execute(
            "SELECT a.SourceClientResourceID, a.RestoreClientResourceID FROM associations a "
            "JOIN computers s ON s.ResourceID = a.SourceClientResourceID "
            "JOIN computers r ON r.ResourceID = a.RestoreClientResourceID "
            "WHERE s.Name = ? COLLATE NOCASE AND r.Name = ? COLLATE NOCASE",
            (source, destination),
        ).fetchone()
        if pair is None:
            raise InputError(
                f"the demo site has no association {source} -> {destination}.",
                code=M.DEMO_NO_SUCH_ASSOCIATION,
            )
        stamp = _dmtf_now(days_ago)
        with db.transaction(self._db):
            if stage == "captured":
                self._db.execute(
                    "UPDATE associations SET MigrationStatus = 1, StoreCreationDate = ?, StorePath = ? "
                    "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
                    (stamp, f"\\\\SMP01\\SMPSTORED_{pair[0]:08X}$\\{pair[1]:08X}", *pair),
                )
            elif stage == "restored":
                self._db.execute(
                    "UPDATE associations SET MigrationStatus = 2, StoreReleaseDate = ?, "
                    "StoreCreationDate = CASE WHEN StoreCreationDate LIKE '0000%' THEN ? "
                    "ELSE StoreCreationDate END, "
                    "StorePath = CASE WHEN StorePath = '' THEN ? ELSE StorePath END "
                    "WHERE SourceClientResourceID = ? AND RestoreClientResourceID = ?",
                    (stamp, stamp, f"\\\\SMP01\\SMPSTORED_{pair[0]:08X}$\\{pair[1]:08X}", *pair),
                )
            else:
                raise InputError(f"unknown migration stage {stage!r}.", code=M.DEMO_STAGE_NEEDED)

    def set_deletion_delay(self, minutes: int) -> None:
        """Every state migration point deletes a released store `minutes` after its release
        (SMPStoreDeletionDelayTimeInMinutes; the console shows days)."""
        with db.transaction(self._db):
            self._db.execute(
                "UPDATE state_migration_points SET SMPStoreDeletionDelayTimeInMinutes = ?", (minutes,)
            )

    # -- inspection (for `demo-site show` and tests) ----------------------------

    def snapshot(self) -> dict[str, object]:
        computers = [
            dict(
                zip(
                    (
                        "resource_id",
                        "name",
                        "domain",
                        "obsolete",
                        "active",
                        "client",
                        "decommissioned",
                        "mac",
                        "smbios_guid",
                        "creation_date",
                    ),
                    row,
                    strict=True,
                )
            )
            for row in self._db.execute(
                "SELECT ResourceID, Name, Domain, Obsolete, Active, Client, Decommissioned, MAC, "
                "SMBIOSGUID, CreationDate FROM computers ORDER BY ResourceID"
            )
        ]
        associations = []
        for src, dst, beh, status, created, sname, rname in self._db.execute(
            "SELECT a.SourceClientResourceID, a.RestoreClientResourceID, a.MigrationBehavior, "
            "a.MigrationStatus, a.Created, s.Name, r.Name FROM associations a "
            "LEFT JOIN computers s ON s.ResourceID = a.SourceClientResourceID "
            "LEFT JOIN computers r ON r.ResourceID = a.RestoreClientResourceID "
            "ORDER BY a.SourceClientResourceID, a.RestoreClientResourceID"
        ).fetchall():
            associations.append(
                {
                    "source_resource_id": src,
                    "restore_resource_id": dst,
                    "source_name": sname,
                    "restore_name": rname,
                    "behavior": beh,
                    "users": [u["UserName"] for u in wql.users(self._db, src, dst)],
                    "status": status,
                    "created": created,
                }
            )
        return {
            "site_code": self._site_code,
            "computers": computers,
            "associations": associations,
            "collections": self._collections(),
            "state_migration_points": [
                {"server": server, "restore_only": bool(quiesce), "deletion_delay_minutes": delay}
                for server, quiesce, delay in self._db.execute(
                    "SELECT ServerName, SMPQuiesceState, SMPStoreDeletionDelayTimeInMinutes "
                    "FROM state_migration_points ORDER BY rowid"
                )
            ],
        }

    def _collections(self) -> list[dict[str, object]]:
        """Each collection, its limiting collection, its direct members by name (as evaluated:
        a rule counts only for a computer its limiting collection holds), and whether a task
        sequence is deployed to it."""
        members: dict[str, list[str]] = {}
        for cid, name in self._db.execute(
            "SELECT CollectionID, Name FROM full_membership WHERE IsDirect = 1 ORDER BY CollectionID, Name"
        ):
            members.setdefault(str(cid).upper(), []).append(str(name))
        sequences = {
            str(cid).upper()
            for (cid,) in self._db.execute("SELECT CollectionID FROM deployments WHERE FeatureType = 7")
        }
        return [
            {
                "id": cid,
                "name": name,
                "limit": limit or None,
                "direct_members": members.get(str(cid).upper(), []),
                "task_sequence": str(cid).upper() in sequences,
            }
            for cid, name, limit in self._db.execute(
                "SELECT CollectionID, Name, LimitToCollectionID FROM collections ORDER BY CollectionID"
            )
        ]
