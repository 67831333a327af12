"""Structured logging: JSON lines to ``<home>/logs/``, readable lines on a terminal.

Log events carry ids, counts, durations and job names. Callers must never pass record
contents, names, email addresses or job argument values other than account/since/until; the
runner and event client are written to that rule and a test plants canaries to hold them to it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import structlog

from lorchestra.home import PRIVATE_FILE, private_dir

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(
    home: Path | None, *, level: str = "info", console_level: str = "warning"
) -> None:
    """Send JSON logs to ``<home>/logs/lorchestra.jsonl`` (0600) and warnings to stderr."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG)
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
                foreign_pre_chain=_SHARED,
            )
        )
        root.addHandler(file_handler)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level.upper())
    console.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
            ],
            foreign_pre_chain=_SHARED,
        )
    )
    root.addHandler(console)
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """Return a structlog logger bound to ``name``."""
    return structlog.get_logger(name)
