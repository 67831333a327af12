"""Named queries: ``.sql`` files shipped in ``lorchestra/queries/`` or kept in ``<home>/queries/``.

A file's leading ``--`` comment lines describe it; parameters are the ``@name`` placeholders it
uses. A user's file with the same name as a shipped one takes precedence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lorchestra.errors import UsageError

SHIPPED = Path(__file__).parent / "queries"
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
    for origin, folder in (("shipped", SHIPPED), ("user", home / "queries" if home else None)):
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
