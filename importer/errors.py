"""One error base whose message tells the user what happened and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from importer.exit_status import ExitStatus

if TYPE_CHECKING:
    from importer.messages import Code


class ImporterError(Exception):
    """An error the user can act on; ``str()`` is a complete one-line message."""

    exit_status: ExitStatus = ExitStatus.FATAL

    def __init__(self, message: str, hint: str | None = None, *, code: Code | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code  # from importer.messages.CATALOG; shown beside the words

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message

    def coded(self) -> str:
        """The message with its code in front, as the console and the web pages show it: "CMA612 ..."."""
        return f"{self.code} {self}" if self.code else str(self)


class InputError(ImporterError):
    """The input file or options cannot be used; nothing has been done."""

    exit_status = ExitStatus.USAGE


class ProviderError(ImporterError):
    """The SMS Provider failed as a whole (not one call of a batch)."""

    exit_status = ExitStatus.FATAL


class TransientProviderError(ProviderError):
    """A fault worth retrying: connection drops, timeouts, busy or quota replies."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or refused us for good (after any retries)."""


class ReportError(ImporterError):
    """A report could not be written (the work it describes may have been done)."""

    exit_status = ExitStatus.FATAL


class ProtocolError(ProviderError):
    """The server's reply broke the batch protocol (a bug or a tampered server): never retried,
    never read as "no rows"."""
