"""Errors lorchestra raises, in one place so callers can tell them apart.

The tree::

    LorchestraError                 every error meant for a user; its message is one line
    ├── UsageError                  the command line or configuration is wrong (exit code 2)
    │   ├── JobNotFound             no installed package provides that job
    │   ├── InvalidJobArguments     a job argument is missing, unknown or has a bad value
    │   └── ConfigError             configuration cannot be read or is invalid
    ├── HomePermissionError         the data home is readable by group or others
    ├── JobLoadError                a job's package is installed but cannot be imported
    ├── JobSkipped                  a job has nothing it can do here (a source not configured);
    │                               recorded as skipped, never as failed (exit code 0)
    └── WarehouseError              the warehouse refused or failed an operation
        ├── TerminalWarehouseError  retrying will not help (bad SQL, permissions, schema)
        └── TransientWarehouseError retrying may help (5xx, rate limits, locks)

Messages of these errors are written to be safe to log: they name tables, jobs, arguments and
record positions, never record contents. The CLI is the only place they become exit codes.
"""

from __future__ import annotations


class LorchestraError(Exception):
    """Base class of every error meant for a user; ``str(error)`` is one line."""

    exit_code = 1


class UsageError(LorchestraError):
    """The command line or configuration is wrong."""

    exit_code = 2


class JobNotFound(UsageError):
    """No installed package provides the requested job."""


class InvalidJobArguments(UsageError):
    """A job argument is missing, unknown, or cannot be converted."""


class ConfigError(UsageError):
    """Configuration cannot be read or holds an invalid value."""


class HomePermissionError(LorchestraError):
    """The data home (or a file in it) can be read by group or others."""

    exit_code = 2


class JobLoadError(LorchestraError):
    """A job's package is installed, but its entry point cannot be imported."""


class JobSkipped(LorchestraError):
    """Raised by a job that has nothing it can do here, e.g. its source is not configured.

    ``reason`` is the short word shown in run summaries (``skipped (not configured)``); the
    message says what is missing. The runner records the run as skipped, not failed.
    """

    exit_code = 0

    def __init__(self, message: str, *, reason: str = "not configured") -> None:
        super().__init__(message)
        self.reason = reason


class WarehouseError(LorchestraError):
    """The warehouse refused or failed an operation."""


class TerminalWarehouseError(WarehouseError):
    """A warehouse failure that retrying will not fix."""


class TransientWarehouseError(WarehouseError):
    """A warehouse failure that may succeed when retried."""


def first_line(exc: BaseException, *, limit: int = 300) -> str:
    """The first line of ``exc``'s message, bounded; the type name when it has no message.

    Use it (and ``error_summary``) only where the message is known to be safe to show:
    lorchestra's own errors, driver errors about SQL or files. ``runner.sanitised_error``
    decides that for a job's failure.
    """
    lines = str(exc).strip().splitlines()
    return (lines[0].strip() if lines else type(exc).__name__)[:limit]


def error_summary(exc: BaseException, *, limit: int = 300) -> str:
    """``"TypeName: first line of the message"``: one line, bounded."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0].strip()}" if lines else type(exc).__name__
    return text[:limit]


__all__ = [
    "ConfigError",
    "HomePermissionError",
    "InvalidJobArguments",
    "JobLoadError",
    "JobSkipped",
    "JobNotFound",
    "LorchestraError",
    "TerminalWarehouseError",
    "TransientWarehouseError",
    "UsageError",
    "WarehouseError",
    "error_summary",
    "first_line",
]
