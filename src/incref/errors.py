"""Errors are values with a location and a sentence for a person.

Every front end reports bad input as an `InputError`; the CLI prints `str(error)` on one
line and exits 2. Nothing in an input is ever evaluated as Python."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: `file:line:col: message`, with the offending line and a caret when known."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        source_line: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.source_line = source_line

    @property
    def location(self) -> str:
        parts = [_printable(self.file or "<input>")]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        if self.file is None and self.line is None:
            return self.message  # nothing to point at: "<input>: ..." would name no input
        return f"{self.location}: {self.message}"

    def with_caret(self) -> str:
        """The one-line message, then the source line and a caret under the column."""
        text = str(self)
        if self.source_line is not None and self.column is not None:
            text += "\n    " + self.source_line.rstrip("\n") + "\n    " + " " * (self.column - 1) + "^"
        return text


class UsageError(InputError):
    """A bad option or name on the command line (no file location)."""

    def __init__(self, message: str):
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


class Unsupported(InputError):
    """A well-formed input that uses a feature incref does not model (`unsupported: X`)."""

    def __init__(self, feature: str, file: str | None = None, line: int | None = None, column: int | None = None):
        super().__init__(f"unsupported: {feature}", file, line, column)
        self.feature = feature


def _printable(name: str) -> str:
    """A file name as it can appear inside a one-line message: a newline or an escape
    sequence in the name must neither split the line nor reach the terminal raw."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")
