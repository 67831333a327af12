"""Data checks: named queries that count violations, each with a severity.

Three kinds, none naming a domain table in the core:

- generic checks derived from every ``TableSpec``: duplicate keys in each keyed table, required
  columns that are null, and references (``TableSpec.references``) that resolve to nothing;
- freshness per source connection: nothing arrived from it (no object first or re-read) for
  longer than its ``freshness_hours``;
- checks that packages contribute: ``.sql`` files beside a module registered under the
  entry-point group ``lorchestra.checks``, each starting with ``-- name: ...`` and
  ``-- severity: error|warning`` comment lines and returning the violating count.

A check fails when its count is above zero (or its query fails); ``lorchestra check`` exits 1
when a check of severity ``error`` fails. Results are recorded as one ``checks.completed`` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lorchestra.errors import ConfigError, LorchestraError
from lorchestra.named_queries import find_query
from lorchestra.plugin_data import package_folders
from lorchestra.warehouse import Warehouse
from lorchestra.warehouse.schema import TableSpec

if TYPE_CHECKING:
    from lorchestra.config import Settings

ENTRY_POINT_GROUP = "lorchestra.checks"
SEVERITIES = ("error", "warning")
EVENT = "checks.completed"


@dataclass(frozen=True)
class Check:
    """One check: a query whose first column of the first row is the violating count."""

    name: str
    severity: str
    sql: str
    description: str
    origin: str = "lorchestra"
    problem: str | None = None  # the check could not be loaded; it fails with this reason


@dataclass(frozen=True)
class CheckResult:
    name: str
    severity: str
    count: int | None  # None when the check could not run
    description: str = ""
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.count is None or self.count > 0

    @property
    def status(self) -> str:
        """``ok``, ``FAIL`` (an error-severity check found something) or ``WARN``."""
        if not self.failed:
            return "ok"
        return "FAIL" if self.severity == "error" else "WARN"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "severity": self.severity,
            "count": self.count,
            "status": self.status,
            "description": self.description,
            "error": self.error,
        }


# -- generic checks from table metadata -------------------------------------------------------
def spec_checks(specs: Iterable[TableSpec]) -> list[Check]:
    """Duplicate keys, null required columns and unresolved references of every table."""
    checks: list[Check] = []
    for spec in specs:
        if spec.key:
            checks.append(
                Check(
                    f"duplicate_keys:{spec.name}",
                    "error",
                    f"SELECT COUNT(*) AS violations FROM (SELECT {spec.key} FROM {spec.name} "
                    f"GROUP BY {spec.key} HAVING COUNT(*) > 1)",
                    f"{spec.name} keys ({spec.key}) held by more than one row",
                )
            )
        required = [c.name for c in spec.columns if c.required]
        if required and spec.key:  # the append-only log is checked by its writer, not here
            condition = " OR ".join(f"{name} IS NULL" for name in required)
            checks.append(
                Check(
                    f"required:{spec.name}",
                    "error",
                    f"SELECT COUNTIF({condition}) AS violations FROM {spec.name}",
                    f"{spec.name} rows with a required column null ({', '.join(required)})",
                )
            )
        for column, target in sorted(spec.references.items()):
            table, _, target_column = target.partition(".")
            checks.append(
                Check(
                    f"reference:{spec.name}.{column}",
                    "error",
                    f"SELECT COUNT(*) AS violations FROM {spec.name} AS c "
                    f"LEFT JOIN {table} AS p ON c.{column} = p.{target_column} "
                    f"WHERE c.{column} IS NOT NULL AND p.{target_column} IS NULL",
                    f"{spec.name}.{column} values with no {target}",
                )
            )
    return checks


# -- checks that packages contribute ---------------------------------------------------------
def package_checks() -> list[Check]:
    """The ``.sql`` checks beside every module registered under ``lorchestra.checks``.

    A module that cannot be imported, or a file without a valid header, becomes a check that
    fails naming the package or file, so nothing a package meant to check is silently skipped.
    """
    folders, errors = package_folders(ENTRY_POINT_GROUP)
    checks = [
        Check(f"load:{e.entry}", "error", "", "", e.distribution, e.message) for e in errors
    ]
    for folder in folders:
        for path in sorted(folder.path.glob("*.sql")):
            try:
                checks.append(load_check_file(path, folder.distribution))
            except ConfigError as exc:
                checks.append(
                    Check(f"load:{path.name}", "error", "", "", folder.distribution, str(exc))
                )
    return checks


def load_check_file(path: Path, origin: str) -> Check:
    """Parse a check file; a missing or bad header raises ConfigError naming the file."""
    header: dict[str, str] = {}
    description: list[str] = []
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("--") and not body:
            text = line[2:].strip()
            key, sep, value = text.partition(":")
            if sep and key.strip() in ("name", "severity"):
                header[key.strip()] = value.strip()
            elif text:
                description.append(text)
        elif line.strip() or body:
            body.append(line)
    name = header.get("name")
    severity = header.get("severity")
    if not name or severity not in SEVERITIES:
        raise ConfigError(
            f"Check file {path} needs '-- name: NAME' and '-- severity: error|warning' lines "
            "before its query."
        )
    sql = "\n".join(body).strip().rstrip(";")
    return Check(name, severity, sql, " ".join(description), origin)


# -- freshness ---------------------------------------------------------------------------------
def freshness(
    warehouse: Warehouse, connections: Iterable[Any], now: datetime | None = None
) -> list[CheckResult]:
    """One result per connection: 1 when nothing arrived within its window, else 0."""
    now = now or datetime.now(UTC)
    newest = {
        (row["connection_name"], row["object_type"]): row["last_seen"]
        for row in warehouse.query(find_query("raw_counts").sql)
    }
    results = []
    for conn in connections:
        hours = float(conn.freshness_hours)
        if hours <= 0:
            continue
        seen = newest.get((conn.connection_name, conn.object_type))
        stale = seen is None or now - seen > timedelta(hours=hours)
        results.append(
            CheckResult(
                f"freshness:{conn.key}",
                # A quiet source (no new Stripe customer this month) is news, not a fault: a
                # failing ingest already fails its job, so staleness only warns.
                "warning",
                int(stale),
                f"{conn.connection_name} ({conn.object_type}) delivered within {hours:g} h; "
                + ("nothing received yet" if seen is None else f"newest {seen:%Y-%m-%d %H:%M} UTC"),
            )
        )
    return results


# -- running and recording ---------------------------------------------------------------------
def run_checks(warehouse: Warehouse, checks: Iterable[Check]) -> list[CheckResult]:
    from lorchestra.runner import sanitised_error

    results = []
    for check in checks:
        if check.problem is not None:
            results.append(CheckResult(check.name, check.severity, None, "", check.problem))
            continue
        try:
            rows = warehouse.query(check.sql)
            value = next(iter(rows[0].values())) if rows else 0
            results.append(
                CheckResult(check.name, check.severity, int(value or 0), check.description)
            )
        except Exception as exc:  # noqa: BLE001 - a broken check is a failed check, not a crash
            results.append(
                CheckResult(
                    check.name, check.severity, None, check.description, sanitised_error(exc)
                )
            )
    return results


def errors_failed(results: Iterable[CheckResult]) -> list[CheckResult]:
    return [r for r in results if r.failed and r.severity == "error"]


def record(warehouse: Warehouse, results: list[CheckResult]) -> None:
    """One ``checks.completed`` event with every check's name, severity and count."""
    from lorchestra.stack_clients.event_client import emit

    failed = errors_failed(results)
    emit(
        warehouse,
        EVENT,
        "lorchestra",
        {
            "results": [
                {"name": r.name, "severity": r.severity, "count": r.count, "error": r.error}
                for r in results
            ],
            "failed": len(failed),
            "warnings": sum(1 for r in results if r.failed and r.severity == "warning"),
        },
        status="failed" if failed else "ok",
    )


def last_results(warehouse: Warehouse) -> tuple[datetime | None, list[CheckResult]]:
    """When checks last ran and their results (empty when they never ran)."""
    rows = warehouse.query(find_query("last_checks").sql)
    if not rows:
        return None, []
    data = json.loads(rows[0]["data"])
    return rows[0]["created_at"], [
        CheckResult(r["name"], r["severity"], r.get("count"), "", r.get("error"))
        for r in data.get("results", [])
    ]


class DataChecksFailed(LorchestraError):
    """At least one data check of severity error found violations."""


def check_everything(warehouse: Warehouse, settings: Settings) -> list[CheckResult]:
    """Freshness of every connection, then the table checks, then the packages' checks."""
    from lorchestra.connections import all_connections
    from lorchestra.warehouse import installed_tables

    checks = spec_checks(installed_tables().values()) + package_checks()
    return freshness(warehouse, all_connections(settings)) + run_checks(warehouse, checks)


def failure_message(failed: list[CheckResult]) -> str:
    names = ", ".join(f"{r.name} ({'error' if r.count is None else r.count})" for r in failed)
    return f"{len(failed)} data check(s) failed: {names}"
