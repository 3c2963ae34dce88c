"""One hierarchy of errors: what went wrong, where (path and line), and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable


class BroadsheetError(Exception):
    """A problem the user can fix: a message with its file, line and a hint."""

    kind = "error"

    def __init__(self, message: str, path: str | None = None, line: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint

    def __reduce__(self) -> tuple[type, tuple[str, str | None, int | None, str | None]]:
        # Keep path, line and hint when an error crosses a process boundary.
        return (type(self), (self.message, self.path, self.line, self.hint))

    def location(self) -> str:
        """Return ``path:line`` (or just the path, or an empty string)."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def format(self) -> str:
        """Return the one-line ``path:line: message (hint)`` form shown to users."""
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def __str__(self) -> str:
        return self.format()

    def sort_key(self) -> tuple[str, int, str]:
        """Order problems by file, then line, so reports read top to bottom."""
        return (self.path or "", self.line or 0, self.message)


class ConfigError(BroadsheetError):
    """site.yml or theme.yml is wrong."""


class ContentError(BroadsheetError):
    """An article or page is wrong."""


class TemplateError(BroadsheetError):
    """A theme template failed to load or render."""


class OutputError(BroadsheetError):
    """Two sources for one output file, or a path that would leave the output folder."""


class UsageError(BroadsheetError):
    """The command line asked for something impossible (exit code 2)."""


class BuildWarning(BroadsheetError):
    """A problem worth telling but not fatal unless ``--strict``."""

    kind = "warning"


class BuildFailed(Exception):
    """A build stopped with one or more errors; all of them are listed."""

    def __init__(self, errors: Iterable[BroadsheetError]) -> None:
        self.errors = sorted(errors, key=BroadsheetError.sort_key)
        super().__init__(f"{len(self.errors)} error(s)")
