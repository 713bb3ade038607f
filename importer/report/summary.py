"""The run's parameters and counts, as plain data both reporters render."""

from __future__ import annotations

from importer import __version__
from importer.messages import notice_dict
from importer.model.progress import progress_counts
from importer.report.labels import TOOL
from importer.results import RunResult


def summary(result: RunResult) -> dict[str, object]:
    options = result.options
    provider = result.provider
    ran = result.command == "run"  # readiness and copied collections are the run's (and dry run's)
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
        "notes": list(result.wave.notes),  # their texts, as 0.1.0 wrote them; "notices" has their codes
        # keys after here are new since 0.1.0, whose readers expect the keys above in this order
        "rows_with_default_behavior": result.defaulted if result.command in ("run", "validate") else None,
        "inactive_days": options.inactive_days if ran else None,
        "strict_readiness": options.strict_readiness or None if ran else None,
        "readiness": result.readiness_counts() if ran else None,  # pairs per warning code
        "site_readiness": [r.as_dict() for r in result.site_readiness] if result.site_readiness else None,
        "copy_collections": options.copy_collections or None if ran else None,
        "skip_collections": ", ".join(options.skip_collections) or None if ran else None,
        "include_collections": ", ".join(options.include_collections) or None if ran else None,
        "copied_collections": result.copied_count() if ran and options.copy_collections else None,
        "notices": [notice_dict(note) for note in result.wave.notes],
        "stopped_code": str(result.stopped_code) if result.stopped_code else None,
        **({"escrow": result.escrow_path} if result.command in ("undo", "cleanup") else {}),
        "progress": progress_counts(result.rows) if result.command == "status" else None,
        "progress_history": [{"read_at": when, **counts} for when, counts in result.progress_history]
        if result.progress_history is not None
        else None,
    }
