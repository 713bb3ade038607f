"""One run's side of the journal, plugged into the pipeline as its listener: every row's plan,
and every batch's outcome, written before and after each provider call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from importer import messages as M
from importer.journal.records import RowState, RunKind
from importer.journal.resume import ResumePolicy, find_run
from importer.journal.storage import Journal
from importer.model import Hardware, RowResult, Status, WaveInput, carried_values
from importer.results import RunOptions
from importer.site.provider import ProviderInfo

_FINAL_SEND_STATES = {
    Status.CREATED: RowState.CREATED,
    Status.EXISTS: RowState.EXISTS,
    Status.FAILED: RowState.FAILED,
    Status.UNKNOWN: RowState.SENDING,  # in flight: what the site says decides, on resume
}


class JournalRun(ResumePolicy):
    """One run's side of the journal, plugged into the pipeline (a BatchListener)."""

    def record(self, rows: Sequence[RowResult]) -> None:
        values = carried_values(self.wave, rows) if self.wave is not None else (r.values for r in rows)
        self.journal.record_rows(self.run_id, rows, values)
        created = [i for i, r in enumerate(rows) if r.status is Status.CREATED]
        self.journal.mark(self.run_id, created, RowState.CREATED)

    def before_send(self, rows: Sequence[RowResult]) -> None:
        self.journal.mark(self.run_id, [r.seq for r in rows], RowState.SENDING)

    def imported(self, rows: Sequence[RowResult]) -> None:
        """Written before the association is sent: a crash now resumes without importing twice."""
        self._steps(rows)

    def replacing(self, rows: Sequence[RowResult]) -> None:
        self.journal.mark_replacing(
            self.run_id,
            [(r.seq, r.replaces[0], r.replaces[1]) for r in rows if r.replaces is not None],
        )

    def _steps(self, rows: Sequence[RowResult]) -> None:
        self.journal.mark_steps(
            self.run_id,
            [
                (
                    r.seq,
                    r.restore_resource_id if r.hardware is Hardware.IMPORTED else None,
                    r.hardware.value if r.hardware is not None else None,
                    list(r.joined),
                )
                for r in rows
            ],
        )

    def after_send(self, rows: Sequence[RowResult]) -> None:
        for status, state in _FINAL_SEND_STATES.items():
            done = [r.seq for r in rows if r.status is status]
            if done:
                self.journal.mark(self.run_id, done, state)
        self._steps(rows)


def resume_or_start(
    journal: Journal,
    wave: WaveInput,
    info: ProviderInfo,
    options: RunOptions,
    resume_id: str | None = None,
    new_run: bool = False,
    announce: Callable[[str], None] = lambda _text: None,
) -> JournalRun:
    """Continue the named run, else the unfinished run of this sheet on this site (unless
    `new_run`), else start a new one."""
    where = f"{info.kind}: {info.location}"
    record = find_run(journal, wave, info, resume_id, new_run)
    if record is not None:
        journal.reopen(record.run_id)
        announce(
            M.Notice(
                M.RUN_CONTINUED,
                f"continuing run {record.run_id} ({record.state.value}, started {record.started}); "
                "--new-run starts afresh",
            )
        )
        return JournalRun(journal, record.run_id, journal.rows(record.run_id))
    settings: dict[str, object] = {
        "default_behavior": int(options.default_behavior),
        "batch_size": options.batch_size,
    }
    run_id = journal.start_run(RunKind.RUN, wave.path, wave.sha256, info.site_code, where, settings)
    return JournalRun(journal, run_id)
