"""``doctor``'s view of what packages add: command groups and their own checks.

Packages register checks under the entry-point group ``lorchestra.doctor``: a function
``check(bq_client: Warehouse, home: Path) -> list[Finding]`` that looks at the warehouse (read
only) and the data home and says what a user should know, e.g. questionnaire responses that
cannot be scored. A check that cannot be loaded or raises is reported as failed and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any

from lorchestra.errors import error_summary
from lorchestra.plugin_data import group_entry_points

if TYPE_CHECKING:
    from lorchestra.config import Settings

CHECKS_GROUP = "lorchestra.doctor"

# (check name, ok: True / warn: None / fail: False, detail), as doctor prints them.
Check = tuple[str, bool | None, str]
_STATUS: dict[str, bool | None] = {"ok": True, "warn": None, "fail": False}


def command_checks() -> list[Check]:
    """The contributed command groups that load, and one failed check per broken one."""
    from lorchestra.cli.plugin_commands import check_all

    names, errors = check_all()
    checks: list[Check] = [("commands", False, error) for error in errors]
    if names:
        checks.append(("commands", True, f"packages add: {', '.join(names)}"))
    return checks


def package_checks(current: Settings) -> list[Check]:
    """Run every ``lorchestra.doctor`` function against a read-only warehouse."""
    eps = group_entry_points(CHECKS_GROUP)
    if not eps:
        return []
    from lorchestra.warehouse import open_warehouse

    checks: list[Check] = []
    warehouse = open_warehouse(current, read_only=True)
    try:
        for ep in eps:
            checks.extend(run_check(ep, lambda check: check(warehouse, current.home)))
    finally:
        warehouse.close()
    return checks


def run_check(ep: metadata.EntryPoint, call: Callable[[Any], Any]) -> list[Check]:
    """Load ``ep`` and ``call`` it; its findings as checks, or one failed check naming it."""
    try:
        findings = call(ep.load())
        return [(f.check, _STATUS[f.status], f.detail) for f in findings]
    except Exception as exc:  # noqa: BLE001 - doctor and status report, never crash
        return [(f"checks {ep.name}", False, f"{ep.value} failed: {error_summary(exc)}")]
