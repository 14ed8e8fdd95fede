"""riskseg's exceptions: one root, and input errors that are also ``ValueError``."""

from __future__ import annotations


class RisksegError(Exception):
    """Root of every error riskseg raises on purpose."""


class InputError(RisksegError, ValueError):
    """A file, table or value that riskseg cannot use; the message says what and where."""


class MappingError(InputError):
    """A mapping file is invalid (unknown key, unknown table, unsafe expression)."""


class FileRejected(InputError):
    """A whole source could not be imported (unreadable, unknown table, missing column).

    The store is left unchanged; the CLI exits with code 2.
    """

    def __init__(self, source: str, reason: str, *, table: str | None = None) -> None:
        self.source = source
        self.reason = reason
        self.table = table
        super().__init__(f"{source}: {reason}")


class AmbiguousDateFormat(FileRejected):
    """Dates that read both day-first and month-first; the user must declare the format."""


class StoreError(RisksegError):
    """The store cannot be opened or is of an unknown schema version."""


class NotFittedError(RisksegError, ValueError, AttributeError):
    """A model was asked to predict (or be saved) before it was fitted."""
