"""``lorchestra run-job PACKAGE JOB --help``: one job's own options, types, defaults and doc."""

from __future__ import annotations

import inspect
import textwrap
from datetime import date, datetime
from pathlib import Path

from lorchestra.arguments import JobSignature, Parameter, _base_type
from lorchestra.discovery import JobRef

# The runner's own options, valid for every job.
_RUNNER_OPTIONS = [
    ("--dry-run", "Validate and show what would run; write nothing."),
    ("--strict", "Fail (exit 1) when any record was rejected."),
    ("--json", "Print a JSON summary."),
    ("--namespace NAME", "Write into separate tables and <home>/namespaces/NAME/."),
]
_WINDOW = {"since": "start of the window: ISO date/time or a span (-7d, -12h)",
           "until": "end of the window: ISO date/time or a span (default: now)"}
_METAVARS = {int: "INTEGER", float: "NUMBER", date: "DATE", datetime: "DATETIME", Path: "PATH"}


def metavar(param: Parameter) -> str:
    """How the option's value is shown: nothing for a flag, else its type."""
    if param.is_bool:
        return ""
    if param.name in _WINDOW:
        return "WHEN"
    base = _base_type(param.annotation)
    if param.is_list:
        return "TEXT (repeatable)"
    return _METAVARS.get(base, "TEXT")


def _describe(param: Parameter) -> str:
    parts = [_WINDOW[param.name]] if param.name in _WINDOW else []
    if param.required:
        parts.append("required")
    elif param.is_bool:
        parts.append("flag" if not param.default else "flag, on by default")
    elif param.default is not None:
        parts.append(f"default: {param.default}")
    return "; ".join(parts)


def job_help(ref: JobRef) -> str:
    """The help text for one job, as `run-job PACKAGE JOB --help` prints it."""
    job = ref.load()
    signature = JobSignature.of(job)
    lines = [f"Usage: lorchestra run-job {ref.package} {ref.name} [OPTIONS]", ""]
    doc = inspect.getdoc(job)
    if doc:
        for paragraph in doc.split("\n\n"):
            lines.extend(textwrap.wrap(" ".join(paragraph.split()), width=88) or [""])
            lines.append("")
    lines.append(f"Options of {ref.qualified_name}:")
    rows = [(f"{p.option} {metavar(p)}".rstrip(), _describe(p))
            for p in signature.parameters.values()]
    if signature.accepts_extra:
        rows.append(("--<name> VALUE", "any other option, passed to the job as text"))
    if not rows:
        rows.append(("(none)", ""))
    rows.extend(_RUNNER_OPTIONS)
    width = max(len(name) for name, _ in rows) + 2
    for name, text in rows[: len(rows) - len(_RUNNER_OPTIONS)]:
        lines.append(f"  {name.ljust(width)}{text}".rstrip())
    lines.append("")
    lines.append("Runner options:")
    for name, text in _RUNNER_OPTIONS:
        lines.append(f"  {name.ljust(width)}{text}")
    lines.append(f"  {'--help, -h'.ljust(width)}Show this message and exit.")
    return "\n".join(lines) + "\n"


