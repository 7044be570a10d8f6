"""Errors that reach the user as one plain line (exit code 2), never as a traceback."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A mistake in what the user gave: a file, a column, a value, a parameter.

    The message names the file, the field and the row where they are known, so the user
    can go straight to the cell that is wrong. Rows are 1-based data rows (the header of a
    CSV file is not counted).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        row: int | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        self.row = row
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.field:
            where.append(f"field '{self.field}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InfeasibleInput(InputError):
    """The data can be read but describes a plan that cannot exist (e.g. p larger than the
    number of candidate sites, demand that no site can reach). Detected before solving."""


def plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (so messages read 3, not np.int64(3))."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


class InputNote(UserWarning):
    """Something in the input worth saying that is not a mistake (a column no rule reads):
    the command line prints it on stderr as a note."""
