"""ConfigMgr's association rules, shared by the sheet check and the plan against the site.

- A destination restores one user state, so it can have only one source.
- With behaviour 2 (capture and restore specified accounts, the console's default)
  a source can have only one association; the other behaviours allow several.
- Source and destination differ: ConfigMgr makes in-place associations itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from importer import messages as M
from importer.messages import Code
from importer.model import Behavior


@dataclass(frozen=True)
class Pair:
    source: str  # identities the rules compare: names in the sheet, ResourceIDs on the site
    destination: str
    behavior: Behavior | None
    origin: str = field(default="", compare=False)  # "Sheet1 row 7", "already on the site"
    source_label: str = field(default="", compare=False)  # how a person knows the computer
    destination_label: str = field(default="", compare=False)

    @property
    def source_name(self) -> str:
        return self.source_label or self.source

    @property
    def destination_name(self) -> str:
        return self.destination_label or self.destination


def violations(pair: Pair, others: Iterable[Pair]) -> list[tuple[Code, str]]:
    """Why `pair` cannot sit beside `others` (associations sharing its source or destination):
    each rule broken, by its code and in words."""
    found: list[tuple[Code, str]] = []
    for other in others:
        if other.source == pair.source and other.destination == pair.destination:
            continue
        if other.destination == pair.destination:
            found.append(
                (
                    M.DESTINATION_HAS_ANOTHER_SOURCE,
                    f"destination {pair.destination_name} is also the destination of "
                    f"{other.source_name} ({other.origin}): a computer can restore the state of "
                    "only one source",
                )
            )
        elif other.source == pair.source and Behavior.CAPTURE_AND_RESTORE_SPECIFIED in (
            pair.behavior,
            other.behavior,
        ):
            found.append(
                (
                    M.SOURCE_HAS_ANOTHER_DESTINATION,
                    f"source {pair.source_name} is also associated with {other.destination_name} "
                    f"({other.origin}): with behaviour 2 a source can have only one association "
                    "(use behaviour 0 or 1 to restore to several computers)",
                )
            )
    return found
