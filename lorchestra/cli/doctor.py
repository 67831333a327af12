"""``lorchestra doctor``: check configuration, the data home, the warehouse and every package."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from lorchestra.cli._common import handle_errors, print_json, print_rows, state
from lorchestra.discovery import discover, find_job
from lorchestra.errors import ConfigError, LorchestraError, error_summary
from lorchestra.home import permission_problem
from lorchestra.meltano_project import meltano_project
from lorchestra.permissions import loose_entries, restore
from lorchestra.warehouse import open_warehouse

if TYPE_CHECKING:
    from lorchestra.config import Settings
    from lorchestra.connections import Connection

Check = tuple[str, bool | None, str]  # ok: True; FAIL: False; warn (does not fail): None


@handle_errors
def doctor_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Make the home and everything in it owner-only (0700/0600)."),
    ] = False,
) -> None:
    """Check that lorchestra can run here; exits 1 when anything fails.

    Every file and directory in the data home must be owner-only; --fix repairs those that
    are not (the home itself included).
    """
    from lorchestra.config import load_settings

    checks: list[Check] = []
    try:
        current = load_settings(state().config)
        where = current.source_file or "defaults and environment"
        checks.append(("configuration", True, f"loaded from {where}"))
    except LorchestraError as exc:
        checks.append(("configuration", False, str(exc)))
        _finish(checks, as_json)
        return
    fixed = restore(current.home, include_home=True) if fix else []
    checks.append(_home_check(current))
    checks.append(_home_entries_check(current, len(fixed)))
    checks.append(_guard("warehouse", lambda: _warehouse_check(current)))
    checks.append(_meltano_check(current))
    checks.append(_guard("connections", lambda: _connections_check(current)))
    checks.extend(_guard_all("sources", lambda: _source_checks(current)))
    checks.extend(_package_checks())
    checks.extend(_plugin_data_checks())
    checks.extend(_definition_checks(current))
    checks.append(_data_checks_check())
    checks.extend(_contributed_checks(current))
    _finish(checks, as_json)


def _data_checks_check() -> Check:
    from lorchestra.data_checks import package_checks

    found = package_checks()
    problems = [c.problem for c in found if c.problem]
    if problems:
        return ("data checks", False, "; ".join(p for p in problems if p))
    return ("data checks", True, f"{len(found)} package check(s) load")


def _contributed_checks(current: Settings) -> list[Check]:
    from lorchestra.cli.package_checks import command_checks, package_checks

    try:
        return command_checks() + package_checks(current)
    except LorchestraError as exc:
        return [("package checks", False, str(exc))]


def _meltano_check(current: Settings) -> Check:
    import ingestor

    problems = ingestor.check_project(meltano_project(current))
    if problems:
        return ("meltano project", False, " ".join(problems))
    return ("meltano project", True, "plugins installed")


def _connections_check(current: Settings) -> str:
    from lorchestra.connections import all_connections

    connections = all_connections(current)
    if not connections:
        return "none configured (ingester jobs need [connections.*] or sample_data)"
    problems = [problem for c in connections for problem in _tap_problems(current, c)]
    unset = sorted({var for c in connections for var in c.missing_secrets(os.environ)})
    if unset:
        problems.append(f"secrets not in the environment: {', '.join(unset)}")
    if problems:
        raise ConfigError(f"{len(connections)} configured; {'; '.join(problems)}")
    return f"{len(connections)} configured"


def _tap_problems(current: Settings, connection: Connection) -> list[str]:
    import ingestor

    declared = ingestor.declared_settings(connection.tap, meltano_project(current))
    if declared is None:
        return [f"{connection.key}: tap {connection.tap} is not in the Meltano project"]
    unknown = sorted((set(connection.settings) | set(connection.secrets)) - declared)
    if unknown:
        return [f"{connection.key}: {connection.tap} has no setting {', '.join(unknown)}"]
    return []


def _home_check(current: Settings) -> Check:
    home = current.home
    if not home.exists():
        return ("data home", True, f"{home} (created on first run)")
    problem = permission_problem(home)
    return ("data home", problem is None, problem or f"{home} is private (0700)")


def _home_entries_check(current: Settings, fixed: int) -> Check:
    loose = loose_entries(current.home, include_home=False)
    if loose:
        shown = ", ".join(e.describe(current.home) for e in loose[:10])
        more = f" and {len(loose) - 10} more" if len(loose) > 10 else ""
        return (
            "home files",
            False,
            f"{len(loose)} not owner-only: {shown}{more}; run `lorchestra doctor --fix`",
        )
    detail = "every file 0600, every directory 0700"
    return ("home files", True, detail + (f" ({fixed} repaired)" if fixed else ""))


def _warehouse_check(current: Settings) -> str:
    warehouse = open_warehouse(current, read_only=True)
    try:
        rows = warehouse.query("SELECT COUNT(*) AS n FROM event_log")
    finally:
        warehouse.close()
    return f"{warehouse.backend} reachable; event_log has {rows[0]['n']} events"


def _package_checks() -> list[Check]:
    checks: list[Check] = []
    by_package: dict[str, list[str]] = {}
    for ref in discover():
        try:
            ref.load()
        except LorchestraError as exc:
            checks.append((f"package {ref.package}", False, str(exc)))
            continue
        by_package.setdefault(ref.package, []).append(ref.name)
    failed = {name.split(" ", 1)[1] for name, ok, _ in checks if not ok}
    for package, jobs in sorted(by_package.items()):
        if package not in failed:
            checks.append((f"package {package}", True, f"{len(jobs)} job(s) import"))
    return sorted(checks)


def _plugin_data_checks() -> list[Check]:
    """What packages bring besides jobs: tables (``lorchestra.tables``) and named queries."""
    from lorchestra.named_queries import ENTRY_POINT_GROUP as QUERIES
    from lorchestra.plugin_data import package_folders
    from lorchestra.warehouse.registry import installed_tables, table_load_errors, table_origin

    tables = installed_tables()
    checks: list[Check] = [("tables", False, problem) for problem in table_load_errors()]
    owners = sorted({table_origin(name) for name in tables})
    checks.append(("tables", True, f"{len(tables)} tables declared by {', '.join(owners)}"))
    _, errors = package_folders(QUERIES)
    checks += [("queries", False, problem.message) for problem in errors]
    return checks


def _definition_checks(current: Settings) -> list[Check]:
    from lorchestra.definitions import load_catalog
    from lorchestra.pipelines import check_definition

    try:
        catalog = load_catalog(current.home)
    except LorchestraError as exc:
        return [("definitions", False, str(exc))]
    problems: list[Check] = [("definition file", False, error) for error in catalog.errors]
    for job_id, definition in sorted(catalog.jobs.items()):
        try:
            check_definition(definition)
        except LorchestraError as exc:
            problems.append((f"definition {job_id}", False, str(exc)))
    for pipeline_id in sorted(catalog.pipelines):
        try:
            catalog.expand(pipeline_id)
        except LorchestraError as exc:
            problems.append((f"pipeline {pipeline_id}", False, str(exc)))
    total = len(catalog.jobs) + len(catalog.pipelines)
    return problems or [("definitions", True, f"{total} definitions and pipelines valid")]


def _source_checks(current: Settings) -> list[Check]:
    """Connections per source, and each ingest definition that can never run here."""
    from lorchestra.connections import all_connections
    from lorchestra.definitions import load_catalog

    by_source: dict[str, list[str]] = {}
    for connection in all_connections(current):
        by_source.setdefault(connection.source_system, []).append(connection.key)
    checks: list[Check] = [
        (f"source {source}", True, ", ".join(keys)) for source, keys in sorted(by_source.items())
    ]
    catalog = load_catalog(current.home)
    for job_id, definition in sorted(catalog.jobs.items()):
        try:
            job = find_job(definition.package, definition.name).load()
        except LorchestraError:
            continue  # reported by the package and definition checks
        source = getattr(job, "source_system", None)
        if source and source not in by_source and "account" not in definition.params:
            checks.append(
                (
                    f"definition {job_id}",
                    None,
                    f"no {source} connection is configured: every run skips it",
                )
            )
    return checks


def _guard_all(name: str, check: Callable[[], list[Check]]) -> list[Check]:
    try:
        return check()
    except LorchestraError as exc:
        return [(name, False, str(exc))]
    except Exception as exc:  # noqa: BLE001 - doctor reports, never crashes
        return [(name, False, error_summary(exc))]


def _guard(name: str, check: Callable[[], str]) -> Check:
    try:
        return (name, True, check())
    except LorchestraError as exc:
        return (name, False, str(exc))
    except Exception as exc:  # noqa: BLE001 - doctor reports, never crashes
        return (name, False, error_summary(exc))


def _finish(checks: list[Check], as_json: bool) -> None:
    status = {True: "ok", False: "FAIL", None: "warn"}
    rows = [{"check": n, "status": status[ok], "detail": d} for n, ok, d in checks]
    if as_json:
        print_json(rows)
    else:
        print_rows(rows, columns=["check", "status", "detail"], title="lorchestra doctor")
    if any(ok is False for _, ok, _ in checks):
        raise typer.Exit(1)
