"""``status``'s lines from packages: what each one says needs attention.

Packages register a function under the entry-point group ``lorchestra.status`` with the same
contract as ``lorchestra.doctor``: ``(bq_client: Warehouse, home: Path) -> list[Finding]``,
reading the warehouse only. ``status`` shows every line it returns (e.g. final_form's "12
responses of form X are not scored: no binding"); a ``fail`` line makes ``status`` exit 1, a
``warn`` line does not. A function that cannot be loaded or raises is shown as a failed line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lorchestra.cli.package_checks import run_check
from lorchestra.plugin_data import group_entry_points

if TYPE_CHECKING:
    from lorchestra.warehouse import Warehouse

STATUS_GROUP = "lorchestra.status"
_NAMES = {True: "ok", None: "warn", False: "fail"}


@dataclass(frozen=True)
class StatusLine:
    """One package's line: its check name, ``ok``/``warn``/``fail`` and one sentence."""

    check: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.status.upper()} {self.check}: {self.detail}"


def with_package_lines(ok: bool, verdict: str, lines: list[StatusLine]) -> tuple[bool, str]:
    """``status``'s health and verdict once the packages' ``fail`` lines are counted in."""
    failed = [line for line in lines if line.failed]
    if not failed:
        return ok, verdict
    names = ", ".join(dict.fromkeys(line.check for line in failed))
    said = f"{len(failed)} package line(s) failed ({names})."
    return False, ("UNHEALTHY: " + said) if ok else f"{verdict.rstrip('.')}; {said}"


def print_lines(lines: list[StatusLine]) -> None:
    """One line each, as written (control characters dropped, no markup, never wrapped)."""
    from rich.console import Console
    from rich.text import Text

    console = Console(soft_wrap=True, highlight=False)
    for line in lines:
        console.print(Text(str(line)))


def package_status(warehouse: Warehouse, home: Path) -> list[StatusLine]:
    """Every ``lorchestra.status`` function's lines, by entry-point name."""
    lines: list[StatusLine] = []
    for ep in group_entry_points(STATUS_GROUP):
        for name, ok, detail in run_check(ep, lambda check: check(warehouse, home)):
            lines.append(StatusLine(name, _NAMES[ok], detail))
    return lines
