"""Named queries: ``.sql`` files from the core, from installed packages, or from the home.

The core ships ``lorchestra/queries/``; a package contributes the folder beside the module it
names under the ``lorchestra.queries`` entry-point group; a user keeps their own in
``<home>/queries/``. A file's leading ``--`` comment lines describe it; parameters are the
``@name`` placeholders it uses. By name, a package's query replaces the core's and a user's
replaces both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lorchestra.errors import UsageError
from lorchestra.plugin_data import package_folders

SHIPPED = Path(__file__).parent / "queries"
ENTRY_POINT_GROUP = "lorchestra.queries"
_PARAM = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    sql: str
    description: str
    params: tuple[str, ...]
    origin: str


def list_queries(home: Path | None = None) -> list[NamedQuery]:
    found: dict[str, NamedQuery] = {}
    packages, _ = package_folders(ENTRY_POINT_GROUP)
    sources: list[tuple[str, Path | None]] = [
        ("lorchestra", SHIPPED),
        *((folder.distribution, folder.path) for folder in packages),
        ("user", home / "queries" if home else None),
    ]
    for origin, folder in sources:
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.sql")):
            found[path.stem] = _load(path, origin)
    return [found[name] for name in sorted(found)]


def find_query(name: str, home: Path | None = None) -> NamedQuery:
    for query in list_queries(home):
        if query.name == name:
            return query
    names = ", ".join(q.name for q in list_queries(home)) or "none"
    raise UsageError(f"No named query {name!r}. Available: {names}.")


def _load(path: Path, origin: str) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    description = " ".join(
        line[2:].strip() for line in text.splitlines() if line.startswith("--")
    ).strip()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    params = tuple(dict.fromkeys(_PARAM.findall(body)))
    return NamedQuery(path.stem, body.strip().rstrip(";"), description, params, origin)
