"""The jobs that reach the site (dry run, run, status, undo) run here, one at a time: a
second job waits for the first, as two runs on one site must. They call the same library
as the command line, and write the same reports."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from importer.errors import ImporterError
from importer.journal.listener import resume_or_start
from importer.journal.records import RunState
from importer.journal.storage import Journal
from importer.limits import InputLimits
from importer.model import Behavior, Status, UsersFrom, WaveInput
from importer.pipeline import run_wave, status_wave
from importer.read.wave import read_wave
from importer.report.excel_report import write_xlsx
from importer.report.json_report import write_json
from importer.results import RunOptions, RunResult
from importer.site.gateway import Site, build_site
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

    def start(self, stage: str, total: int) -> None:
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

    def submit(self, wave: Wave, kind: str, user: str, run_id: str | None = None) -> str:
        action = self.store.add_action(wave.id, kind, user)
        self.progress[action.id] = Progress()
        self._waiting.append(action.id)
        self._queue.put((action.id, lambda p: self._job(action.id, wave, kind, user, run_id, p)))
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
                self.store.update_action(action_id, state="failed", summary=str(exc))
            except Exception as exc:  # a bug must not stop the worker for every later job
                log.exception("web job failed")
                self.store.update_action(
                    action_id, state="failed", summary=f"internal error: {type(exc).__name__}"
                )
            finally:
                self._running = ""

    def _job(
        self, action_id: str, wave: Wave, kind: str, user: str, run_id: str | None, progress: Progress
    ) -> None:
        options = run_options(wave, dry_run=kind in ("dry run", "undo preview"))
        provider = self.connect()
        journal = Journal(self.store.folder / "journal.db")
        try:
            gateway = build_site(provider, options, progress)
            if kind in ("undo", "undo preview"):
                result = self._undo(journal, run_id, gateway, options)
            else:
                wave_input = read_upload(self.store, wave, self.limits)
                if kind == "status":
                    result = status_wave(wave_input, gateway, options)
                else:
                    journal_run = None
                    if kind == "run":
                        journal_run = resume_or_start(
                            journal, wave_input, provider.info, options, None, False
                        )
                    result = run_wave(wave_input, gateway, options, journal_run)
            result.operator = f"{user} ({self.host})"
            xlsx, json_name = write_reports(self.store, result)
            if kind == "run" and result.run_id is not None:
                journal.finish(result.run_id, RunState.of(result), str(self.store.path("reports", xlsx)))
            planned = result.counts().get(Status.PLANNED) if kind == "dry run" else None
            summary = result.tally()
            if result.stopped_by:
                summary += f" (stopped: {result.stopped_by})"
            self.store.update_action(
                action_id,
                state="done" if result.stopped_by is None else "failed",
                run_id=result.run_id if kind in ("run", "undo") else run_id,
                summary=summary,
                xlsx=xlsx,
                json=json_name,
                planned=planned,
            )
            self.store.set_wave(wave.id, last=f"{kind}: {summary}")
        finally:
            journal.close()
            provider.close()

    def _undo(self, journal: Journal, run_id: str | None, gateway: Site, options: RunOptions) -> RunResult:
        from importer.after.undo import UndoOptions, undo_run

        if run_id is None:
            raise ImporterError("this wave has no run to undo.")
        return undo_run(journal, journal.run(run_id), gateway, UndoOptions(options))


def read_upload(store: Store, wave: Wave, limits: InputLimits) -> WaveInput:
    """An uploaded wave read as `cmassoc validate` reads a file: the same guards."""
    users = store.path("uploads", wave.users_stored) if wave.users_stored else None
    return read_wave(store.path("uploads", wave.stored), users, limits)


def write_reports(store: Store, result: RunResult) -> tuple[str, str]:
    """The Excel and JSON reports, under new random names in the store; the names."""
    xlsx, json_name = f"{new_id()}.xlsx", f"{new_id()}.json"
    write_xlsx(result, store.path("reports", xlsx))
    write_json(result, store.path("reports", json_name))
    return xlsx, json_name


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
    )


def reports_of(store: Store, wave_id: str) -> Path | None:
    """The newest JSON report of a wave (what its page shows)."""
    for action in store.actions(wave_id):
        if action.json:
            return store.path("reports", action.json)
    return None
