"""Plain data shared by every stage: cells and values, rows, the wave, statuses."""

from importer.model.rows import RowResult
from importer.model.statuses import Status
from importer.model.values import (
    Behavior,
    Cell,
    Hardware,
    InputRow,
    Level,
    Message,
    Readiness,
    StoreState,
    Tag,
    Typed,
    UserRow,
    UsersFrom,
)
from importer.model.wave import Part, WaveInput, carried_cells, carried_columns, carried_values

__all__ = [
    "Behavior",
    "Cell",
    "Hardware",
    "InputRow",
    "Level",
    "Message",
    "Part",
    "Readiness",
    "RowResult",
    "Status",
    "StoreState",
    "Tag",
    "Typed",
    "UserRow",
    "UsersFrom",
    "WaveInput",
    "carried_cells",
    "carried_columns",
    "carried_values",
]
