"""Bulk importer for ConfigMgr computer associations (SMS_StateMigration).

The public API: read a wave sheet, validate it, run it on a site, and the option and result
types they take and give. The command line and the web front end use these same names.
Each is imported when first used, so that `import importer` (and `cmassoc --help`) does not
bring pandas in.

    import importer

    wave = importer.read_wave(Path("wave.xlsx"))
    checked = importer.validate_wave(wave, importer.RunOptions())
    print(checked.tally())
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOMES = {
    "read_wave": "importer.read.wave",
    "validate_wave": "importer.pipeline",
    "run_wave": "importer.pipeline",
    "status_wave": "importer.pipeline",
    "build_site": "importer.site.gateway",
    "RunOptions": "importer.results",
    "RunResult": "importer.results",
    "InputLimits": "importer.limits",
    "WaveInput": "importer.model",
    "RowResult": "importer.model",
    "Behavior": "importer.model",
    "Status": "importer.model",
    "UsersFrom": "importer.model",
    "Message": "importer.model",
    "ExitStatus": "importer.exit_status",
    "ImporterError": "importer.errors",
    "InputError": "importer.errors",
}

__all__ = [
    "Behavior",
    "ExitStatus",
    "ImporterError",
    "InputError",
    "InputLimits",
    "Message",
    "RowResult",
    "RunOptions",
    "RunResult",
    "Status",
    "UsersFrom",
    "WaveInput",
    "__version__",
    "build_site",
    "read_wave",
    "run_wave",
    "status_wave",
    "validate_wave",
]

if TYPE_CHECKING:
    from importer.errors import ImporterError, InputError
    from importer.exit_status import ExitStatus
    from importer.limits import InputLimits
    from importer.model import Behavior, Message, RowResult, Status, UsersFrom, WaveInput
    from importer.pipeline import run_wave, status_wave, validate_wave
    from importer.read.wave import read_wave
    from importer.results import RunOptions, RunResult
    from importer.site.gateway import build_site


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'importer' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
