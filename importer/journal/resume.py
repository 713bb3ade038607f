"""The resume policy: which run a command continues, and what a resumed run keeps of what it
did before it stopped (the rows must be the same; an import is never made twice; what was
created stays created).
"""

from __future__ import annotations

from collections.abc import Sequence

from importer import messages as M
from importer.errors import InputError
from importer.journal.records import RowRecord, RowState, RunKind, RunRecord
from importer.journal.storage import Journal
from importer.model import Hardware, Level, RowResult, Status, Tag, WaveInput
from importer.site.provider import ProviderInfo


def find_run(
    journal: Journal, wave: WaveInput, info: ProviderInfo, resume_id: str | None, new_run: bool
) -> RunRecord | None:
    """The run to continue: the one named (it must be a run of this sheet on this site), else
    the unfinished run of this sheet on this site unless `new_run`; None: start a new one."""
    if resume_id is not None:
        record = journal.run(resume_id)
        if record.kind is not RunKind.RUN:
            raise InputError(
                f"{resume_id} is an undo, not a run: it cannot be resumed.", code=M.RUN_IS_AN_UNDO
            )
        if record.input_sha256 != wave.sha256:
            raise InputError(
                f"run {resume_id} was made from another version of the sheet (its SHA-256 differs).",
                "Start a new run with --new-run.",
                code=M.RUN_OF_ANOTHER_SHEET,
            )
        if record.site.upper() != info.site_code.upper():
            raise InputError(
                f"run {resume_id} was made on site {record.site}, not {info.site_code}.",
                "Point --demo/--server at the site of that run, or start a new run with --new-run.",
                code=M.RUN_ON_ANOTHER_SITE,
            )
        return record
    if new_run:
        return None
    return journal.unfinished(wave.sha256, info.site_code, f"{info.kind}: {info.location}")


class ResumePolicy:
    """What a run that stopped and continues keeps from before: its rows numbered the same,
    its imports, and what it created."""

    def __init__(self, journal: Journal, run_id: str, previous: Sequence[RowRecord] = ()) -> None:
        self.journal = journal
        self.run_id = run_id
        self.previous = {r.seq: r for r in previous}
        self.wave: WaveInput | None = None

    @property
    def resumed(self) -> bool:
        return bool(self.previous)

    def attach(self, rows: Sequence[RowResult], wave: WaveInput | None = None) -> None:
        """Number the rows; on resume, the sheet must still give the same rows. `wave` holds
        the cells of the rows read from it (kept with each row, for undo's report)."""
        self.wave = wave
        for seq, row in enumerate(rows):
            row.seq = seq
        if not self.previous:
            return
        same = len(rows) == len(self.previous) and all(
            (r.sheet, r.row, r.source, r.destination)
            == (
                self.previous[i].sheet,
                self.previous[i].row,
                self.previous[i].source,
                self.previous[i].destination,
            )
            for i, r in enumerate(rows)
        )
        if not same:
            raise InputError(
                f"run {self.run_id} was made from other rows (the sheet, the users file or "
                "--behavior differ).",
                "Start a new run with --new-run.",
                code=M.RUN_OF_OTHER_ROWS,
            )

    def restore_imports(self, rows: Sequence[RowResult]) -> None:
        """Before the plan: a computer this run imported keeps the ResourceID it got, and is not
        imported again, whether or not the site can be queried for it yet."""
        for index, row in enumerate(rows):
            before = self.previous.get(index)
            if before is None:
                continue
            if before.joined:
                row.joined = list(before.joined)
            ours = row.hardware is Hardware.NOT_IMPORTED or row.status in (None, Status.UNRESOLVED)
            if before.imported_id and ours and row.source_resource_id:
                # Not queryable yet, or found under its MAC: either way it is the record this run made.
                row.hardware = Hardware.IMPORTED
                row.restore_resource_id = before.imported_id
                row.status = None
                row.messages = [
                    m for m in row.messages if m.tag not in (Tag.IMPORT_CONFLICT, Tag.NOT_ON_SITE)
                ]
                row.add(
                    Level.NOTE,
                    f"imported by this run before it stopped ({before.imported_id}): not again",
                    code=M.IMPORTED_BEFORE_STOP,
                )
            elif (
                before.hardware == Hardware.IMPORT.value
                and before.state is RowState.SENDING
                and row.hardware is Hardware.KNOWN
            ):
                row.hardware = Hardware.IMPORTED  # its import landed; the reply was lost

    def overlay(self, rows: Sequence[RowResult]) -> None:
        """After the plan read the site: what this run created before it stopped is `created`."""
        for index, row in enumerate(rows):
            before = self.previous.get(index)
            if before is not None and before.previous is not None and row.replaces is None:
                row.replaces = before.previous  # kept for the report and for undo
            if before is None or before.state not in (RowState.CREATED, RowState.SENDING):
                continue
            if row.status is Status.EXISTS:
                row.status = Status.CREATED
                row.messages = [m for m in row.messages if m.tag is not Tag.ALREADY_ON_SITE]
                if before.state is RowState.CREATED:
                    row.add(Level.NOTE, "created by this run before it stopped", code=M.CREATED_BEFORE_STOP)
                else:
                    text = "was being sent when the run stopped; found on the site: created (not sent twice)"
                    row.add(Level.NOTE, text, code=M.FOUND_AFTER_STOP)
            elif row.status is Status.PLANNED and before.state is RowState.SENDING:
                row.add(
                    Level.NOTE,
                    "was being sent when the run stopped; not on the site: sent again",
                    code=M.SENT_AGAIN,
                )
