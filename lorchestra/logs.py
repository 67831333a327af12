"""Structured logging: JSON lines to ``<home>/logs/``, readable lines on a terminal.

Log events carry ids, counts, durations and job names. Callers must never pass record
contents, names, email addresses or job argument values other than account/since/until; the
runner and event client are written to that rule and a test plants canaries to hold them to it.

Every line, lorchestra's and third-party libraries' alike, passes :func:`_scrub_phi`, which
replaces the PHI argument values of this process (:mod:`lorchestra.phi`) by their masks. The
chatty libraries a run pulls in (fontTools, WeasyPrint, matplotlib, urllib3, PIL) log at WARNING
and above only — fontTools' debug lines list the characters of each report, which come from
patient text — and their warnings go to the log file, reaching stderr only with ``--verbose``, so
cron mails carry lorchestra's own messages.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import structlog

from lorchestra.home import PRIVATE_FILE, private_dir
from lorchestra.phi import scrub_value

QUIET_LOGGERS = ("fontTools", "weasyprint", "matplotlib", "urllib3", "PIL")


def _scrub_phi(_logger: Any, _method: str, event_dict: Any) -> Any:
    """Replace registered PHI values anywhere in the event by their masks."""
    return {key: scrub_value(value) for key, value in event_dict.items()}


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
# Third-party records: their message is formatted with its arguments first (so a value passed as
# an argument is scrubbed too), then the same PHI scrub as lorchestra's own events.
_FOREIGN: list[Any] = [*_SHARED, _scrub_phi]


class _OwnRecords(logging.Filter):
    """Pass lorchestra's (and structlog's) records; keep third-party ones off the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict) and record.msg.get("event") in REPORTED_BY_CLI:
            return False
        return record.name.split(".")[0] not in QUIET_LOGGERS


# Events the command line reports itself (run-job's `error:` line, run's table): on the terminal
# they would say the same thing twice, so they go to the log file only (and with --verbose).
REPORTED_BY_CLI = frozenset({"job.failed", "job.rejected"})


def configure_logging(
    home: Path | None, *, level: str = "info", console_level: str = "warning"
) -> None:
    """Send JSON logs to ``<home>/logs/lorchestra.jsonl`` (0600) and warnings to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if home is not None:
        log_dir = private_dir(home / "logs")
        path = log_dir / "lorchestra.jsonl"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE))
        os.chmod(path, PRIVATE_FILE)
        file_handler = logging.FileHandler(path, encoding="utf-8")
        file_handler.setLevel(level.upper())
        file_handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.dict_tracebacks,
                    structlog.processors.JSONRenderer(),
                ],
                foreign_pre_chain=_FOREIGN,
            )
        )
        root.addHandler(file_handler)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level.upper())
    if console_level.upper() == "WARNING":
        console.addFilter(_OwnRecords())
    console.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
            ],
            foreign_pre_chain=_FOREIGN,
        )
    )
    root.addHandler(console)
    structlog.configure(
        processors=[*_SHARED, _scrub_phi, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """Return a structlog logger bound to ``name``."""
    return structlog.get_logger(name)
