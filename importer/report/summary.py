"""The run's parameters and counts, as plain data both reporters render."""

from __future__ import annotations

from importer import __version__
from importer.report.labels import TOOL
from importer.results import RunResult


def summary(result: RunResult) -> dict[str, object]:
    options = result.options
    provider = result.provider
    return {
        "tool": TOOL,
        "version": __version__,
        "command": result.command,
        "input_file": result.wave.path,
        "input_sha256": result.wave.sha256,
        "site_code": provider.site_code if provider else None,
        "provider": f"{provider.kind}: {provider.location}" if provider else None,
        "default_behavior": int(options.default_behavior),
        "default_behavior_text": f"{options.default_behavior.label}, "
        f"{options.default_behavior.cmdlet_name} (used for rows without a behaviour)"
        if result.defaulted
        else "not used: every row gives its behaviour",
        "batch_size": options.batch_size,
        "users_from": options.users_from.value if options.users_from else None,
        "collections": ", ".join(options.collections) or None,
        "overwrite_existing_record": options.overwrite_existing_record or None,
        "update": options.update or None,
        "dry_run": options.dry_run if result.command == "run" else None,
        "started": result.started.isoformat(timespec="seconds"),
        "read_at": result.finished.isoformat(timespec="seconds")
        if result.command == "status" and result.finished
        else None,
        "finished": result.finished.isoformat(timespec="seconds") if result.finished else None,
        "run_by": result.operator,
        "rows": len(result.rows),
        "counts": {status.value: n for status, n in result.counts().items()},
        "stopped_by": result.stopped_by,
        "run_id": result.run_id,
        "journal": result.journal_path,
        "exit_status": int(result.exit_status),
        "notes": list(result.wave.notes),
        # keys after here are new since 0.1.0, whose readers expect the keys above in this order
        "rows_with_default_behavior": result.defaulted if result.command in ("run", "validate") else None,
        **({"escrow": result.escrow_path} if result.command == "undo" else {}),
    }
