"""Packages talk to lorchestra only through ``lorchestra.api``, and the core names no domain.

Every job package in the repository (and the example package) may import ``lorchestra.api`` and
nothing else of lorchestra; every job takes ``bq_client: Warehouse``. The core itself declares
only its own tables and names no domain table, instrument or view.
"""

from __future__ import annotations

import ast
import inspect
import re
import typing
from pathlib import Path

import lorchestra.api as api
from lorchestra.discovery import discover

ROOT = Path(__file__).parent.parent
PACKAGE_SOURCES = sorted(
    [*ROOT.glob("packages/*/src"), *ROOT.glob("examples/*/src"), ROOT / "tests/sample_package/src"]
)
DOMAIN_NAMES = re.compile(r"measurement_events|observations|phq9|canonical_rejections")


def lorchestra_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] == "lorchestra"]


def test_packages_import_only_lorchestra_api() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for source in PACKAGE_SOURCES
        for path in sorted(source.rglob("*.py"))
        for name in lorchestra_imports(path)
        if name != "lorchestra.api"
    ]
    assert offenders == []
    assert len(PACKAGE_SOURCES) >= 5  # canonizer, final_form, ingestor, reporter, ... examples


def test_every_installed_job_takes_a_warehouse() -> None:
    untyped = []
    for ref in discover():
        job = ref.load()
        hints = typing.get_type_hints(job)
        first = next(iter(inspect.signature(job).parameters))
        if hints.get(first) is not api.Warehouse:
            untyped.append(ref.qualified_name)
    assert untyped == []


def test_the_api_lists_what_it_exports() -> None:
    assert sorted(api.__all__) == sorted(
        name for name in vars(api) if not name.startswith("_") and name != "annotations"
    )
    for name in ("Warehouse", "TableSpec", "Column", "emit", "upsert", "upsert_objects",
                 "UpsertResult", "current_run", "LorchestraError", "WarehouseError"):
        assert name in api.__all__  # fmt: skip


def test_the_core_names_no_domain_table_or_instrument() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "lorchestra").rglob("*"))
        if path.is_file() and path.suffix in {".py", ".sql", ".json"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DOMAIN_NAMES.search(line)
    ]
    assert offenders == []
