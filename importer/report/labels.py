"""The words the Excel report uses for its summary, shared by the writer and the reader."""

from __future__ import annotations

from importer.model import Behavior, Hardware, Status, UsersFrom

TOOL = "cmassoc (cm-association-importer)"  # the JSON summary's "tool"
IMPORT_TITLE, STATUS_TITLE = "Computer association import", "Computer association status"  # Summary A1
SUMMARY_SHEET = "Summary"
RESULTS_SHEET = "Results"
ATTENTION_SHEET = "Needs attention"
NOTES_SHEET = "Notes"
RUN_ID = "Run ID"
JOURNAL = "Journal"

# summary() key -> the label in the Summary sheet, in the order shown.
SUMMARY_LABELS = (
    ("command", "Command"),
    ("input_file", "Input file"),
    ("input_sha256", "Input SHA-256"),
    ("site_code", "Site code"),
    ("provider", "Provider"),
    ("default_behavior_text", "Default behaviour"),
    ("batch_size", "Batch size"),
    ("users_from", "Users from the site"),
    ("collections", "Collections for every row"),
    ("overwrite_existing_record", "Overwrite existing records"),
    ("update", "Update associations that differ"),
    ("dry_run", "Dry run"),
    ("started", "Started"),
    ("finished", "Finished"),
    ("read_at", "Read at"),
    ("run_by", "Run by"),
    ("version", "Tool version"),
    ("run_id", RUN_ID),
    ("journal", JOURNAL),
    ("escrow", "Escrow of recovery keys"),
    ("stopped_by", "Stopped early by"),
    ("stopped_code", "Stopped early: code"),
    ("site_readiness", "State migration points"),
    ("readiness", "Readiness warnings (pairs)"),
    ("inactive_days", "Inactive after (days)"),
    ("strict_readiness", "Refuse pairs that are not ready"),
    ("copy_collections", "Copy the old computers' collections"),
    ("skip_collections", "Collections never copied"),
    ("include_collections", "Collections copied despite a task sequence"),
    ("copied_collections", "Collection memberships copied"),
)

# Enum members to what a report writes (an enum's .value is a slow property on a million rows).
ENUM_TEXT: dict[object, str | None] = {m: m.value for e in (Status, UsersFrom, Hardware) for m in e}
BEHAVIOR_NUMBER: dict[object, int | None] = {b: int(b) for b in Behavior}
