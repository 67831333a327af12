"""Errors raised by the ingestor, all under one base so callers can catch the family at once.

The tree::

    IngestorError                 anything the ingestor reports on purpose
    ├── ProjectError              no Meltano project, or no `meltano` executable to run it
    ├── InstallError              `meltano install` failed (exit code and sanitised log tail)
    ├── UnknownSettingError       a setting the extractor does not declare (Meltano would drop it)
    ├── ExtractError              a run failed: exit code (None when killed) and log tail
    │   ├── LockTimeoutError      another run held the project (or plugin) lock for too long
    │   └── ExtractCancelled      the caller cancelled the run (its process group was stopped)
    └── MalformedLineError        a JSONL line is not a JSON object (line number and reason)

Messages are full sentences and never contain record contents: log tails are sanitised (see
`ingestor._logs`) and malformed-line reasons name the problem, not the line.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ExtractCancelled",
    "ExtractError",
    "IngestorError",
    "InstallError",
    "LockTimeoutError",
    "MalformedLineError",
    "ProjectError",
    "UnknownSettingError",
]


class IngestorError(Exception):
    """Base class of every error the ingestor raises on purpose."""


class ProjectError(IngestorError):
    """The Meltano project or the `meltano` executable cannot be found or used."""


class UnknownSettingError(IngestorError, ValueError):
    """Settings given for an extractor that its meltano.yml entry does not declare."""

    def __init__(self, plugin_name: str, unknown: Sequence[str], declared: Sequence[str]) -> None:
        self.plugin_name = plugin_name
        self.unknown = tuple(unknown)
        super().__init__(
            f"{plugin_name} has no setting {', '.join(map(repr, self.unknown))}; Meltano would "
            f"ignore it. Its settings: {', '.join(sorted(declared)) or 'none'}.")


class _MeltanoCommandError(IngestorError):
    """A Meltano command failed; carries its exit code and a sanitised tail of its log."""

    def __init__(self, message: str, *, exit_code: int | None = None,
                 log_tail: Sequence[str] = ()) -> None:
        self.exit_code = exit_code
        self.log_tail: tuple[str, ...] = tuple(log_tail)
        self.summary = message
        super().__init__(_with_tail(message, self.log_tail))


class InstallError(_MeltanoCommandError):
    """`meltano install` failed."""


class ExtractError(_MeltanoCommandError):
    """An extraction failed; no output file was left behind."""


class LockTimeoutError(ExtractError):
    """Another Meltano run in the same project held the lock longer than the allowed wait."""


class ExtractCancelled(ExtractError):
    """The caller cancelled the run (``cancel`` set); its whole process group was stopped."""


class MalformedLineError(IngestorError, ValueError):
    """A JSONL line is not a JSON object; `reason` never quotes the line's content."""

    def __init__(self, path: str, line_number: int, reason: str) -> None:
        self.path = path
        self.line_number = line_number
        self.reason = reason
        super().__init__(f"{path}: line {line_number}: {reason}.")


def _with_tail(message: str, tail: Sequence[str]) -> str:
    if not tail:
        return message
    return message + "\nLast Meltano log lines (record contents removed):\n" + "\n".join(
        f"  {line}" for line in tail)
