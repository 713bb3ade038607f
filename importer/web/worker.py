"""The jobs that reach the site (dry run, run, status, undo, cleanup) run here, one at a time: a
second job waits for the first, as two runs on one site must. They call the same library
as the command line, and write the same reports."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from importer import Behavior, ImporterError, InputLimits, RunOptions, RunResult, Status, UsersFrom
from importer import messages as M
from importer.job import Command, Job, Wiring, execute
from importer.report.reporters import ExcelReport, JsonReport, Reporter
from importer.results import DEFAULT_INACTIVE_DAYS
from importer.site.provider import Provider
from importer.web.store import Store, Wave, new_id

log = logging.getLogger("importer")


@dataclass
class Progress:
    """What a job's page shows while it runs (the pipeline's Progress protocol)."""

    stage: str = "waiting for the site"
    done: int = 0
    total: int = 0
    ahead: int = 0  # jobs before this one

    def start(self, stage: str, total: int, unit: str = "pairs") -> None:  # noqa: ARG002 (the page says rows)
        self.stage, self.done, self.total = stage, 0, total

    def advance(self, amount: int) -> None:
        self.done += amount

    def finish(self) -> None:
        self.done = self.total


@dataclass
class Worker:
    store: Store
    connect: Callable[[], Provider]  # a new connection to the site, for one job
    limits: InputLimits = field(default_factory=InputLimits)
    host: str = "cmassoc serve"
    index: Path | None = None  # the index of runs the jobs record their runs in
    progress: dict[str, Progress] = field(default_factory=dict)
    _queue: queue.Queue[tuple[str, Callable[[Progress], None]]] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None
    _waiting: list[str] = field(default_factory=list)
    _running: str = ""

    def start(self) -> Worker:
        self._thread = threading.Thread(target=self._loop, name="cmassoc-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(("", lambda _p: None))
            self._thread.join(10)

    def state(self, action_id: str) -> Progress | None:
        found = self.progress.get(action_id)
        if found is not None and action_id in self._waiting:
            found.ahead = self._waiting.index(action_id) + (1 if self._running else 0)
        return found

    def submit(
        self, wave: Wave, kind: str, user: str, run_id: str | None = None, restored_before: int = 30
    ) -> str:
        action = self.store.add_action(wave.id, kind, user)
        self.progress[action.id] = Progress()
        self._waiting.append(action.id)
        self._queue.put(
            (action.id, lambda p: self._job(action.id, wave, kind, user, run_id, p, restored_before))
        )
        return action.id

    def _loop(self) -> None:
        while True:
            action_id, job = self._queue.get()
            if not action_id:
                return
            self._waiting.remove(action_id)
            self._running = action_id
            self.store.update_action(action_id, state="running")
            try:
                job(self.progress[action_id])
            except ImporterError as exc:
                self.store.update_action(action_id, state="failed", summary=exc.coded())
            except Exception as exc:  # a bug must not stop the worker for every later job
                log.exception("web job failed")
                self.store.update_action(
                    action_id, state="failed", summary=f"internal error: {type(exc).__name__}"
                )
            finally:
                self._running = ""

    def _job(
        self,
        action_id: str,
        wave: Wave,
        kind: str,
        user: str,
        run_id: str | None,
        progress: Progress,
        restored_before: int = 30,
    ) -> None:
        cleanup = kind in ("cleanup", "cleanup preview")
        options = run_options(wave, dry_run=kind in ("dry run", "undo preview", "cleanup preview"))
        journal = self.store.folder / "journal.db"
        if kind in ("undo", "undo preview"):
            if run_id is None:
                raise ImporterError("this wave has no run to undo.", code=M.NO_RUN_TO_UNDO)
            job = Job("undo", options, journal=journal, run_id=run_id)
        else:
            sheet, users = upload_paths(self.store, wave)
            command: Command = "status" if kind == "status" else "cleanup" if cleanup else "run"
            mapping, ignore = wave_columns(wave)
            job = Job(command, options, sheet, users, self.limits, mapping, ignore, journal=journal)
            # cleanup: the wave's pairs restored more than these days ago
            job = replace(job, restored_before=restored_before)
        names, reporters = store_reporters(self.store, escrow_notice=cleanup)
        operator = f"{user} ({self.host})"
        wiring = Wiring(self.connect, progress, reporters=reporters, operator=operator, index=self.index)
        result = execute(job, wiring).result
        assert result is not None
        planned = result.counts().get(Status.PLANNED) if kind == "dry run" else None
        summary = result.in_a_line()
        if _needs_escrow(result):
            summary += f" ({M.WEB_CLEANUP_NEEDS_ESCROW.code} {_ESCROW_NOTICE})"
        if result.stopped_by:
            code = f"{result.stopped_code} " if result.stopped_code else ""
            summary += f" (stopped: {code}{result.stopped_by})"
        self.store.update_action(
            action_id,
            state="done" if result.stopped_by is None else "failed",
            run_id=result.run_id if kind in ("run", "undo") else run_id,
            summary=summary,
            xlsx=names[0],
            json=names[1],
            planned=planned,
        )
        self.store.set_wave(wave.id, last=f"{kind}: {summary}")


def upload_paths(store: Store, wave: Wave) -> tuple[Path, Path | None]:
    """Where an uploaded wave and its users file are kept."""
    users = store.path("uploads", wave.users_stored) if wave.users_stored else None
    return store.path("uploads", wave.stored), users


def store_reporters(
    store: Store, escrow_notice: bool = False
) -> tuple[tuple[str, str], Callable[[RunResult], list[Reporter]]]:
    """The Excel and JSON reports of a job, under new random names in the store: the names,
    and the reporters that write them. With `escrow_notice` (a cleanup), the reports also say
    when a key needing keeping stopped a delete, and that the command line can do it."""
    xlsx, json_name = f"{new_id()}.xlsx", f"{new_id()}.json"

    def reporters(result: RunResult) -> list[Reporter]:
        if escrow_notice and _needs_escrow(result):
            result.wave.notes.append(M.Notice(M.WEB_CLEANUP_NEEDS_ESCROW, _ESCROW_NOTICE))
        return [ExcelReport(store.path("reports", xlsx)), JsonReport(store.path("reports", json_name))]

    return (xlsx, json_name), reporters


# The web has no password for the escrow of recovery keys (issue 27): what it cannot keep, it leaves.
_ESCROW_NOTICE = (
    "a recovery key needed keeping and this site has no password for the escrow: nothing was "
    "deleted; run cleanup from the command line (`cmassoc cleanup`, it asks for the password)"
)


def _needs_escrow(result: RunResult) -> bool:
    """Whether a cleanup kept a pair because its key could not be kept."""
    return any(m.code is M.CLEANUP_NO_ESCROW for row in result.rows for m in row.messages)


USERS_FROM = {"": None, "primary": UsersFrom.PRIMARY, "last-logon": UsersFrom.LAST_LOGON}


def run_options(wave: Wave, dry_run: bool = False) -> RunOptions:
    """The options a wave was uploaded with (stored as checked by the upload form)."""
    stored = json.loads(wave.options or "{}")
    return RunOptions(
        default_behavior=Behavior(wave.behavior),
        dry_run=dry_run,
        users_from=USERS_FROM.get(stored.get("users_from", "")),
        collections=tuple(stored.get("collections", ())),
        overwrite_existing_record=bool(stored.get("overwrite_existing_record")),
        update=bool(stored.get("update")),
        inactive_days=int(stored.get("inactive_days") or DEFAULT_INACTIVE_DAYS),
        strict_readiness=bool(stored.get("strict_readiness")),
        copy_collections=bool(stored.get("copy_collections")),
        skip_collections=tuple(stored.get("skip_collections", ())),
    )


def wave_columns(wave: Wave) -> tuple[dict[str, str], tuple[str, ...]]:
    """The --map and --ignore-column a wave was uploaded (or re-checked) with."""
    stored = json.loads(wave.options or "{}")
    return dict(stored.get("mapping", {})), tuple(stored.get("ignore", ()))


def reports_of(store: Store, wave_id: str) -> Path | None:
    """The newest JSON report of a wave (what its page shows)."""
    for action in store.actions(wave_id):
        if action.json:
            return store.path("reports", action.json)
    return None
